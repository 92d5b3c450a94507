"""Named model presets: the one source of truth; conf/model/*.yaml (the Hydra group) is generated from here.

Python, not package data, so an installed wheel always has them. After editing a preset run

    python -m model.presets            # rewrites conf/model/<name>.yaml

tests/model/test_model_config.py fails when a conf/model file differs from what this module renders.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

_BALANCING = {  # DeepSeek-V3's MTP depth, lambda, bias rate and sequence aux alpha
    "num_nextn_predict_layers": 1,
    "mtp_loss_weight": 0.3,
    "bias_update_rate": 0.001,
    "seq_aux_loss_alpha": 0.0001,
}

PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "micro": (
        "~1.0M total parameters (0.6M activated), byte-level vocabulary (256 bytes + specials), for the CPU ablation and CI.",
        {
            "vocab_size": 320, "hidden_size": 128, "intermediate_size": 256, "moe_intermediate_size": 64,
            "num_hidden_layers": 4, "num_attention_heads": 4, "max_position_embeddings": 1024,
            "q_lora_rank": 64, "kv_lora_rank": 32, "qk_nope_head_dim": 16, "qk_rope_head_dim": 16, "v_head_dim": 32,
            "n_routed_experts": 8, "n_shared_experts": 1, "num_experts_per_tok": 2, "n_group": 2, "topk_group": 2,
            "first_k_dense_replace": 1, "norm_topk_prob": True, "routed_scaling_factor": 2.5, **_BALANCING,
        },
    ),
    "tiny": (
        "3.8M total parameters (2.9M activated), for CPU tests and the laptop demo.",
        {
            "vocab_size": 8192, "hidden_size": 128, "intermediate_size": 384, "moe_intermediate_size": 64,
            "num_hidden_layers": 4, "num_attention_heads": 4, "max_position_embeddings": 1024,
            "q_lora_rank": 96, "kv_lora_rank": 64, "qk_nope_head_dim": 32, "qk_rope_head_dim": 16, "v_head_dim": 32,
            "n_routed_experts": 16, "n_shared_experts": 1, "num_experts_per_tok": 4, "n_group": 4, "topk_group": 2,
            "first_k_dense_replace": 1, "norm_topk_prob": True, "routed_scaling_factor": 2.5, **_BALANCING,
        },
    ),
    "small": (
        "~110M total parameters (~55M activated), CPU-trainable for short runs, quick on one GPU.",
        {
            "vocab_size": 32000, "hidden_size": 512, "intermediate_size": 1536, "moe_intermediate_size": 256,
            "num_hidden_layers": 8, "num_attention_heads": 8, "max_position_embeddings": 2048,
            "q_lora_rank": 256, "kv_lora_rank": 128, "qk_nope_head_dim": 64, "qk_rope_head_dim": 32, "v_head_dim": 64,
            "n_routed_experts": 24, "n_shared_experts": 1, "num_experts_per_tok": 4, "n_group": 4, "topk_group": 2,
            "first_k_dense_replace": 1, "norm_topk_prob": True, "routed_scaling_factor": 2.5, **_BALANCING,
        },
    ),
    "1b": (
        "~1.09B total parameters (~0.23B activated; MTP adds 69M), for one or more GPUs (bf16).",
        {
            "vocab_size": 32000, "hidden_size": 1024, "intermediate_size": 3072, "moe_intermediate_size": 320,
            "num_hidden_layers": 16, "num_attention_heads": 16, "max_position_embeddings": 4096,
            "q_lora_rank": 512, "kv_lora_rank": 256, "qk_nope_head_dim": 64, "qk_rope_head_dim": 32, "v_head_dim": 64,
            "n_routed_experts": 64, "n_shared_experts": 1, "num_experts_per_tok": 6, "n_group": 8, "topk_group": 4,
            "first_k_dense_replace": 1, "norm_topk_prob": True, "routed_scaling_factor": 2.5, **_BALANCING,
        },
    ),
}

HYDRA_GROUP = Path(__file__).resolve().parents[1] / "conf" / "model"  # exists in a checkout, not in a wheel


def preset_fields(name: str) -> dict[str, Any]:
    """A copy of one preset's ModelConfig fields."""
    if name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return dict(PRESETS[name][1])


def render_yaml(name: str) -> str:
    """The Hydra group file for one preset, exactly as written to conf/model/<name>.yaml."""
    about, fields = PRESETS[name]
    header = f"# {name}: {about}\n# GENERATED from model/presets.py by `python -m model.presets`: edit there, not here.\n"
    return header + yaml.safe_dump(fields, sort_keys=False)


def write_hydra_group(directory: Path = HYDRA_GROUP) -> list[Path]:
    """Rewrite conf/model/<name>.yaml for every preset; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{name}.yaml" for name in PRESETS]
    for path in paths:
        path.write_text(render_yaml(path.stem))
    return paths


if __name__ == "__main__":
    for written in write_hydra_group(Path(sys.argv[1]) if len(sys.argv) > 1 else HYDRA_GROUP):
        print(written)
