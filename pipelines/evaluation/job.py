"""The evaluate job's body: load an export, score every held-out set in one pass, write metrics and report."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import torch

from model.export import load_pretrained
from pipelines.evaluation.cases import ROW_COLUMNS, Builder, RowCases, Runner, all_cases
from pipelines.dataset.storage import Folder, is_uri, local_copy, normalize
from pipelines.evaluation.heldout import discover
from pipelines.evaluation.scoring import level_metrics, summarise
from pipelines.progress import progress
from pipelines.training.tokenizer import load_tokenizer
from pipelines.training.loading import Corpus, Specials, read_rows


def device_of(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def out_dir(cfg: Any) -> str:
    """Where the outputs go (path or URI): cfg.out, else MODEL/../eval."""
    if cfg.out:
        return normalize(cfg.out)
    return f"{normalize(cfg.model).rpartition('/')[0]}/eval" if is_uri(cfg.model) else str(Path(cfg.model).resolve().parent / "eval")


def evaluate(cfg: Any) -> dict[str, Any]:
    """Score every held-out set, write metrics.json, report.md and plots; returns the metrics.

    `cfg` is the job's config (model, data, out, max_rows, batch_size, device, threads, plots).
    """
    from model import load_ratio

    t0 = time.perf_counter()
    device = device_of(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    tok = load_tokenizer(cfg.model)
    with local_copy(cfg.model) as local:  # an export on object storage is downloaded first
        model = load_pretrained(local).to(device).eval()
    if hasattr(model, "mtp"):
        model.mtp = torch.nn.ModuleList()  # MTP heads only shape training; every score here is the main head's
    builder = Builder(tok)
    runner = Runner(model, Specials.of(tok).pad, device, cfg.batch_size)
    per_level: dict[float, list[RowCases]] = {}
    sets = discover(cfg.data)
    for level, folder in sets:
        corpus = Corpus.open(folder)
        rows = [builder.row(row, level)
                for shard in range(len(corpus.shards))
                for row in read_rows(corpus, shard, ROW_COLUMNS, limit=cfg.max_rows)][: cfg.max_rows]
        per_level.setdefault(level, []).extend(rows)
    score(runner, all_cases([r for rows in per_level.values() for r in rows]), cfg.batch_size)

    load = runner.expert_load if runner.expert_load is not None else torch.zeros(0, 0)
    metrics = {
        "model": str(cfg.model),
        "data": str(cfg.data),
        "sets": {str(level): str(folder) for level, folder in sets},
        "rows": {str(level): len(rows) for level, rows in per_level.items()},
        "summary": summarise(per_level),
        "by_level": {str(level): level_metrics(rows) for level, rows in per_level.items()},
        "expert_load": {
            "layers": model.moe_layer_names(),
            "counts": load.tolist(),
            "max_over_mean": load_ratio(load).tolist() if load.numel() else [],
        },
        "tokens_scored": runner.tokens,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    write_outputs(metrics, out_dir(cfg), cfg.plots)
    return metrics


def score(runner: Runner, cases: list, batch_size: int, batches_per_update: int = 8) -> None:
    """Run every case, shortest first so similar lengths batch together, in slices a progress bar counts."""
    cases = sorted(cases, key=lambda c: len(c.ids))
    step = batch_size * batches_per_update  # a multiple of the batch: the same batches as one pass
    with progress(total=len(cases), desc="evaluate: cases scored", unit="case") as bar:
        for start in range(0, len(cases), step):
            runner.run(cases[start : start + step])
            bar.update(len(cases[start : start + step]))


def write_outputs(metrics: dict[str, Any], out: str | Path, plots: bool = True) -> None:
    """metrics.json (nan as null), report.md, and the plots; into a local folder, or uploaded to a URI."""
    import tempfile

    from pipelines.evaluation import report as eval_report

    folder = Folder(normalize(out))
    with tempfile.TemporaryDirectory(prefix="cf-eval-") as tmp:
        local = Path(folder.root) if folder.is_local else Path(tmp)
        local.mkdir(parents=True, exist_ok=True)
        (local / "metrics.json").write_text(json.dumps(jsonable(metrics), indent=1) + "\n")
        images = eval_report.plot(metrics, local) if plots else []
        (local / "report.md").write_text(eval_report.markdown(metrics, images))
        if not folder.is_local:
            folder.upload_dir(local, "", last=("metrics.json",))


def jsonable(x: Any) -> Any:
    """Plain JSON data with nan as None (json.dumps would write NaN, which is not JSON)."""
    if isinstance(x, float):
        return None if math.isnan(x) else x
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return x
