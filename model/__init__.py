"""DeepSeek-V3-style MoE language model with multi-token prediction, exportable to transformers."""

from model.causal_lm import CausalLM, CausalLMOutput, load_ratio
from model.config import ModelConfig

__all__ = ["CausalLM", "CausalLMOutput", "ModelConfig", "load_ratio"]
