"""MFU terms: each Hopper form factor's real peak, and causal attention counted half."""

from __future__ import annotations

import pytest

from model import ModelConfig
from pipelines.training.metrics import peak_flops


@pytest.mark.parametrize("name, sms, memory, peak", [
    ("NVIDIA H100 80GB HBM3", 132, 85_000_000_000, 989.4e12),  # SXM5
    ("NVIDIA H100 PCIe", 114, 85_000_000_000, 756.5e12),
    ("NVIDIA H100", 114, 85_000_000_000, 756.5e12),  # an ambiguous name: the SM count decides
    ("NVIDIA H100 NVL", 132, 100_000_000_000, 835.5e12),
    ("NVIDIA H100", 132, 99_000_000_000, 835.5e12),  # 94 GB board: NVL
    ("NVIDIA H200", 132, 150_000_000_000, 989.4e12),
    ("NVIDIA H200 NVL", 132, 150_000_000_000, 835.5e12),
    ("NVIDIA A100-SXM4-80GB", 108, 85_000_000_000, 312e12),
    ("NVIDIA GH200 480GB", 132, 102_000_000_000, 989e12),
    ("Some Other GPU", 10, 1, None),
])
def test_peak_by_name_sms_and_memory(name, sms, memory, peak):
    assert peak_flops(name, sms, memory) == peak


def test_causal_attention_is_counted_half():
    cfg = ModelConfig.preset("tiny")
    full, causal = cfg.flops_per_token(2048), cfg.flops_per_token(2048, causal=True)
    attention = full - cfg.flops_per_token(1) + 6 * cfg.num_attention_heads * (cfg.qk_head_dim + cfg.v_head_dim) * (
        cfg.num_hidden_layers + cfg.num_nextn_predict_layers)
    assert full - causal == pytest.approx(attention / 2)
