"""Sharded checkpoints on object storage (moto's S3 API): save, list, verify, fall back and load through s3:// URIs."""

from __future__ import annotations

import torch

from model import CausalLM, ModelConfig
from pipelines.training import checkpoint


def tiny_model(train_config, tmp_path) -> tuple[CausalLM, torch.optim.Optimizer, object]:
    cfg = train_config(tmp_path)
    model = CausalLM(ModelConfig(**{**cfg.model.model_dump(), "vocab_size": 128}))
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3), cfg


def step_once(model: CausalLM, optimizer: torch.optim.Optimizer) -> None:
    ids = torch.randint(0, 128, (2, 16))
    model(ids, labels=ids).loss.backward()
    optimizer.step()
    optimizer.zero_grad()


def test_save_verify_fall_back_and_load_on_s3(s3_server, s3_bucket, train_config, tmp_path):
    torch.manual_seed(0)
    model, optimizer, _ = tiny_model(train_config, tmp_path)
    root = f"s3://{s3_bucket}/run/checkpoints"
    step_once(model, optimizer)
    checkpoint.save(root, 1, model, optimizer, {"step": 1, "tokens": 1}, keep_last=3)
    want = {k: v.clone() for k, v in model.state_dict().items()}
    with_state = len(optimizer.state)
    assert with_state < len(list(model.parameters()))  # some parameters had no gradient yet (MTP here): no AdamW state
    step_once(model, optimizer)
    checkpoint.save(root, 2, model, optimizer, {"step": 2, "tokens": 2}, keep_last=3)
    found = checkpoint.list_checkpoints(root)
    assert [str(p).rsplit("/", 1)[-1] for p in found] == ["step-000001", "step-000002"]
    checkpoint.verify(found[-1])

    s3 = s3_server.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="run/checkpoints/step-000002/")["Contents"]]
    shard = max((k for k in keys if k.endswith(".distcp")), key=lambda k: s3.head_object(Bucket=s3_bucket, Key=k)["ContentLength"])
    body = bytearray(s3.get_object(Bucket=s3_bucket, Key=shard)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    s3.put_object(Bucket=s3_bucket, Key=shard, Body=bytes(body))

    good = checkpoint.latest_good(root)  # the damaged step 2 is skipped
    assert str(good).endswith("step-000001")
    fresh, fresh_opt, _ = tiny_model(train_config, tmp_path)
    state = checkpoint.load(good, fresh, fresh_opt)
    assert state["step"] == 1
    assert len(fresh_opt.state) == with_state  # and they have none after the load either: their first update is the same
    for name, value in fresh.state_dict().items():
        assert torch.equal(value, want[name]), name
