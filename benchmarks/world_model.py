"""Records/second per core for sample + check + render, per domain (target: >= 5,000).

    python benchmarks/world_model.py [--records 20000]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this file's name shadows the package it measures
import world_model


def measure(name: str, records: int) -> dict:
    dom = world_model.domain(name)
    for seed in range(200):  # warm caches before timing
        dom.render(dom.sample(seed), seed)
    stages = {"sample": 0.0, "check": 0.0, "render": 0.0}
    violations = 0
    for i in range(records):
        seed = world_model.derive_seed("bench", name, i)
        t0 = time.perf_counter()
        rec = dom.sample(seed)
        t1 = time.perf_counter()
        violations += len(dom.check(rec))
        t2 = time.perf_counter()
        dom.render(rec, seed)
        t3 = time.perf_counter()
        stages["sample"] += t1 - t0
        stages["check"] += t2 - t1
        stages["render"] += t3 - t2
    total = sum(stages.values())
    return {
        "domain": name,
        "records": records,
        "records_per_s": records / total,
        "us_per_record": {k: 1e6 * v / records for k, v in stages.items()},
        "violations": violations,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/world_model.json"))
    args = parser.parse_args()
    rows = [measure(name, args.records) for name in world_model.domains()]
    print(f"{'domain':<10} {'records/s/core':>15} {'sample us':>10} {'check us':>9} {'render us':>10} {'violations':>11}")
    for r in rows:
        us = r["us_per_record"]
        print(f"{r['domain']:<10} {r['records_per_s']:>15,.0f} {us['sample']:>10.1f} {us['check']:>9.1f} "
              f"{us['render']:>10.1f} {r['violations']:>11}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "target_records_per_s": 5000,
                                    "results": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
