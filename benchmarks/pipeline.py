"""End-to-end generate throughput with 1 and 2 workers against the bare per-row work of one core.

    python benchmarks/pipeline.py [--shards 8] [--records-per-shard 1000]

Measures, in one run: the bare per-row rate of one core (`RowMaker.row`: sample, check, render, corrupt; no
Ray, no Parquet; the same rows), then the whole job (Ray tasks, Arrow, zstd Parquet, atomic rename,
manifest) with 1 and 2 workers.
Targets on a 2-core machine: scaling 1 -> 2 workers >= 85%; end-to-end (1 worker) >= 70% of bare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Scripts here are named like our packages (benchmarks/noise.py): keep this folder off sys.path, so neither
# this process nor the Ray workers (which inherit the script's folder) import a script as a package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from pipelines.dataset import ray_runtime  # noqa: E402
from pipelines.dataset.config import GenerateConfig, RayConfig, validate  # noqa: E402
from pipelines.dataset.build import run  # noqa: E402
from pipelines.dataset.rows import RowMaker  # noqa: E402

TARGET_SCALING = 0.85
TARGET_OF_BARE = 0.70


def config(out: str, shards: int, records: int, workers: int) -> GenerateConfig:
    """The default job (conf/ defaults: mixed domains, default curriculum), at benchmark size."""
    return validate(dict(out_dir=out, shards=shards, records_per_shard=records, workers=workers, progress=False,
                         domain={"name": "mixed", "weights": {"financial": 1.0, "legal": 1.0, "medical": 1.0}}))


def bare_rate(cfg: GenerateConfig, stride: int) -> tuple[float, int]:
    """Rows/s of the per-row work alone (sample, check, render, corrupt, row dict) on one core, no Ray or Parquet."""
    maker = RowMaker.from_config(cfg)
    positions = [(s, r) for s in range(cfg.shards) for r in range(0, cfg.records_per_shard, stride)]
    for s, r in positions[:50]:  # warm caches, as the workers are warm
        maker.row(s, r)
    t0 = time.perf_counter()
    for s, r in positions:
        maker.row(s, r)
    return len(positions) / (time.perf_counter() - t0), len(positions)


def end_to_end(root: Path, shards: int, records: int, workers: int) -> dict:
    out = root / f"workers-{workers}"
    report = run(config(str(out), shards, records, workers))
    tasks = report.task_seconds
    in_tasks = sum(t["rows"] + t["encode"] + t["write"] for t in tasks)
    return {
        "workers": workers,
        "rows": report.rows,
        "seconds": report.seconds,
        "rows_per_s": report.rows / report.seconds,
        "mb_per_s": report.bytes_written / 1e6 / report.seconds,
        "bytes": report.bytes_written,
        # Driver wall time not covered by task work, per shard: scheduling, transfer, manifest, card.
        "overhead_per_shard_s": (report.seconds * workers - in_tasks) / len(tasks),
        "task_split": {k: sum(t[k] for t in tasks) / in_tasks for k in ("rows", "encode", "write")},
        "out": str(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--records-per-shard", type=int, default=1000)
    parser.add_argument("--bare-stride", type=int, default=4, help="bare rate over every n-th row")
    parser.add_argument("--repeat", type=int, default=1, help="alternate the measurements n times, keep the best")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/pipeline.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()

    t0 = time.perf_counter()
    ray_runtime.start(RayConfig())
    ray_start = time.perf_counter() - t0
    root = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    try:
        run(config(str(root / "warmup"), 2, 20, 2))  # both workers import everything before timing
        cfg = config(str(root / "bare"), args.shards, args.records_per_shard, 1)
        # Alternate the three measurements and keep the best of each: a shared machine's load drifts.
        bares, trials = [], {1: [], 2: []}
        for _ in range(args.repeat):
            bares.append(bare_rate(cfg, args.bare_stride))
            for w in (1, 2):
                shutil.rmtree(root / f"workers-{w}", ignore_errors=True)
                trials[w].append(end_to_end(root, args.shards, args.records_per_shard, w))
        bare, bare_rows = max(bares)
        runs = [max(trials[w], key=lambda r: r["rows_per_s"]) for w in (1, 2)]
        identical = all(
            (Path(runs[0]["out"]) / rel).read_bytes() == (Path(runs[1]["out"]) / rel).read_bytes()
            for rel in ["manifest.json", *(f"shards/train-{i:05d}.parquet" for i in range(args.shards))]
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    one, two = runs
    scaling = two["rows_per_s"] / (2 * one["rows_per_s"])
    of_bare = one["rows_per_s"] / bare
    print(f"{args.shards} shards x {args.records_per_shard} rows, mixed domains, default curriculum, best of "
          f"{args.repeat}; ray start {ray_start:.1f}s; load avg before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"{'':<26}{'rows/s':>10}{'MB/s':>8}{'seconds':>9}{'overhead/shard':>16}")
    print(f"{'bare, 1 core':<26}{bare:>10,.0f}{'':>8}{bare_rows / bare:>9.1f}{'':>16}")
    for r in runs:
        print(f"{'end to end, ' + str(r['workers']) + ' worker(s)':<26}{r['rows_per_s']:>10,.0f}{r['mb_per_s']:>8.2f}"
              f"{r['seconds']:>9.1f}{r['overhead_per_shard_s'] * 1e3:>13.0f} ms")
    split = ", ".join(f"{k} {v:.0%}" for k, v in one["task_split"].items())
    print(f"inside a task: {split}")
    print(f"scaling 1 -> 2 workers: {scaling:.0%} (target >= {TARGET_SCALING:.0%})")
    print(f"end to end / bare (1 worker): {of_bare:.0%} (target >= {TARGET_OF_BARE:.0%})")
    print(f"1 and 2 workers byte-identical: {identical}")

    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_before": load_before, "load_avg_after": os.getloadavg()},
        "shards": args.shards,
        "records_per_shard": args.records_per_shard,
        "repeat": args.repeat,
        "ray_start_s": ray_start,
        "bare_rows_per_s": bare,
        "bare_rows_measured": bare_rows,
        "end_to_end": [{k: v for k, v in r.items() if k != "out"} for r in runs],
        "scaling_efficiency": scaling,
        "end_to_end_of_bare": of_bare,
        "targets": {"scaling_efficiency": TARGET_SCALING, "end_to_end_of_bare": TARGET_OF_BARE},
        "byte_identical_1_vs_2_workers": identical,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
