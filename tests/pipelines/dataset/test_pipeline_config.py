"""Generate configs: Hydra composition, pydantic validation right after it, one-line errors, exit code 2."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import world_model
from pipelines.dataset.config import RUN_KEYS, ConfigError, GenerateConfig, differing_keys, validate

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "conf"


def composed(*overrides: str) -> dict:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("generate", overrides=["out_dir=unused", *overrides])
    return OmegaConf.to_container(cfg, resolve=True)


def test_default_composition_validates():
    cfg = validate(composed())
    assert cfg.shards >= 1 and cfg.records_per_shard >= 1
    assert sorted(cfg.domain.weights) == ["financial", "legal", "medical"]
    assert cfg.curriculum.start == 0.85 and cfg.noise_level is None and cfg.workers is None
    assert cfg.ray.address is None


@pytest.mark.parametrize("group", ["medical", "legal", "financial", "mixed"])
def test_every_domain_group_validates(group):
    cfg = validate(composed(f"domain={group}"))
    assert cfg.domain.name == group


@pytest.mark.parametrize("group", ["default", "cosine", "none", "uniform"])
def test_every_curriculum_group_validates(group):
    validate(composed(f"curriculum={group}"))


def test_cluster_ray_group(monkeypatch):
    """Since issue 16 ray=cluster has no `auto` default: the address is named, or taken from RAY_ADDRESS."""
    cfg = validate(composed("ray=cluster", "ray.address=10.0.0.5:6379"))
    assert cfg.ray.address == "10.0.0.5:6379" and cfg.ray.cluster and cfg.ray.ship_code
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(ConfigError, match=r"ray=cluster needs ray.address=HEAD_IP:PORT"):
        validate(composed("ray=cluster"))
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.6:6379")
    assert validate(composed("ray=cluster")).ray.address == "10.0.0.6:6379"


@functools.lru_cache(maxsize=1)
def _defaults() -> str:
    return json.dumps(composed())


def with_values(**dotted) -> dict:
    """The default composition with some dotted keys set, as a Hydra override would (compose is slow)."""
    data = json.loads(_defaults())
    for key, value in dotted.items():
        *parents, leaf = key.split("__")
        node = data
        for p in parents:
            node = node[p]
        node[leaf] = value
    return data


@pytest.mark.parametrize(
    "key, value, field",
    [
        ("shards", -1, "shards"),
        ("shards", 0, "shards"),
        ("records_per_shard", 0, "records_per_shard"),
        ("records_per_shard", "abc", "records_per_shard"),
        ("curriculum__start", 1.5, "curriculum.start"),
        ("curriculum__max_level", -0.1, "curriculum.max_level"),
        ("curriculum__shape", "zigzag", "curriculum.shape"),
        ("noise__typo__max_rate", 2, "noise.typo.max_rate"),
        ("noise_level", 1.5, "noise_level"),
        ("workers", 0, "workers"),
        ("seed", -3, "seed"),
        ("row_group_size", 0, "row_group_size"),
    ],
)
def test_bad_values_name_their_field(key, value, field):
    with pytest.raises(ConfigError) as err:
        validate(with_values(**{key: value}))
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{field}: "), message


def test_negative_domain_weight_is_refused():
    data = with_values()
    data["domain"]["weights"]["medical"] = -1.0
    with pytest.raises(ConfigError, match=r"^domain.weights: Value error, weights must be >= 0"):
        validate(data)


def test_start_after_end_is_refused():
    with pytest.raises(ConfigError, match=r"^curriculum: .*start \(0.9\) must be <= end \(0.5\)"):
        validate(with_values(curriculum__start=0.9, curriculum__end=0.5))


def test_unknown_domain_is_refused():
    with pytest.raises(ConfigError, match=r"^domain: .*unknown domain\(s\) \['astrology'\]"):
        validate(composed("+domain.weights.astrology=1.0"))  # through Hydra: a new key needs the +


def test_hash_ignores_run_keys_and_differing_keys_are_named():
    a = validate(with_values())
    b = a.model_copy(update={"workers": 7, "out_dir": "elsewhere", "overwrite": True})
    assert a.content_hash() == b.content_hash() and not RUN_KEYS & set(a.content())
    c = validate(with_values(seed=5, curriculum__max_level=0.5))
    assert a.content_hash() != c.content_hash()
    assert differing_keys(a.content(), c.content()) == ["curriculum.max_level: 1.0 -> 0.5", "seed: 0 -> 5"]


@pytest.mark.parametrize(
    "override, field",
    [("shards=-1", "shards"), ("curriculum.start=1.5", "curriculum.start")],
)
def test_cli_bad_config_exits_2_with_one_line_and_writes_nothing(tmp_path, override, field):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.generate", f"out_dir={out}", override],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"generate: invalid config: {field}:"), proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []  # nothing written, Hydra's files included
    assert "ray" not in proc.stderr.lower()


def test_config_model_refuses_unknown_keys():
    data = with_values()
    data["shard"] = 3
    with pytest.raises(ConfigError, match="^shard: Extra inputs are not permitted"):
        validate(data)
    assert isinstance(validate(with_values()), GenerateConfig)
    assert world_model.domains()  # the groups above need the built-in domains
