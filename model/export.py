"""save_pretrained / from_pretrained in transformers' DeepseekV3 layout (config.json + safetensors).

On disk every expert has its own keys (mlp.experts.{j}.gate_proj.weight, ...) and the balancing bias
is mlp.gate.e_score_correction_bias, as in DeepSeek's checkpoints and transformers. MTP depth k is
stored as layer num_hidden_layers + k with enorm, hnorm, eh_proj, shared_head.norm, and copies of the
embedding and head (embed_tokens, shared_head.head), as DeepSeek-V3 ships them, but in its own file,
mtp.safetensors: transformers' DeepseekV3 ignores only layer 61 (the released model's MTP layer) and would
report ours as unexpected keys, so model.safetensors holds the causal LM alone and loads clean. The folder
also holds generation_config.json and a model card (README.md); every file is 0644. Only safetensors is
read: loading never unpickles.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, Field
from safetensors import safe_open
from safetensors.torch import save_file

from model.causal_lm import CausalLM
from model.config import ModelConfig

CONFIG_NAME, WEIGHTS_NAME, INDEX_NAME = "config.json", "model.safetensors", "model.safetensors.index.json"
MTP_WEIGHTS_NAME = "mtp.safetensors"  # MTP layers in transformers' names, apart so that transformers loads clean
GENERATION_CONFIG_NAME, CARD_NAME = "generation_config.json", "README.md"
FILE_MODE = 0o644  # safetensors writes through a 0600 temp file (Rust tempfile) and renames it into place
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
        "rope_theta": cfg.rope_theta,  # transformers 4.x reads only this (5.x reads rope_parameters)
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


def is_mtp_key(key: str, cfg: ModelConfig) -> bool:
    """Whether a transformers key belongs to an MTP layer (layer num_hidden_layers + k)."""
    m = re.match(r"model\.layers\.(\d+)\.", key)
    return m is not None and int(m[1]) >= cfg.num_hidden_layers


def generation_config(cfg: ModelConfig) -> dict:
    """generation_config.json: the special token ids of the config (greedy decoding, transformers' default)."""
    return {k: getattr(cfg, k) for k in ("bos_token_id", "eos_token_id", "pad_token_id") if getattr(cfg, k) is not None}


class CardInfo(BaseModel, extra="forbid"):
    """What the trainer knows about a run, for the model card; every part optional."""

    trained_on: dict[str, Any] = Field(default_factory=dict)  # e.g. dataset folder, config hash, rows, domains
    curriculum: dict[str, Any] = Field(default_factory=dict)  # e.g. noise schedule, start, end
    metrics: dict[str, float | int | None] = Field(default_factory=dict)  # e.g. final loss, lm_loss, tokens


def _pairs(title: str, values: Mapping[str, Any]) -> list[str]:
    """A two-column markdown table, or a line saying nothing was recorded."""
    if not values:
        return ["_Not recorded (the trainer passes it as `save_pretrained(..., card=CardInfo(...))`)._"]
    rows = [f"| {k} | {json.dumps(v) if isinstance(v, (dict, list)) else v} |" for k, v in values.items()]
    return [f"| {title.lower()} | value |", "| --- | --- |", *rows]


def model_card(cfg: ModelConfig, info: CardInfo | None = None) -> str:
    """README.md of an export: Hub metadata, the architecture, and what the trainer passed (data, curriculum, metrics)."""
    from huggingface_hub import ModelCard, ModelCardData

    info = info or CardInfo()
    data = ModelCardData(library_name="transformers", pipeline_tag="text-generation", license="apache-2.0",
                         language=["en"], tags=["deepseek_v3", "moe", "multi-token-prediction", "curriculum-learning"])
    mtp = cfg.num_nextn_predict_layers
    lines = [
        "# Curriculum Forge DeepSeek-V3-style MoE",
        "",
        f"A {cfg.num_hidden_layers}-layer mixture-of-experts language model ({cfg.n_routed_experts} routed experts, "
        f"{cfg.num_experts_per_tok} per token, {cfg.n_shared_experts} shared; multi-head latent attention; hidden "
        f"{cfg.hidden_size}, vocabulary {cfg.vocab_size}) in transformers' DeepseekV3 layout, pretrained by "
        "curriculum-forge on world-model synthetic documents with a denoising curriculum.",
        "",
        "```python",
        "import transformers",
        'model = transformers.AutoModelForCausalLM.from_pretrained("path/to/this/folder")',
        'tokenizer = transformers.AutoTokenizer.from_pretrained("path/to/this/folder")',
        "```",
        "",
        f"`{MTP_WEIGHTS_NAME}` holds the {mtp} multi-token-prediction layer(s) (layers {cfg.num_hidden_layers}.."
        f"{cfg.num_hidden_layers + mtp - 1} in DeepSeek-V3's names); transformers' causal LM does not use them and "
        "`model.export.load_pretrained` loads them." if mtp else "No multi-token-prediction layers.",
        "",
        "## Training data",
        "",
        *_pairs("Field", info.trained_on),
        "",
        "## Curriculum",
        "",
        *_pairs("Setting", info.curriculum),
        "",
        "## Metrics",
        "",
        *_pairs("Metric", info.metrics),
        "",
        "## Architecture",
        "",
        "```json",
        json.dumps(hf_config(cfg), indent=2),
        "```",
        "",
    ]
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines)))


def _publish(directory: Path, name: str, write: Callable[[Path], None]) -> None:
    """Write one file through a temp name and a rename, readable by all (0644)."""
    tmp = directory / f".{name}.tmp"
    write(tmp)
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, directory / name)


def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


def _tensors(tensors: dict[str, torch.Tensor]) -> Callable[[Path], None]:
    return lambda path: save_file(tensors, path, metadata={"format": "pt"})


def save_pretrained(model: CausalLM, directory: str | Path, card: CardInfo | None = None) -> None:
    """Write config.json, generation_config.json, model.safetensors (+ mtp.safetensors) and a model card."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    tensors = {k: v.cpu() for k, v in to_hf_state_dict(model).items()}
    mtp = {k: tensors.pop(k) for k in [k for k in tensors if is_mtp_key(k, cfg)]}
    _publish(directory, WEIGHTS_NAME, _tensors(tensors))
    if mtp:
        _publish(directory, MTP_WEIGHTS_NAME, _tensors(mtp))
    if model.apr is not None:
        apr = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if k.startswith("apr.")}
        _publish(directory, APR_WEIGHTS_NAME, _tensors(apr))
        warnings.warn(APR_WARNING.format(path=directory / APR_WEIGHTS_NAME), UserWarning, stacklevel=3)
    _publish(directory, GENERATION_CONFIG_NAME, _text(json.dumps(generation_config(cfg), indent=2) + "\n"))
    _publish(directory, CARD_NAME, _text(model_card(cfg, card)))
    _publish(directory, CONFIG_NAME, _text(json.dumps(hf_config(cfg), indent=2) + "\n"))


def _read_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a single-file or sharded safetensors checkpoint, and of mtp.safetensors if present."""
    index = directory / INDEX_NAME
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.is_file() else [WEIGHTS_NAME]
    files += [MTP_WEIGHTS_NAME] if (directory / MTP_WEIGHTS_NAME).is_file() else []
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
