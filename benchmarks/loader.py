"""Tokens/s delivered to one rank, world 1..64 (ranks simulated in one process), old loader beside the new.

    python benchmarks/loader.py [--work DIR] [--shards 8] [--records-per-shard 1000] [--seq-len 2048] [--batch-size 128]

Makes the demo-sized corpus (`python -m pipelines.generate`, `python -m pipelines.tokenizer`, whose second
half tokenizes it once on Ray), times that tokenize-once step with 1 and 2 Ray workers and checks their files
are byte-identical, then measures rank 0 of each world size on local disk and on a moto S3 server
(tests/object_store.py's start_server): the old loader (TokenizingLoader: every rank tokenizes the whole
global batch and keeps ids[rank::world]) and the new one (Loader: token files, only this rank's ranges),
both in this thread with prefetch off, on one core. Writes benchmarks/results/loader.json.
Target: new loader >= 2M tokens/s per rank at every world size, flat within 20% from world 1 to 64.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Scripts here are named like our packages (benchmarks/noise.py): keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from pipelines.dataset.config import RayConfig  # noqa: E402
from pipelines.training.loading import Corpus, Loader, TokenizingLoader, tokenizer_fingerprint  # noqa: E402
from pipelines.training.token_files import tokenize_on_ray  # noqa: E402
from pipelines.training.tokenizer import load_tokenizer  # noqa: E402
from pipelines.training.tokens import folder_of  # noqa: E402

WORLDS = (1, 2, 4, 8, 64)
TARGET_TOK_S = 2_000_000
TARGET_FLAT = 0.20
RESULTS = ROOT / "benchmarks" / "results" / "loader.json"


def job(*args: str) -> None:
    env = os.environ | {"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run([sys.executable, "-m", *args], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def make_corpus(work: Path, shards: int, records: int) -> Path:
    """The demo-sized corpus and its tokenizer (kept in --work between runs)."""
    data = work / "data"
    if not (data / "tokenizer" / "tokenizer.json").is_file():
        shutil.rmtree(data, ignore_errors=True)
        job("pipelines.generate", f"out_dir={data}", f"shards={shards}", f"records_per_shard={records}")
        job("pipelines.tokenizer", f"data={data}", "tokens=false")
    return data


def tokenize_once(data: Path, work: Path) -> dict:
    """Token files on Ray with 1 and 2 workers (fresh copies): wall time, files, bytes, identical or not."""
    tok_dir = data / "tokenizer"
    out: dict = {}
    made = {}
    for workers in (1, 2):
        copy = work / f"tok{workers}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(data, copy, ignore=shutil.ignore_patterns("tokens"))
        began = time.perf_counter()
        mf = tokenize_on_ray(str(copy), tok_dir, RayConfig(num_cpus=workers, log_to_driver=False), in_flight=workers,
                             say=lambda _: None)
        wall = time.perf_counter() - began
        folder = copy / folder_of(mf["tokenizer"])
        made[workers] = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
        out[f"workers_{workers}"] = {"wall_s": round(wall, 2), "files": len(made[workers]),
                                     "bytes": sum(len(b) for b in made[workers].values()), "tokens": mf["total"]}
    out["byte_identical"] = made[1] == made[2]
    shutil.rmtree(data / "tokens", ignore_errors=True)
    shutil.copytree(work / "tok2" / "tokens", data / "tokens")
    return out


def rate(make, seconds: float, min_steps: int) -> float:
    """Tokens per second delivered to this rank (input ids of its micro-batches), over >= seconds and min_steps."""
    loader = make()
    next(loader)  # opening files and indexes is not steady-state delivery
    tokens, steps, began = 0, 0, time.perf_counter()
    while steps < min_steps or time.perf_counter() - began < seconds:
        batch = next(loader)
        tokens += sum(m.input_ids.numel() for m in batch.micro)
        steps += 1
    return tokens / (time.perf_counter() - began)


def measure(corpus: Corpus, tok, seq: int, batch: int, old: bool, seconds: float) -> dict[int, float]:
    out = {}
    for world in WORLDS:
        kw = dict(rank=0, world=world, cycle=True, prefetch=0)
        if old:
            out[world] = rate(lambda: TokenizingLoader(corpus, tok, seq, batch, 1, **kw), seconds / 2, 1)
        else:
            out[world] = rate(lambda: Loader(corpus, tok, seq, batch, 1, say=lambda _: None, **kw), seconds, 3)
        print(f"  {'old' if old else 'new'} world {world:>2}: {out[world] / 1e6:8.3f}M tok/s per rank", flush=True)
    return out


def on_s3(data: Path):
    """The corpus (with its token files) copied to a fresh moto S3 server; returns (server process, URI)."""
    import pyarrow.fs as pafs

    sys.path.insert(0, str(ROOT / "tests"))
    from object_store import start_server

    proc, server = start_server()
    os.environ.update(server.env)
    server.client().create_bucket(Bucket="bench")
    s3 = pafs.S3FileSystem(endpoint_override=server.endpoint)
    pafs.copy_files(str(data), "bench/data", pafs.LocalFileSystem(), s3)
    return proc, "s3://bench/data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/cf-loader-bench")
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--records-per-shard", type=int, default=1000)
    ap.add_argument("--seq-len", type=int, default=2048)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = make_corpus(work, args.shards, args.records_per_shard)
    print("tokenize once on Ray ...", flush=True)
    once = tokenize_once(data, work)
    print(f"  {json.dumps(once)}", flush=True)
    tok = load_tokenizer(data / "tokenizer")
    results: dict = {}
    proc, uri = on_s3(data)
    try:
        for where, corpus in (("local", Corpus.open(data)), ("s3", Corpus.open(uri))):
            print(f"{where}:", flush=True)
            results[where] = {"new": measure(corpus, tok, args.seq_len, args.batch_size, False, args.seconds),
                              "old": measure(corpus, tok, args.seq_len, args.batch_size, True, args.seconds)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    per_rank = results["local"]["new"]
    flat = min(per_rank.values()) / max(per_rank.values())
    print(f"\ntokens/s delivered to rank 0 (seq_len {args.seq_len}, global batch {args.batch_size}; one thread)")
    print(f"| world | new local | old local | new S3 | old S3 |\n| --- | --- | --- | --- | --- |")
    for w in WORLDS:
        cells = [results[k][v][w] for k, v in (("local", "new"), ("local", "old"), ("s3", "new"), ("s3", "old"))]
        print(f"| {w} | " + " | ".join(f"{c / 1e6:.3f}M" for c in cells) + " |")
    ok = min(per_rank.values()) >= TARGET_TOK_S and flat >= 1 - TARGET_FLAT
    print(f"target: >= {TARGET_TOK_S / 1e6:g}M tok/s per rank, flat within {TARGET_FLAT:.0%}: "
          f"min {min(per_rank.values()) / 1e6:.2f}M, min/max {flat:.2f} -> {'met' if ok else 'NOT met'}")
    corpus = Corpus.open(data)
    report = {
        "per_rank_tok_s": {str(w): round(v) for w, v in per_rank.items()},
        "target": {"per_rank_tok_s": TARGET_TOK_S, "flat_within": TARGET_FLAT, "met": ok, "min_over_max": round(flat, 3)},
        "runs": {where: {kind: {str(w): round(v) for w, v in r.items()} for kind, r in res.items()}
                 for where, res in results.items()},
        "tokenize_once": once,
        "corpus": {"shards": len(corpus.shards), "rows": corpus.rows, "tokenizer": tokenizer_fingerprint(tok)},
        "settings": {"seq_len": args.seq_len, "batch_size": args.batch_size, "micro_batch_size": 1, "prefetch": 0,
                     "threads": 1, "seconds_per_point": args.seconds},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "command": "python benchmarks/loader.py " + " ".join(sys.argv[1:]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
