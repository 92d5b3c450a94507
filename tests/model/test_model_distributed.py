"""update_balance sums expert load over data-parallel ranks (two gloo processes on the CPU)."""

from __future__ import annotations

import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from model import CausalLM, ModelConfig

CFG = ModelConfig(
    vocab_size=128, hidden_size=32, intermediate_size=64, moe_intermediate_size=16, num_hidden_layers=2,
    num_attention_heads=2, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8,
    n_routed_experts=8, num_experts_per_tok=2, num_nextn_predict_layers=1,
)


def _rank_main(rank: int, world: int, init_file: str, results: dict) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    torch.manual_seed(0)
    model = CausalLM(CFG)  # same weights on every rank
    ids = torch.randint(0, CFG.vocab_size, (2, 16), generator=torch.Generator().manual_seed(100 + rank))
    load = model(ids).expert_load + model(ids.flip(0)).expert_load  # two micro-batches, different per rank
    model.update_balance(load, rate=0.01)
    results[rank] = (load, torch.stack([r.e_score_correction_bias for r in model.routers()]))
    dist.destroy_process_group()


@pytest.mark.slow
def test_update_balance_all_reduces_loads_across_ranks(tmp_path):
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_rank_main, args=(2, str(tmp_path / "init"), results), nprocs=2, join=True)
        (load0, bias0), (load1, bias1) = results[0], results[1]
    assert not torch.equal(load0, load1)
    total = (load0 + load1).float()
    want = 0.01 * torch.sign(total.mean(-1, keepdim=True) - total)
    torch.testing.assert_close(bias0, want)
    torch.testing.assert_close(bias1, want)
