"""save_pretrained / from_pretrained in transformers' DeepseekV3 layout (config.json + safetensors).

On disk every expert has its own keys (mlp.experts.{j}.gate_proj.weight, ...) and the balancing bias
is mlp.gate.e_score_correction_bias, as in DeepSeek's checkpoints and transformers. MTP depth k is
stored as layer num_hidden_layers + k with enorm, hnorm, eh_proj, shared_head.norm, and copies of the
embedding and head (embed_tokens, shared_head.head), as DeepSeek-V3 ships them; transformers' causal
LM skips those layers when loading. Only safetensors is read: loading never unpickles.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from model.causal_lm import CausalLM
from model.config import ModelConfig

CONFIG_NAME, WEIGHTS_NAME, INDEX_NAME = "config.json", "model.safetensors", "model.safetensors.index.json"
APR_WEIGHTS_NAME = "apr.safetensors"  # adaptive precision routing weights, our names; transformers never reads it
APR_WARNING = (
    "APR is enabled: its estimator and refinement blocks are saved to {path} under their own names. "
    "transformers' DeepseekV3 ignores them and runs the model WITHOUT refinement (different logits); "
    "only model.CausalLM.from_pretrained runs APR."
)
OURS = ("num_nextn_predict_layers", "mtp_loss_weight", "bias_update_rate", "seq_aux_loss_alpha")

Unpack = Callable[[torch.Tensor], list[torch.Tensor]]
Pack = Callable[[list[torch.Tensor]], torch.Tensor]


def hf_config(cfg: ModelConfig) -> dict:
    """config.json contents that DeepseekV3Config reads (our extra fields ride along)."""
    fields = cfg.model_dump(exclude={"rope_theta"})
    fields["num_key_value_heads"] = cfg.num_attention_heads
    return {
        "architectures": ["DeepseekV3ForCausalLM"],
        "model_type": "deepseek_v3",
        **fields,
        "rope_parameters": {"rope_type": "default", "rope_theta": cfg.rope_theta},
        "attention_bias": False,
        "attention_dropout": 0.0,
        "dtype": "float32",
    }


def config_from_hf(config: Mapping) -> ModelConfig:
    """ModelConfig from a deepseek_v3 config.json; unknown keys are ignored, bad values raise."""
    if config.get("model_type") != "deepseek_v3":
        raise ValueError(f"config.json model_type is {config.get('model_type')!r}, expected 'deepseek_v3'")
    fields = {k: config[k] for k in ModelConfig.model_fields if k in config}
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if rope.get("rope_type", "default") != "default":
        raise ValueError(f"rope_type {rope['rope_type']!r} is not supported (only 'default')")
    if "rope_theta" in rope:
        fields["rope_theta"] = rope["rope_theta"]
    if isinstance(fields.get("eos_token_id"), list):
        fields["eos_token_id"] = fields["eos_token_id"][0]
    return ModelConfig(**fields)


def _hf_module(name: str, cfg: ModelConfig) -> str:
    """Our module path -> transformers' (MTP module k becomes layer num_hidden_layers + k)."""
    if m := re.match(r"mtp\.(\d+)\.(.*)", name):
        layer, rest = cfg.num_hidden_layers + int(m[1]), m[2]
        rest = re.sub(r"^block\.", "", rest)
        rest = re.sub(r"^norm\.", "shared_head.norm.", rest)
        return f"model.layers.{layer}.{rest}"
    if name.startswith("lm_head."):
        return name
    return f"model.{name}"


def _layout(name: str, cfg: ModelConfig) -> tuple[list[str], Unpack, Pack]:
    """For one of our state-dict keys: its transformers keys and the two conversions."""
    n_exp, width = cfg.n_routed_experts, cfg.moe_intermediate_size
    if name.endswith(".experts.gate_up"):  # [E, H, 2I] -> per expert gate/up [I, H]
        p = _hf_module(name.removesuffix("gate_up"), cfg)
        keys = [f"{p}{j}.gate_proj.weight" for j in range(n_exp)] + [f"{p}{j}.up_proj.weight" for j in range(n_exp)]
        unpack: Unpack = lambda w: [w[j, :, :width].T for j in range(n_exp)] + [w[j, :, width:].T for j in range(n_exp)]
        pack: Pack = lambda ts: torch.stack([torch.cat((g, u)).T for g, u in zip(ts[:n_exp], ts[n_exp:])])
        return keys, unpack, pack
    if name.endswith(".experts.down"):  # [E, I, H] -> per expert down [H, I]
        p = _hf_module(name.removesuffix("down"), cfg)
        return [f"{p}{j}.down_proj.weight" for j in range(n_exp)], lambda w: [t.T for t in w], lambda ts: torch.stack([t.T for t in ts])
    if name.endswith(".gate_up.weight"):  # fused [gate; up] rows of a dense MLP
        p = _hf_module(name.removesuffix("gate_up.weight"), cfg)
        return [p + "gate_proj.weight", p + "up_proj.weight"], lambda w: list(w.chunk(2)), torch.cat
    if name.endswith(".down.weight"):
        return [_hf_module(name.removesuffix("down.weight"), cfg) + "down_proj.weight"], lambda w: [w], lambda ts: ts[0]
    return [_hf_module(name, cfg)], lambda w: [w], lambda ts: ts[0]


def _mtp_copies(cfg: ModelConfig) -> dict[str, str]:
    """Per-depth copies of the shared embedding and head that DeepSeek's checkpoints carry."""
    copies = {}
    for k in range(cfg.num_nextn_predict_layers):
        layer = f"model.layers.{cfg.num_hidden_layers + k}"
        copies[f"{layer}.embed_tokens.weight"] = "model.embed_tokens.weight"
        copies[f"{layer}.shared_head.head.weight"] = "lm_head.weight"
    return copies


def to_hf_state_dict(model: CausalLM) -> dict[str, torch.Tensor]:
    """Our state dict in transformers' names, each tensor contiguous and unshared."""
    cfg = model.cfg
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("apr.")}
    if cfg.tie_word_embeddings:
        state["lm_head.weight"] = state.pop("lm_head.weight").clone()
    out: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        keys, unpack, _ = _layout(name, cfg)
        out.update(zip(keys, (t.detach().contiguous() for t in unpack(tensor))))
    out.update({copy: out[src].clone() for copy, src in _mtp_copies(cfg).items()})
    if cfg.tie_word_embeddings:
        del out["lm_head.weight"]
    return out


def save_pretrained(model: CausalLM, directory: str | Path) -> None:
    """Write config.json and model.safetensors, each through a temp file and a rename."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.cpu() for k, v in to_hf_state_dict(model).items()}
    tmp = directory / f".{WEIGHTS_NAME}.tmp"
    save_file(tensors, tmp, metadata={"format": "pt"})
    os.replace(tmp, directory / WEIGHTS_NAME)
    if model.apr is not None:
        apr = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if k.startswith("apr.")}
        tmp = directory / f".{APR_WEIGHTS_NAME}.tmp"
        save_file(apr, tmp, metadata={"format": "pt"})
        os.replace(tmp, directory / APR_WEIGHTS_NAME)
        warnings.warn(APR_WARNING.format(path=directory / APR_WEIGHTS_NAME), UserWarning, stacklevel=3)
    tmp = directory / f".{CONFIG_NAME}.tmp"
    tmp.write_text(json.dumps(hf_config(model.cfg), indent=2) + "\n")
    os.replace(tmp, directory / CONFIG_NAME)


def _read_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a single-file or sharded safetensors checkpoint."""
    index = directory / INDEX_NAME
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.is_file() else [WEIGHTS_NAME]
    tensors = {}
    for file in files:
        with safe_open(directory / file, framework="pt", device="cpu") as f:
            tensors.update({k: f.get_tensor(k) for k in f.keys()})
    return tensors


def load_pretrained(directory: str | Path) -> CausalLM:
    """Build a CausalLM from a folder written by save_pretrained (or by transformers)."""
    directory = Path(directory)
    cfg = config_from_hf(json.loads((directory / CONFIG_NAME).read_text()))
    hf = _read_tensors(directory)
    if cfg.tie_word_embeddings:
        hf.setdefault("lm_head.weight", hf["model.embed_tokens.weight"])
    with torch.device("meta"):
        model = CausalLM(cfg)
    state, used, missing = {}, set(_mtp_copies(cfg)), []
    if cfg.apr_enabled:
        with safe_open(directory / APR_WEIGHTS_NAME, framework="pt", device="cpu") as f:
            state.update({k: f.get_tensor(k) for k in f.keys()})
    for name, like in model.state_dict().items():
        if name.startswith("apr."):
            continue
        keys, _, pack = _layout(name, cfg)
        missing += [k for k in keys if k not in hf]
        if not missing:
            state[name] = pack([hf[k] for k in keys]).to(like.dtype).contiguous()
            used.update(keys)
    unexpected = sorted(set(hf) - used - {"lm_head.weight"})
    if missing or unexpected:
        raise ValueError(f"{directory}: missing {missing[:8]} ({len(missing)}), unexpected {unexpected[:8]} ({len(unexpected)})")
    model.load_state_dict(state, assign=True)
    if cfg.tie_word_embeddings:
        model.lm_head.weight = model.embed_tokens.weight
    return model
