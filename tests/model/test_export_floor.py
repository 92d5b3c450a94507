"""pyproject's transformers floor loads our export clean and gives our logits (opt-in: needs a second venv).

How the floor was found, and how to re-check it (torch==2.13.0 installs from the local wheel cache):

    python3.11 -m venv /tmp/tfv
    /tmp/tfv/bin/pip install torch==2.13.0 "transformers==<floor in pyproject.toml>" safetensors
    CF_TRANSFORMERS_PYTHON=/tmp/tfv/bin/python python -m pytest -q tests/model/test_export_floor.py

Without CF_TRANSFORMERS_PYTHON the test is skipped (CI has one transformers, the newest).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import torch
from packaging.version import Version
from safetensors.torch import save_file

from model import CausalLM, ModelConfig
from model.export import save_pretrained

PYTHON = os.environ.get("CF_TRANSFORMERS_PYTHON")
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

BASE = dict(vocab_size=512, hidden_size=64, intermediate_size=128, moe_intermediate_size=32, num_hidden_layers=3,
            num_attention_heads=4, q_lora_rank=48, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8,
            v_head_dim=16, n_routed_experts=8, num_experts_per_tok=2, routed_scaling_factor=2.5,
            rope_theta=50000.0, bos_token_id=1, eos_token_id=2, pad_token_id=0)
CONFIGS = {  # the variants of test_model_parity; full-rank q (q_lora_rank None) is what transformers 4.51-4.52 cannot build
    "groups-mtp1": dict(n_group=4, topk_group=2, first_k_dense_replace=1, num_nextn_predict_layers=1),
    "full-rank-q-mtp0": dict(n_group=1, topk_group=1, first_k_dense_replace=0, num_nextn_predict_layers=0,
                             q_lora_rank=None),
    "tied-mtp2": dict(n_group=2, topk_group=1, first_k_dense_replace=2, num_nextn_predict_layers=2,
                      tie_word_embeddings=True, rope_interleave=False, norm_topk_prob=False, n_shared_experts=2),
}

CHECK = r"""
import io, json, logging, sys
import torch, transformers
from safetensors.torch import load_file
transformers.logging.set_verbosity_warning()
log = io.StringIO()
logging.getLogger("transformers").addHandler(logging.StreamHandler(log))
out = {"version": transformers.__version__, "exports": {}}
for name in sys.argv[2:]:
    folder = f"{sys.argv[1]}/{name}"
    ref = load_file(f"{folder}.ref.safetensors")
    model, info = transformers.AutoModelForCausalLM.from_pretrained(folder, output_loading_info=True)
    with torch.no_grad():
        gap = (model.eval()(ref["ids"]).logits - ref["logits"]).abs().max().item()
    gen = transformers.GenerationConfig.from_pretrained(folder)
    out["exports"][name] = {"gap": gap, "info": {k: sorted(v) for k, v in info.items() if v},
                            "tokens": [gen.bos_token_id, gen.eos_token_id, gen.pad_token_id]}
out["log"] = log.getvalue()
print(json.dumps(out))
"""


def floor() -> str:
    """The `transformers>=X` lower bound of pyproject.toml."""
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return next(m[1] for d in deps if (m := re.match(r"transformers>=([\w.]+)", d)))


@pytest.mark.skipif(not PYTHON, reason="set CF_TRANSFORMERS_PYTHON to a python with the floor transformers")
def test_the_floor_transformers_loads_every_variant(tmp_path):
    for name, fields in CONFIGS.items():
        torch.manual_seed(0)
        model = CausalLM(ModelConfig(**{**BASE, **fields}))
        model.init_weights(std=0.05)
        with torch.no_grad():
            for r in model.routers():
                r.e_score_correction_bias.uniform_(-0.1, 0.1)
        ids = torch.randint(0, BASE["vocab_size"], (3, 40))
        with torch.no_grad():
            logits = model.eval()(ids).logits
        save_pretrained(model, tmp_path / name)
        save_file({"ids": ids, "logits": logits.contiguous()}, str(tmp_path / f"{name}.ref.safetensors"))
    run = subprocess.run([PYTHON, "-c", CHECK, str(tmp_path), *CONFIGS], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert Version(out["version"]) == Version(floor()), f"{PYTHON} has transformers {out['version']}, not the floor {floor()}"
    for name, got in out["exports"].items():
        assert got["gap"] <= 1e-4 and got["info"] == {} and got["tokens"] == [1, 2, 0], (name, got)
    assert "unexpected" not in (out["log"] + run.stderr).lower(), out["log"]
