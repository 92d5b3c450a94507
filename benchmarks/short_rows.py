"""Short rows: shard-building throughput with max_doc_bytes=N against whole documents, and row lengths.

    python benchmarks/short_rows.py [--rows 1000] [--repeats 3] [--limits 256] [--start 0.85]

One process builds the same shards (rows + Parquet encode, what each generate task does, Ray excluded)
with each setting in turn, interleaved `--repeats` times; the best time per setting is reported, so a
loaded machine biases both alike. `--start 0.0` puts every row in the noisy part of the curriculum.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import world_model  # noqa: E402
from pipelines.dataset.config import validate  # noqa: E402
from pipelines.dataset.rows import RowMaker  # noqa: E402
from pipelines.dataset.shards import build  # noqa: E402

SHARDS = 4


def config(rows: int, limit: int | None, start: float):
    return validate({"out_dir": "unused", "shards": SHARDS, "records_per_shard": rows // SHARDS, "seed": 0,
                     "max_doc_bytes": limit, "curriculum": {"start": start},
                     "domain": {"name": "mixed", "weights": {d: 1.0 for d in world_model.domains()}}})


def p95(values: list[int]) -> int:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def lengths(cfg) -> dict[str, float]:
    maker = RowMaker.from_config(cfg)
    rows = [maker.row(s, r) for s in range(cfg.shards) for r in range(cfg.records_per_shard)]
    clean = [len(r["clean_text"].encode()) for r in rows]
    noisy = [len(r["noisy_text"].encode()) for r in rows]
    over = [n for n in noisy if cfg.max_doc_bytes and n > cfg.max_doc_bytes]
    logical = sum(any(e["family"] == "logical" for e in r["edits"]) for r in rows)
    return {"clean_mean": round(statistics.fmean(clean), 1), "clean_p95": p95(clean), "clean_max": max(clean),
            "noisy_mean": round(statistics.fmean(noisy), 1), "noisy_p95": p95(noisy), "noisy_max": max(noisy),
            "noisy_over_limit": len(over), "rows_with_logical": logical, "rows": len(rows)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limits", type=int, nargs="+", default=[256])
    ap.add_argument("--start", type=float, default=0.85, help="curriculum.start (0.85: the default curriculum)")
    args = ap.parse_args()
    settings = [None, *args.limits]
    cfgs = {lim: config(args.rows, lim, args.start) for lim in settings}
    for cfg in cfgs.values():
        build(cfg, 0)  # warm: domain objects, distractor pools, imports
    best = {lim: float("inf") for lim in settings}
    for _ in range(args.repeats):
        for lim, cfg in cfgs.items():
            t0 = time.perf_counter()
            for shard in range(SHARDS):
                build(cfg, shard)
            best[lim] = min(best[lim], time.perf_counter() - t0)
    out = {"rows": args.rows, "repeats": args.repeats, "curriculum_start": args.start, "settings": {}}
    for lim in settings:
        out["settings"][str(lim)] = {"rows_per_s": round(args.rows / best[lim]), **lengths(cfgs[lim])}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
