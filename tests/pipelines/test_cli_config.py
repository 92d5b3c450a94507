"""One config source: every YAML key is a schema field, no YAML restates a schema default, every job composes.

The pydantic models own the defaults (pipelines.cli feeds them to Hydra as JOB_schema); conf/JOB.yaml and
the group options state only what they change. conf/model/*.yaml are generated from model/presets.py
(the presets' single source), so only their keys are checked there.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from model import ModelConfig
from noise import Curriculum, NoiseConfig
from pipelines.dataset.config import DomainConfig, GenerateConfig, RayConfig
from pipelines.demo import DemoConfig
from pipelines.evaluation.config import EvalConfig
from pipelines.summary import SummaryConfig
from pipelines.training.config import TrainConfig, TrainerConfig
from pipelines.training.tokenizer import TokenizerConfig
from pipelines.verify import VerifyConfig

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf"
JOBS = {"generate": GenerateConfig, "verify": VerifyConfig, "summary": SummaryConfig, "tokenizer": TokenizerConfig,
        "train": TrainConfig, "evaluate": EvalConfig, "demo": DemoConfig}
GROUPS = {"domain": DomainConfig, "noise": NoiseConfig, "curriculum": Curriculum, "ray": RayConfig,
          "trainer": TrainerConfig, "model": ModelConfig}
GENERATED = {"model"}  # written by `python -m model.presets`
HYDRA_KEYS = {"defaults", "hydra"}


def _field(schema: type[BaseModel], key: str):
    for name, info in schema.model_fields.items():
        if key in (name, info.serialization_alias):
            return info
    return None


def _model_type(annotation: Any) -> type[BaseModel] | None:
    for t in (annotation, *get_args(annotation)):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def problems(schema: type[BaseModel], data: dict[str, Any], where: str, check_defaults: bool = True) -> list[str]:
    """Keys the schema lacks, and values equal to the schema's default (stated twice), as `file: key` lines."""
    out = []
    for key, value in (data or {}).items():
        if key in HYDRA_KEYS:
            continue
        info = _field(schema, key)
        if info is None:
            out.append(f"{where}{key}: not a field of {schema.__name__}")
            continue
        default = None if info.is_required() else to_jsonable_python(info.get_default(call_default_factory=True))
        if check_defaults and not info.is_required() and value == default:
            out.append(f"{where}{key}: {value!r} is {schema.__name__}'s default (stated twice)")
            continue
        nested = _model_type(info.annotation)
        if nested is not None and isinstance(value, dict):
            out += problems(nested, value, f"{where}{key}.", check_defaults)
    return out


def yaml_files() -> list[Path]:
    """Our configs; conf/hydra/ holds options of Hydra's own groups (hydra/launcher), whose plugins check them."""
    return sorted(p for p in CONF.rglob("*.yaml") if p.relative_to(CONF).parts[0] != "hydra")


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(CONF)))
def test_yaml_states_only_fields_and_only_what_differs(path):
    rel = path.relative_to(CONF)
    schema = JOBS.get(rel.stem) if len(rel.parts) == 1 else GROUPS.get(rel.parts[0])
    assert schema is not None, f"conf/{rel}: no job or group schema claims it"
    data = yaml.safe_load(path.read_text()) or {}
    assert not problems(schema, data, f"conf/{rel}: ", check_defaults=rel.parts[0] not in GENERATED)


def test_the_check_catches_an_unknown_key_and_a_restated_default():
    found = problems(TrainerConfig, {"lr": 3e-3, "lrr": 1.0, "seq_len": 64}, "x: ")
    assert found == ["x: lr: 0.003 is TrainerConfig's default (stated twice)", "x: lrr: not a field of TrainerConfig"]
    assert problems(GenerateConfig, {"curriculum": {"shape": "linear"}}, "")  # nested defaults count too


def test_every_primary_config_has_a_schema_and_every_group_option_is_read():
    assert {p.stem for p in CONF.glob("*.yaml")} == set(JOBS)
    assert {p.name for p in CONF.iterdir() if p.is_dir()} - {"hydra"} == set(GROUPS)


@pytest.mark.parametrize("job", sorted(JOBS))
def test_the_composed_defaults_validate_once_the_required_keys_are_given(job):
    from hydra import compose, initialize_config_dir

    from pipelines import cli

    cli.register(cli.Job(job, JOBS[job], lambda cfg: None))
    required = {"data": "/d", "export": "/e", "out_dir": "/o"}
    with initialize_config_dir(str(CONF), version_base="1.3"):
        cfg = compose(job, overrides=[f"{k}={v}" for k, v in required.items()
                                      if cli.schema_defaults(JOBS[job]).get(k) == "???"], return_hydra_config=True)
        from hydra.core.hydra_config import HydraConfig
        from omegaconf import open_dict

        HydraConfig.instance().set_config(cfg)  # what a run does: `${hydra:...}` resolves, the job never sees `hydra`
        with open_dict(cfg):
            del cfg["hydra"]
        config = cli.validate(cli.Job(job, JOBS[job], lambda c: None), cfg)
    assert isinstance(config, JOBS[job])


def test_trainer_defaults_are_what_the_cpu_option_ran_before():
    """The schema now owns what conf/trainer/cpu.yaml used to state (its values won over the old class defaults)."""
    t = TrainerConfig()
    assert (t.micro_batch_size, t.warmup, t.seq_len, t.batch_size, t.lr) == (8, 0.03, 256, 16, 3e-3)


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_help_and_cfg_job_exit_0_for_all_seven_and_help_lists_only_the_jobs_groups():
    calls = [[f"pipelines.{job}", flag, *(["job"] if flag == "--cfg" else [])] for job in JOBS for flag in ("--help", "--cfg")]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(_run, calls))
    for call, proc in zip(calls, done):
        assert proc.returncode == 0, (call, proc.stderr[-2000:])
    helps = {job: done[2 * i].stdout for i, job in enumerate(JOBS)}
    for job, text in helps.items():
        section = text.split("== Config groups")[1].split("== Config (")[0]
        listed = {line.split(":")[0] for line in section.splitlines()[1:] if ":" in line}
        expected = {"generate": {"domain", "noise", "curriculum", "ray"}, "train": {"model", "trainer"}}.get(job, set())
        assert listed == expected, (job, section)
    assert "level-${noise_level}" in helps["evaluate"]  # `$` survives OmegaConf and string.Template
    cfg = yaml.safe_load(done[2 * list(JOBS).index("train") + 1].stdout)
    assert cfg["trainer"]["micro_batch_size"] == 8 and cfg["model"]["hidden_size"] == 128 and cfg["data"] == "???"


@pytest.mark.slow
def test_a_wheel_ships_every_config_where_the_cli_looks_without_a_checkout(tmp_path):
    """A non-editable install has no conf/ beside the package: the wheel puts it in PREFIX/share/curriculum-forge."""
    import shutil
    import zipfile

    src = tmp_path / "src"  # a copy: building writes build/ and *.egg-info beside pyproject.toml
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "conf", "world_model", "noise", "model", "pipelines"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, src / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(src),
                           "-w", str(tmp_path / "dist")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    shipped = {n.split("/share/curriculum-forge/conf/", 1)[1] for n in zipfile.ZipFile(wheel).namelist()
               if "/share/curriculum-forge/conf/" in n}
    assert shipped == {str(p.relative_to(CONF)) for p in CONF.rglob("*.yaml")}  # Hydra's own groups (hydra/launcher) too
