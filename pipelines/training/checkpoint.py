"""Sharded checkpoints (torch.distributed.checkpoint): each rank writes its own shards, nothing is gathered.

    out_dir/checkpoints/step-000200/
        model/              DCP folder: .metadata + one __R_0.distcp per rank (FSDP2 shards, or the one copy DDP keeps)
        optim/              DCP folder: the AdamW state, sharded like the parameters it belongs to
        trainer.json        step, tokens, data position, LR schedule state, metrics of the step, settings
        rng-rank00000.pt    torch (CPU and CUDA) and Python RNG states of each rank (tensors and lists only)
        checksums.json      sha256 and size of every file above; written LAST, by rank 0

A folder is a checkpoint once checksums.json is in it: a run killed mid-save leaves a folder without it,
which `latest` never returns and the next save removes. That works the same on object storage, where
there is no rename. A re-saved step (after a resume) is deleted first and written whole again.

Load verifies every file against checksums.json (the ranks split the files between them) before any
tensor is read. DCP re-shards on load, so a checkpoint of N ranks resumes on M: each rank reads the
pieces of the saved shards that its own parameters cover. A URI target (s3://...) is written through a
local staging folder per rank and uploaded with pyarrow.fs; loading downloads the folder first.
Tensors and RNG files are read with torch.load(weights_only=True); DCP's own .metadata is a pickle, read
by DCP only after its checksum matched. checksums.json catches damage (flipped bytes, truncation, a
missing file), not tampering: resume only checkpoints you (or your storage) wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterator

import pyarrow.fs as pafs
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch import nn
from torch.distributed.checkpoint.default_planner import DefaultLoadPlanner
from torch.distributed.checkpoint.state_dict import (
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)

from pipelines.errors import Refused

STEP_DIR = re.compile(r"^step-(\d{6,})$")
CHECKSUMS = "checksums.json"
PARTS = ("model", "optim")


class Damaged(Exception):
    """A checkpoint folder whose files do not match its checksums.json (message: the first mismatch)."""


# --- where: a local path or a URI, through pyarrow.fs ------------------------------------------------------------

def _resolve(target: str | Path) -> tuple[pafs.FileSystem, str]:
    text = str(target)
    if "://" in text and not text.startswith("file://"):
        return pafs.FileSystem.from_uri(text)
    return pafs.LocalFileSystem(), str(Path(text.removeprefix("file://")).absolute())


def _is_local(target: str | Path) -> bool:
    return isinstance(_resolve(target)[0], pafs.LocalFileSystem)


def join(root: str | Path, name: str) -> str | Path:
    """root/name for a Path or a URI string."""
    return root / name if isinstance(root, Path) else f"{str(root).rstrip('/')}/{name}"


def _name(target: str | Path) -> str:
    return str(target).rstrip("/").rsplit("/", 1)[-1]


def _read(target: str | Path) -> bytes:
    fs, path = _resolve(target)
    with fs.open_input_stream(path) as f:
        return f.read()


def _write(target: str | Path, data: bytes) -> None:
    fs, path = _resolve(target)
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as f:
        f.write(data)


def _exists(target: str | Path) -> bool:
    fs, path = _resolve(target)
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def _delete_dir(target: str | Path) -> None:
    fs, path = _resolve(target)
    if fs.get_file_info(path).type == pafs.FileType.Directory:
        fs.delete_dir(path)


def _files(target: str | Path) -> dict[str, int]:
    """Relative path -> size of every file under target."""
    fs, path = _resolve(target)
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    return {i.path[len(path):].lstrip("/"): i.size for i in infos if i.type == pafs.FileType.File}


def _sha256(target: str | Path) -> str:
    fs, path = _resolve(target)
    h = hashlib.sha256()
    with fs.open_input_stream(path) as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


# --- ranks ---------------------------------------------------------------------------------------------------------

def _dist() -> bool:
    return dist.is_available() and dist.is_initialized()


def _rank() -> int:
    return dist.get_rank() if _dist() else 0


def _world() -> int:
    return dist.get_world_size() if _dist() else 1


def _barrier() -> None:
    if _dist():
        dist.barrier()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """DCP warns on every call in one process, which is the intended use there (a 1-process run or resume)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled, unavailable or uninitialized")
        yield


def _gather(obj: Any) -> list[Any]:
    """Every rank's obj, on every rank."""
    if not _dist():
        return [obj]
    out: list[Any] = [None] * _world()
    dist.all_gather_object(out, obj)
    return out


# --- listing -------------------------------------------------------------------------------------------------------

def step_dir(root: str | Path, step: int) -> str | Path:
    return join(root, f"step-{step:06d}")


def _step_dirs(root: str | Path) -> list[tuple[int, str | Path]]:
    fs, path = _resolve(root)
    infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    found = [(int(m.group(1)), join(root, i.base_name)) for i in infos
             if i.type == pafs.FileType.Directory and (m := STEP_DIR.match(i.base_name))]
    return sorted(found)


def list_checkpoints(root: str | Path) -> list[Any]:
    """Complete checkpoints (checksums.json written) under root, oldest first; Paths for a local root."""
    return [p for _, p in _step_dirs(root) if _exists(join(p, CHECKSUMS))]


def latest(root: str | Path) -> Any:
    """The newest complete checkpoint, or None (not verified: see latest_good)."""
    found = list_checkpoints(root)
    return found[-1] if found else None


def is_complete(path: str | Path) -> bool:
    """Whether path is a complete checkpoint folder (its checksums.json is written)."""
    return _exists(join(path, CHECKSUMS))


def read_state(path: str | Path) -> dict[str, Any]:
    """trainer.json of a checkpoint folder."""
    return json.loads(_read(join(path, "trainer.json")))


def rewrite_state(path: str | Path, state: dict[str, Any]) -> None:
    """Replace trainer.json of a (copied) checkpoint on purpose, and its checksum with it (e.g. rebinding a fork)."""
    data = (json.dumps(state, indent=1) + "\n").encode()
    manifest = json.loads(_read(join(path, CHECKSUMS)))
    _write(join(path, "trainer.json"), data)
    manifest["files"]["trainer.json"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    _write(join(path, CHECKSUMS), (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())


# --- RNG -----------------------------------------------------------------------------------------------------------

def rng_state() -> dict[str, Any]:
    """This process's RNG states in types torch.load(weights_only=True) accepts."""
    version, internal, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": [version, list(internal), gauss],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


# --- save ----------------------------------------------------------------------------------------------------------

def _checksums(local_dir: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    return {n: {"sha256": _sha256(local_dir / n), "bytes": (local_dir / n).stat().st_size} for n in names}


def save(root: str | Path, step: int, model: nn.Module, optimizer: torch.optim.Optimizer, trainer_state: dict[str, Any],
         keep_last: int = 3) -> str | Path:
    """Write checkpoint `step` (all ranks call this; each writes its own shards), then prune to the newest keep_last."""
    final = step_dir(root, step)
    rank, local = _rank(), _is_local(root)
    if rank == 0:
        _delete_dir(final)  # a step re-saved after a resume, or a folder a killed save left: replaced whole
    _barrier()
    # A local target is written in place; a URI is staged per rank and uploaded (pyarrow.fs has no DCP writer).
    stage = Path(_resolve(final)[1]) if local else Path(tempfile.mkdtemp(prefix=f"ckpt-r{rank}-"))
    try:
        stage.mkdir(parents=True, exist_ok=True)
        states = {"model": get_model_state_dict(model), "optim": get_optimizer_state_dict(model, optimizer)}
        for part in PARTS:
            with _quiet():
                dcp.save(states[part], storage_writer=dcp.FileSystemWriter(str(stage / part)), no_dist=not _dist())
        del states
        buf = io.BytesIO()
        torch.save(rng_state(), buf)
        (stage / f"rng-rank{rank:05d}.pt").write_bytes(buf.getvalue())
        if rank == 0:
            (stage / "trainer.json").write_text(json.dumps(trainer_state, indent=1) + "\n")
        mine = _written_by(stage, rank)
        sums = _checksums(stage, mine)
        if not local:
            for name in mine:
                _write(join(final, name), (stage / name).read_bytes())
    finally:
        if not local:
            shutil.rmtree(stage, ignore_errors=True)
    everyone = _gather(sums)
    if rank == 0:
        manifest = {"step": step, "world": _world(), "files": {k: v for part in everyone for k, v in sorted(part.items())}}
        _write(join(final, CHECKSUMS), (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
        _prune(root, keep_last)
    _barrier()
    return final


def _written_by(stage: Path, rank: int) -> list[str]:
    """The files of the step folder this rank wrote: its DCP shards and RNG; rank 0 also the metadata and trainer.json."""
    names = []
    for f in sorted(p for p in stage.rglob("*") if p.is_file()):
        rel = f.relative_to(stage).as_posix()
        base = f.name
        if base.startswith("__") and base.endswith(".distcp"):
            owner = int(base[2:].split("_", 1)[0])
        elif base.startswith("rng-rank"):
            owner = int(base[len("rng-rank"):-3])
        else:
            owner = 0
        if owner == rank:
            names.append(rel)
    return names


def _prune(root: str | Path, keep_last: int) -> None:
    """Remove folders older than the newest keep_last complete checkpoints, and incomplete ones left by a killed save."""
    complete = list_checkpoints(root)
    keep = {str(p) for p in (complete[-keep_last:] if keep_last > 0 else complete)}
    newest = max((int(_name(p).split("-")[1]) for p in complete), default=-1)
    for step, path in _step_dirs(root):
        if str(path) not in keep and (path in complete or step < newest):
            _delete_dir(path)


# --- verify and load -----------------------------------------------------------------------------------------------

def _check_one(path: str | Path, name: str, want: dict[str, Any]) -> str | None:
    target = join(path, name)
    if not _exists(target):
        return f"{name} is missing"
    fs, p = _resolve(target)
    size = fs.get_file_info(p).size
    if size != want["bytes"]:
        return f"{name} has {size} bytes, checksums.json says {want['bytes']} (truncated?)"
    if _sha256(target) != want["sha256"]:
        return f"{name}: sha256 differs from checksums.json"
    return None


def verify(path: str | Path, under: str = "") -> None:
    """Raise Damaged naming the first bad file (of those under `under`); the ranks split the files (collective when distributed)."""
    try:
        files = json.loads(_read(join(path, CHECKSUMS)))["files"]
    except (OSError, ValueError, KeyError) as e:
        problems = [f"{CHECKSUMS} unreadable ({type(e).__name__})"]
    else:
        names = sorted(n for n in files if n.startswith(under))
        mine = [n for i, n in enumerate(names) if i % _world() == _rank()]
        problems = [p for n in mine if (p := _check_one(path, n, files[n]))]
    found = [p for part in _gather(problems) for p in part]
    if found:
        raise Damaged(found[0] + (f" (+{len(found) - 1} more)" if len(found) > 1 else ""))


def latest_good(root: str | Path) -> Any:
    """The newest checkpoint that verifies; a damaged newer one is skipped with a one-line warning (rank 0).

    None when root holds no checkpoint; Refused (exit 3) when it holds some and none verifies."""
    found = list_checkpoints(root)
    bad = []
    for path in reversed(found):
        try:
            verify(path)
        except Damaged as e:
            bad.append(f"{_name(path)}: {e}")
            continue
        if bad and _rank() == 0:
            print(f"train: warning: skipping damaged checkpoint(s) {'; '.join(bad)}; resuming from {_name(path)}",
                  file=sys.stderr, flush=True)
        return path
    if bad:
        raise Refused(f"no usable checkpoint in {root}: {'; '.join(bad)}; "
                      "use trainer.resume=never to start over, or another out_dir")
    return None


def _local_copy(path: str | Path) -> tuple[Path, Path | None]:
    """A local folder holding the checkpoint: itself, or a download of it (returned second, to delete)."""
    if _is_local(path):
        return Path(_resolve(path)[1]), None
    tmp = Path(tempfile.mkdtemp(prefix=f"ckpt-load-r{_rank()}-"))
    for name in _files(path):
        dest = tmp / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(_read(join(path, name)))
    return tmp, tmp


def load(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
         verified: bool = False) -> dict[str, Any]:
    """Restore model, optimizer and this rank's RNG from a checkpoint folder (verified first); returns the trainer state."""
    if not verified:
        verify(path)
    local, cleanup = _local_copy(path)
    try:
        state = json.loads((local / "trainer.json").read_text())
        model_sd = get_model_state_dict(model)
        with _quiet():
            dcp.load(model_sd, storage_reader=dcp.FileSystemReader(str(local / "model")), no_dist=not _dist())
        set_model_state_dict(model, model_sd)
        if optimizer is not None:
            _load_optimizer(local / "optim", model, optimizer)
        rng = local / f"rng-rank{_rank():05d}.pt"
        if rng.is_file():  # a resume on more ranks than were saved keeps fresh RNG for the new ones
            set_rng_state(torch.load(rng, weights_only=True))
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
    return state


def _load_optimizer(folder: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """AdamW state from DCP. A parameter that had no gradient yet (an expert no token reached) had no state when
    saved: it is loaded partially and that parameter's state is dropped again, so its first update is the same."""
    optim_sd = get_optimizer_state_dict(model, optimizer)  # state for every parameter (DCP needs the shapes)
    reader = dcp.FileSystemReader(str(folder))
    saved = {k.split(".", 1)[1].rsplit(".", 1)[0] for k in reader.read_metadata().state_dict_metadata if k.startswith("state.")}
    with _quiet():
        dcp.load(optim_sd, storage_reader=reader, planner=DefaultLoadPlanner(allow_partial_load=True), no_dist=not _dist())
    set_optimizer_state_dict(model, optimizer, optim_sd)
    for name, param in model.named_parameters():
        if name.replace("module.", "", 1) not in saved:
            optimizer.state.pop(param, None)


def model_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The full model state dict of a checkpoint, in one process (for scoring and export tools, not for training)."""
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    verify(path, under="model/")
    local, cleanup = _local_copy(path)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            with _quiet():
                dcp_to_torch_save(str(local / "model"), f"{tmp}/model.pt")
            return torch.load(f"{tmp}/model.pt", weights_only=True)
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
