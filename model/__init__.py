"""DeepSeek-V3-style MoE language model with multi-token prediction, exportable to transformers."""

from model.causal_lm import CausalLM, CausalLMOutput, load_ratio
from model.config import ModelConfig
from model.export import load_pretrained, save_pretrained

__all__ = ["CausalLM", "CausalLMOutput", "ModelConfig", "load_pretrained", "load_ratio", "save_pretrained"]
