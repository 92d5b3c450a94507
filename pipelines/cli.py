"""One Hydra front door for the seven jobs: composition, validation, exit codes and one-line errors.

Every job is `python -m pipelines.JOB key=value ...` with `--help`, `--cfg job` and `-m`. Its pydantic
model is the schema and owns the defaults: they are registered as the config `JOB_schema`, which the
job's primary YAML (conf/JOB.yaml) lists first, so YAML states only what a file or option changes.

Exit codes: 0 ok, 1 a check failed, 2 bad config or input, 3 refused (overwrite or resume across
settings). An expected failure is one stderr line naming the field or path and the fix; a traceback
only with HYDRA_FULL_ERROR=1.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from pipelines.errors import InputError, JobError

__all__ = ["EXIT_CHECK", "EXIT_INPUT", "EXIT_OK", "EXIT_REFUSED", "InputError", "Job", "main", "one_line", "register", "say"]

EXIT_OK, EXIT_CHECK, EXIT_INPUT, EXIT_REFUSED = 0, 1, 2, 3


def _conf_dir() -> Path:
    """conf/ beside the package (a checkout, an editable install), else where a wheel installs it."""
    import sysconfig

    beside = Path(__file__).resolve().parent.parent / "conf"
    if beside.is_dir():
        return beside
    shared = [Path(sys.prefix) / "share" / "curriculum-forge" / "conf",  # a venv, a system or conda install
              Path(sysconfig.get_path("data", f"{os.name}_user")) / "share" / "curriculum-forge" / "conf"]  # pip --user
    return next((p for p in shared if p.is_dir()), shared[0])


CONF_DIR = _conf_dir()
FULL_ERROR = "HYDRA_FULL_ERROR"
# A path that is not there or not what it should be: bad input (exit 2), whichever job meets it.
PATH_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, FileExistsError, PermissionError)


@dataclass(frozen=True)
class Job:
    """What pipelines.cli needs to know about a job: its name, schema, groups and the call that does the work."""

    name: str
    schema: type[BaseModel]
    run: Callable[[Any], int | None]  # gets the validated config; returns an exit code (None: 0)
    doc: str = ""
    groups: Sequence[str] = ()  # config groups the job's primary YAML uses (listed by --help)


# ---- the config source -----------------------------------------------------------------------------


def schema_defaults(schema: type[BaseModel]) -> dict[str, Any]:
    """The schema's defaults as plain data; required fields are `???` (Hydra's missing value)."""
    out: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        key = info.serialization_alias or name
        if info.is_required():
            out[key] = "???"
        else:
            out[key] = to_jsonable_python(info.get_default(call_default_factory=True))
    return out


def slug(text: str | None) -> str:
    """A folder name for a set of overrides (`default` when there are none), with no path separators."""
    return re.sub(r"[^A-Za-z0-9=,._+-]", "_", text or "") or "default"


def help_template(job: Job) -> str:
    """`--help`: the job's docstring, only its own groups, then its composed config."""
    groups = []
    for group in job.groups:
        options = sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
        groups.append(f"{group}: {', '.join(options)}")
    text = "\n".join([
        f"== {job.name} ==", job.doc.strip(), "",
        "== Config groups (GROUP=OPTION) ==", *(groups or ["(none)"]), "",
        "== Config (KEY=VALUE overrides any key; `--cfg job` prints it; -m sweeps comma lists) ==",
    ])
    # string.Template reads `$`, OmegaConf reads `${`: escape both, then add the config placeholder.
    text = text.replace("$", "$$").replace("$${", "$\\${")
    return text + "\n$CONFIG\nExit codes: 0 ok, 1 a check failed, 2 bad config or input, 3 refused.\n"


def register(job: Job) -> None:
    """Put the job's schema defaults (and its help) into Hydra's ConfigStore as `JOB_schema`."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    OmegaConf.register_new_resolver("slug", slug, replace=True)
    node = schema_defaults(job.schema)
    node["hydra"] = {"job": {"name": job.name}, "help": {"app_name": job.name, "template": help_template(job)}}
    ConfigStore.instance().store(name=f"{job.name}_schema", node=node)


def validate(job: Job, composed: Any) -> BaseModel:
    """Resolve the composed config and check it against the job's schema."""
    from omegaconf import OmegaConf

    data = OmegaConf.to_container(composed, resolve=True, throw_on_missing=True)
    data.pop("hydra", None)
    return job.schema.model_validate(data)


# ---- running a job ---------------------------------------------------------------------------------


def main(job: Job) -> None:
    """Compose, validate and run `job`; turn every expected failure into one line and an exit code."""
    full = os.environ.get(FULL_ERROR) == "1"
    register(job)
    started = []
    os.environ[FULL_ERROR] = "1"  # Hydra re-raises instead of printing its own report; we report below

    import hydra

    @hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name=job.name)
    def task(composed: Any) -> None:
        started.append(True)
        _set_full_error(full)  # child processes (demo stages, Ray workers) see the user's setting
        try:
            config = validate(job, composed)
            check_paths(config)
            code = job.run(config)
        except Exception as err:  # noqa: BLE001 - reported here, so Hydra logs no "Error executing job"
            _exit_if_expected(job, err, full, composing=False)
            raise
        finally:
            os.environ[FULL_ERROR] = "1"
        if code:
            sys.exit(code)

    try:
        task()
    except Exception as err:  # noqa: BLE001 - every expected kind is reported in one line below
        _exit_if_expected(job, err, full, composing=not started)
        raise
    finally:
        _set_full_error(full)


def _exit_if_expected(job: Job, err: Exception, full: bool, composing: bool) -> None:
    """Print the one line and exit with its code; return (to re-raise) for a bug or under HYDRA_FULL_ERROR=1."""
    code, line = describe(err, composing=composing)
    if full or code is None:
        return
    print(f"{job.name}: {line}", file=sys.stderr, flush=True)
    sys.exit(code)


def _set_full_error(full: bool) -> None:
    if full:
        os.environ[FULL_ERROR] = "1"
    else:
        os.environ.pop(FULL_ERROR, None)


def describe(err: BaseException, composing: bool = False) -> tuple[int | None, str]:
    """(exit code, one line) for an expected failure; (None, '') for a bug, which keeps its traceback."""
    from hydra.errors import HydraException
    from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

    from pipelines.dataset.config import describe as describe_validation

    if isinstance(err, JobError):
        return err.exit_code, one_line(str(err))
    if isinstance(err, ValidationError):
        return EXIT_INPUT, f"invalid config: {describe_validation(err)}"
    if isinstance(err, MissingMandatoryValue):
        key = getattr(err, "full_key", None) or "a key"
        return EXIT_INPUT, f"{key} is required (???): pass {key}=VALUE"
    if isinstance(err, (HydraException, OmegaConfBaseException)):
        return EXIT_INPUT, _hydra_line(err)
    if isinstance(err, PATH_ERRORS):
        if getattr(err, "filename", None):
            return EXIT_INPUT, f"{err.filename}: {(err.strerror or type(err).__name__).lower()}; check the path"
        return EXIT_INPUT, one_line(str(err))
    if composing and isinstance(err, (ValueError, KeyError, TypeError)):
        return EXIT_INPUT, one_line(str(err))  # Hydra's own argument checks, before the job started
    return None, ""


def _hydra_line(err: BaseException) -> str:
    """Hydra's composition errors are several lines; keep what names the key and the fix."""
    from hydra.errors import MissingConfigException

    missing = getattr(err, "missing_cfg_file", None) if isinstance(err, MissingConfigException) else None
    if missing and "/" in missing and getattr(err, "options", None):
        group, option = missing.rsplit("/", 1)
        return f"{group}={option}: no such option; {group} is one of {', '.join(sorted(err.options))}"
    parts = [one_line(str(err))]
    cause = err.__cause__
    if cause is not None and str(cause).strip():
        first = str(cause).strip().splitlines()[0].strip()
        if first and first not in parts[0]:
            parts.append(first)
    line = "; ".join(p.rstrip(".") for p in parts if p)
    group = re.match(r"Could not override '([^']+)'\. No match in the defaults list", line)
    if group:
        return f"{group[1]}: not a config group of this job; `--help` lists its groups and keys"
    unknown = re.match(r"Could not override '([^']+)'", line)
    if unknown and "not in struct" in line:
        return f"{unknown[1]}: not a key of this job; `--help` lists its keys"
    return line


def one_line(text: str) -> str:
    """Several lines joined into one (a report must be exactly one line)."""
    lines = [s.strip() for s in str(text).strip().splitlines() if s.strip()]
    return "; ".join([s.rstrip(".") for s in lines[:-1]] + lines[-1:]) if lines else "failed"


def say(message: str) -> None:
    """Progress and results for the user go to stderr, one line each."""
    print(message, file=sys.stderr, flush=True)


def require_folder(path: str, key: str = "data", hint: str = "") -> None:
    """Fail early, in one line, on a folder that is not there or a URI that cannot be reached."""
    from pipelines.dataset.storage import Folder, check

    folder = Folder(check(path, key))
    if not folder.exists():
        raise InputError(f"{key}={path}: no such folder{'; ' + hint if hint else ''}")
    if folder.is_file(""):
        raise InputError(f"{key}={path}: a file, not a folder{'; ' + hint if hint else ''}")


def reachable(uri: str, key: str) -> None:
    """Resolve a filesystem URI now (scheme, bucket, credentials), so an unreachable one fails in one line."""
    from pipelines.dataset.storage import check

    check(uri, key)


# Config keys that hold a path or URI, wherever they sit in a job's config: checked before the job starts.
PATH_KEYS = frozenset({"data", "out_dir", "out", "tokenizer", "model", "export", "resume"})


def check_paths(config: BaseModel) -> None:
    """Validate every URI among the config's path keys (scheme, bucket, credentials) before any work."""
    from pipelines.dataset.storage import check, is_uri

    def walk(node: Any, prefix: str) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, f"{name}.")
            elif key in PATH_KEYS and isinstance(value, str) and is_uri(value):
                check(value, name)

    walk(config.model_dump(by_alias=True), "")
