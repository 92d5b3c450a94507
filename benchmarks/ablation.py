"""The curriculum-denoising ablation: does noise in the final 15% of pretraining buy robustness, and what does it cost?

    python benchmarks/ablation.py                       # the study: 3 arms x 3 seeds, micro, bytes (20.8M tokens a run; ~3.5 h on 2 quiet cores)
    python benchmarks/ablation.py --quick               # CI: 1 seed, tiny budget, deterministic (<= 5 min on one core)
    python benchmarks/ablation.py --device cuda --workers 1 --tokens 60e6   # on a GPU (same script, larger budget; untested so far)
    python benchmarks/ablation.py [--out runs/ablation] [--results docs/results]

Re-running the same command skips finished runs and continues partial ones from their checkpoints.

Hypotheses, stated before any run (per seed, differences are paired: same seed, same data order):
  H1  curriculum lowers noise sensitivity against none, on our noise and on the natural-typo set;
  H2  what curriculum costs in clean bits/byte against none;
  H3  curriculum against uniform (equal noise exposure), on sensitivity and on clean bits/byte.

One clean corpus of short rows (generate job, max_doc_bytes) in three curricula over the same records:
  none        no noise
  curriculum  clean until the last ~15% of steps, then noise ramped linearly to level 1 (the default
              curriculum, its start moved so the ramp covers the last 15% of *steps*: noisy pairs are longer);
              it branches from the none arm's checkpoint at the last step before the data differ (~85%),
              same seed, so its first 85% is the none arm's and B - A isolates the final phase
  uniform     the curriculum's mean noise level at every step (the same exposure, spread)
Rows are packed whole (a noisy -> clean pair never straddles a window) and every arm trains the same
steps and tokens (the curriculum arm's one pass; shorter arms loop). The metrics (pipelines/evaluation/
sensitivity.py) are language modelling of held-out documents from unseen seeds, the same for every arm.
The power check comes first: only if every arm is well below unigram and noise measurably hurts the
none arm does the report compare arms; otherwise it says "no answer at this budget" and how many tokens
the measured curves say are needed.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARMS = ("none", "curriculum", "uniform")
T_975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}  # two-sided 95%, by dof
PROBE_SEED, UNIGRAM_SEED = 7_000_001, 7_000_002  # held-out record seeds: no training corpus derives from these


@dataclass
class Budget:
    """Everything that sizes the study; --quick and the full study differ only here."""

    seeds: int
    tokens: float  # clean-row tokens the corpus is sized to; a run is the curriculum corpus's one pass, ~1.4x this (padding, pairs)
    row_bytes: int  # max_doc_bytes: clean documents cut to at most this many UTF-8 bytes
    seq_len: int  # window: a whole noisy -> clean pair of row_bytes each fits
    batch: int
    lr: float
    probes: int  # held-out documents for the final metrics
    curve_probes: int  # held-out documents per curve point
    curve_points: int = 20  # checkpoints per run (every 5% of steps), each scored on the curve probes
    records_per_shard: int = 0  # 0: from tokens
    shards: int = 8


FULL = Budget(seeds=3, tokens=15e6, row_bytes=256, seq_len=640, batch=8, lr=3e-3, probes=192, curve_probes=48)
QUICK = Budget(seeds=1, tokens=0.05e6, row_bytes=128, seq_len=320, batch=4, lr=3e-3, probes=16, curve_probes=8, curve_points=4,
               shards=2)


# ---- data --------------------------------------------------------------------------------------------


def curricula(start: float, uniform_level: float = 0.0) -> dict[str, dict[str, Any]]:
    """The three arms' curricula: none, the default linear ramp from `start`, and one level at every step."""
    from noise import Curriculum

    default = Curriculum().model_dump(mode="json")  # the default curriculum: its schema owns the values
    return {"none": default | {"max_level": 0.0},
            "curriculum": default | {"start": round(start, 4), "end": 1.0, "shape": "linear", "max_level": 1.0},
            "uniform": default | {"start": 0.0, "end": 0.0, "shape": "step", "max_level": round(uniform_level, 4)}}


def stream_noise(data: str, tok: Any, b: Budget, chunks: int) -> tuple[float, float, int | None]:
    """Over the first `chunks` windows of a corpus: mean noise level per token, share of non-padding, first noisy window."""
    from pipelines.training.loading import Corpus, PackedStream

    noise = filled = n = 0.0
    first = None
    for i, (chunk, _) in enumerate(PackedStream(Corpus.open(data), tok, b.seq_len, cycle=True, whole_rows=True)):
        if i >= chunks:
            break
        noise += float(chunk.noise.mean())
        filled += float((chunk.roles != 0).mean() + (chunk.ids != tok.pad_token_id).mean()) / 2
        n += 1
        if first is None and (chunk.noise > 0).any():
            first = i
    return noise / max(1, n), filled / max(1, n), first


def generate(out: Path, curriculum: dict[str, Any], b: Budget, records: int, workers: int) -> Path:
    """One corpus by the project's generate job (skips shards already made); same seed, so the same records in every arm."""
    import yaml

    from pipelines.dataset.build import run
    from pipelines.dataset.config import validate

    domain = yaml.safe_load((ROOT / "conf" / "domain" / "mixed.yaml").read_text())
    cfg = {"out_dir": str(out), "shards": b.shards, "records_per_shard": records, "seed": 0, "domain": domain,
           "curriculum": curriculum, "max_doc_bytes": b.row_bytes, "progress": False, "workers": workers,
           "ray": {"num_cpus": workers, "log_to_driver": False}}
    run(validate(cfg))
    return out


def noisy_tail_ratio(data: Path, start: float) -> float:
    """k: tokens of the rows from `start` on in this (noisy) corpus over the same rows clean (pairs are longer)."""
    from pipelines.training.loading import Corpus, read_rows

    corpus = Corpus.open(data)
    clean = total = 0
    for s in range(len(corpus.shards)):
        for r in read_rows(corpus, s, ("progress", "clean_text", "noisy_text", "edits")):
            if r["progress"] >= start:
                c = len(r["clean_text"].encode()) + 2
                clean += c
                total += c + (len(r["noisy_text"].encode()) + 1 if r["edits"] else 0)
    return total / max(1, clean)


def make_data(out: Path, b: Budget, workers: int) -> dict[str, Any]:
    """Corpora for the three arms, the byte tokenizer, the shared step count and the branch step."""
    from pipelines.training.loading import whole_rows_steps
    from pipelines.training.tokenizer import build_byte, load_tokenizer

    plan_path = out / "data" / "plan.json"
    if plan_path.is_file():
        return json.loads(plan_path.read_text())
    from pipelines.evaluation.sensitivity import make_probes

    sample = make_probes(64, UNIGRAM_SEED, b.row_bytes)
    row_tokens = statistics.mean(len(p.text.encode()) + 2 for p in sample)
    records = b.records_per_shard or max(8, math.ceil(b.tokens / row_tokens / b.shards))
    # The ramp must cover the last 15% of steps, but noisy pairs are longer than clean rows: measure how
    # much longer on a corpus ramped from 0.85 and move the start so the clean part is 85% of the tokens.
    probe_dir = generate(out / "data" / "corpus-ramp-probe", curricula(0.85)["curriculum"], b, records, workers)
    k = noisy_tail_ratio(probe_dir, 0.85)
    start = 0.85 * k / (0.15 + 0.85 * k)
    cur = curricula(start)
    corpora = {arm: str(generate(out / "data" / f"corpus-{arm}", cur[arm], b, records, workers)) for arm in ("none", "curriculum")}
    tok_dir = build_byte(None, out / "data" / "tokenizer")  # one per arm below: each caches its own corpus's token counts
    tok = load_tokenizer(tok_dir)
    for arm in ARMS:
        build_byte(None, out / "data" / f"tokenizer-{arm}")
    # Every arm trains the curriculum arm's one pass, so its ramp runs to the end; the others loop if shorter.
    steps = whole_rows_steps(corpora["curriculum"], tok, b.seq_len, b.batch)["steps"]
    exposure, _, first_noisy = stream_noise(corpora["curriculum"], tok, b, steps * b.batch)
    _, filled, _ = stream_noise(corpora["none"], tok, b, steps * b.batch)
    # uniform: the curriculum's mean noise level per token over the run, spread evenly (a row's level covers its tokens)
    cur = curricula(start, uniform_level=exposure / max(filled, 1e-9))
    corpora["uniform"] = str(generate(out / "data" / "corpus-uniform", cur["uniform"], b, records, workers))
    import ray

    ray.shutdown()
    passes = {arm: whole_rows_steps(corpora[arm], tok, b.seq_len, b.batch) for arm in ARMS}
    every = max(1, steps // b.curve_points)
    first_noisy_step = (first_noisy if first_noisy is not None else steps * b.batch) // b.batch
    branch = first_noisy_step // every * every  # the none run's last checkpoint whose data the curriculum run shares
    plan = {"records_per_shard": records, "shards": b.shards, "row_tokens_estimate": row_tokens, "noisy_tail_ratio": k,
            "ramp_start_progress": start, "curricula": cur, "corpora": corpora, "tokenizer": str(tok_dir),
            "one_pass": passes, "steps": steps, "save_every": every, "branch_step": branch,
            "first_noisy_step": first_noisy_step, "curriculum_noise_per_token": exposure, "tokens_per_step": b.batch * b.seq_len}
    plan_path.write_text(json.dumps(plan, indent=1) + "\n")
    shutil.rmtree(probe_dir, ignore_errors=True)
    return plan


# ---- one run (a worker process, one thread) ------------------------------------------------------------


def train_config(arm: str, seed: int, out: Path, plan: dict[str, Any], b: Budget, device: str) -> Any:
    """The trainer's config for one run, as pipelines.train.run takes it."""
    from model.presets import preset_fields
    from pipelines.train import TrainConfig, TrainerConfig

    trainer = TrainerConfig(steps=plan["steps"], seq_len=b.seq_len, batch_size=b.batch, micro_batch_size=b.batch, lr=b.lr,
                            warmup=0.03, cycle=True, partial=True, whole_rows=True, save_every=plan["save_every"],
                            keep_last=b.curve_points + 2, tensorboard=False, progress_bar=False, threads=1,
                            device=device, prefetch=1)
    return TrainConfig(data=plan["corpora"][arm], tokenizer=f"{plan['tokenizer']}-{arm}", out_dir=str(run_dir(out, arm, seed)), seed=seed,
                       model=preset_fields("micro"), trainer=trainer)


def run_dir(out: Path, arm: str, seed: int) -> Path:
    return out / "runs" / f"{arm}-seed{seed}"


def branch_from_none(cfg: Any, out: Path, seed: int, plan: dict[str, Any]) -> None:
    """Start the curriculum run at the none run's checkpoint where the data first differ (same seed, same rows so far)."""
    from pipelines.training import checkpoint
    from pipelines.training.config import settings_hash
    from pipelines.training.loading import Corpus

    dest = Path(cfg.out_dir) / "checkpoints"
    if checkpoint.latest(dest) is not None:
        return  # already branched (a resumed sitting)
    src = checkpoint.step_dir(run_dir(out, "none", seed) / "checkpoints", plan["branch_step"])
    target = checkpoint.step_dir(dest, plan["branch_step"])
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, target.with_name(target.name + ".tmp"))
    state = json.loads((target.with_name(target.name + ".tmp") / "trainer.json").read_text())
    manifest = Corpus.open(cfg.data).manifest.config_hash  # same rows up to here; later rows differ
    # A checkpoint is bound to its corpus (resume refuses another); the fork is deliberate, so rebind it to this arm's.
    state["settings"]["data"]["manifest"] = manifest
    state["settings_hash"] = settings_hash(state["settings"])
    checkpoint.rewrite_state(target.with_name(target.name + ".tmp"), state)  # trainer.json and its checksum
    metrics = [line for line in (run_dir(out, "none", seed) / "metrics.jsonl").read_text().splitlines()
               if json.loads(line)["step"] <= plan["branch_step"]]
    (Path(cfg.out_dir) / "metrics.jsonl").write_text("".join(m + "\n" for m in metrics))
    target.with_name(target.name + ".tmp").rename(target)


def load_step(ckpt: Path, fields: dict[str, Any], tok: Any) -> Any:
    """The model of one checkpoint folder (weights only)."""
    from model import CausalLM
    from pipelines.training.checkpoint import model_state
    from pipelines.training.parallelism import build_model

    model = CausalLM(build_model(fields, tok))
    model.load_state_dict(model_state(ckpt))
    return model.eval()


def one_run(job: dict[str, Any]) -> dict[str, Any]:
    """Train (or continue) one run, score its checkpoints on the curve probes and its end on the full probes."""
    import torch

    torch.set_num_threads(1)
    from pipelines.evaluation import sensitivity as S
    from pipelines.train import run
    from pipelines.training import checkpoint
    from pipelines.training.metrics import read_jsonl
    from pipelines.training.tokenizer import load_tokenizer

    out, plan, b = Path(job["out"]), job["plan"], Budget(**job["budget"])
    arm, seed = job["arm"], job["seed"]
    cfg = train_config(arm, seed, out, plan, b, job["device"])
    rdir = Path(cfg.out_dir)
    if (rdir / "result.json").is_file():
        return json.loads((rdir / "result.json").read_text())
    if arm == "curriculum":
        branch_from_none(cfg, out, seed, plan)
    t0 = time.perf_counter()
    if not (rdir / "export" / "model.safetensors").is_file():
        run(cfg)
    train_seconds = time.perf_counter() - t0
    tok = load_tokenizer(plan["tokenizer"])
    t1 = time.perf_counter()
    curve_probes = S.make_probes(b.curve_probes, PROBE_SEED + 1, b.row_bytes)
    curve = []
    for ckpt in checkpoint.list_checkpoints(rdir / "checkpoints"):
        state = json.loads((ckpt / "trainer.json").read_text())
        m = S.evaluate_probes(load_step(ckpt, cfg.model, tok), tok, curve_probes, levels=(1.0,), natural_rates=(1.0,), pair=False)
        curve.append({"step": state["step"], "tokens": state["tokens"], "clean_bpb": m["clean_bpb"],
                      "sensitivity_ours": m["sensitivity_ours"], "sensitivity_natural": m["sensitivity_natural"]})
        if state["step"] not in (plan["branch_step"], plan["steps"]):
            shutil.rmtree(ckpt / "optim", ignore_errors=True)  # curves need the weights only; keep the branch point whole
    final = S.evaluate_probes(load_step(checkpoint.latest(rdir / "checkpoints"), cfg.model, tok), tok,
                              S.make_probes(b.probes, PROBE_SEED, b.row_bytes), levels=(0.5, 1.0), natural_rates=(0.5, 1.0))
    records = read_jsonl(rdir / "metrics.jsonl")
    speeds = [r["tokens_per_s"] for r in records if r["step"] > (plan["branch_step"] if arm == "curriculum" else 2)]
    result = {
        "arm": arm, "seed": seed, "steps": records[-1]["step"], "tokens": records[-1]["tokens"],
        "clean_target_tokens": sum(r.get("lm_targets", 0) + r.get("denoise_targets", 0) for r in records),
        "denoise_examples": sum(r.get("denoise_examples", 0) for r in records),
        "noise_exposure": statistics.mean(r["noise_level"] for r in records),
        "first_noisy_step": next((r["step"] for r in records if r["noise_level"] > 0), None),
        "skipped_rows": max(r.get("skipped_rows", 0) for r in records),
        "final_train_loss": records[-1]["loss"],
        "curve": curve, "final": final,
        "timing": {"train_seconds": round(train_seconds, 1), "eval_seconds": round(time.perf_counter() - t1, 1),
                   "median_tokens_per_s": statistics.median(speeds) if speeds else None},
    }
    (rdir / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


# ---- scheduling, progress ------------------------------------------------------------------------------


def progress(out: Path, jobs: list[dict[str, Any]], plan: dict[str, Any], t0: float, done0: int) -> tuple[str, int]:
    """One line: steps done over steps planned (curriculum runs count only their own 15%), and an ETA."""
    from pipelines.training.metrics import read_jsonl

    done = total = 0
    for j in jobs:
        own = plan["steps"] - (plan["branch_step"] if j["arm"] == "curriculum" else 0)
        total += own
        path = run_dir(out, j["arm"], j["seed"]) / "metrics.jsonl"
        if (run_dir(out, j["arm"], j["seed"]) / "result.json").is_file():
            done += own
        elif path.is_file():
            last = read_jsonl(path)
            step = last[-1]["step"] if last else 0
            done += max(0, step - (plan["branch_step"] if j["arm"] == "curriculum" else 0))
    rate = (done - done0) / max(1e-9, time.perf_counter() - t0)
    eta = (total - done) / rate / 60 if rate > 0 else math.nan
    return f"ablation: {done:,}/{total:,} steps ({100 * done / max(1, total):.0f}%), ETA {eta:.0f} min", done


def run_all(out: Path, plan: dict[str, Any], b: Budget, workers: int, device: str) -> list[dict[str, Any]]:
    """none and uniform runs first, in parallel one-thread processes; each seed's curriculum run once its none run is done."""
    base = {"out": str(out), "plan": plan, "budget": asdict(b), "device": device}
    first = [base | {"arm": arm, "seed": s} for s in range(b.seeds) for arm in ("none", "uniform")]
    later = {s: base | {"arm": "curriculum", "seed": s} for s in range(b.seeds)}
    jobs = first + list(later.values())
    ctx = mp.get_context("spawn")
    results: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    _, done0 = progress(out, jobs, plan, t0, 0)
    with ctx.Pool(workers, maxtasksperchild=1) as pool:
        pending = {pool.apply_async(one_run, (j,)): j for j in first}
        last_note = 0.0
        while pending:
            time.sleep(0.5)
            for res, j in list(pending.items()):
                if not res.ready():
                    continue
                del pending[res]
                r = res.get()  # re-raises a worker's error here
                results.append(r)
                print(f"ablation: {r['arm']} seed {r['seed']} done: clean {r['final']['clean_bpb']:.3f} bits/byte, "
                      f"sensitivity ours {r['final']['sensitivity_ours']:+.4f}, natural {r['final']['sensitivity_natural']:+.4f}",
                      flush=True)
                if j["arm"] == "none":
                    nxt = later[j["seed"]]
                    pending[pool.apply_async(one_run, (nxt,))] = nxt
            if time.perf_counter() - last_note > 60:
                line, done = progress(out, jobs, plan, t0, done0)
                if done < done0:  # a resumed run dropped metrics lines past its checkpoint: count from here
                    t0, done0 = time.perf_counter(), done
                print(line, flush=True)
                last_note = time.perf_counter()
    return sorted(results, key=lambda r: (ARMS.index(r["arm"]), r["seed"]))


# ---- statistics and the report ---------------------------------------------------------------------------


def mean_std(values: list[float]) -> dict[str, float]:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return {"mean": statistics.mean(vals) if vals else math.nan, "std": statistics.stdev(vals) if len(vals) > 1 else math.nan,
            "n": len(vals)}


def metric(r: dict[str, Any], key: str) -> float:
    """A final metric by name: clean_bpb, sensitivity_ours, sensitivity_natural or sensitivity[family@level]."""
    f = r["final"]
    return f["sensitivity"][key] if key in f["sensitivity"] else f[key]


def paired(results: list[dict[str, Any]], a: str, b: str, key: str) -> dict[str, float]:
    """a - b per seed (same seed, same data order up to the arms' difference): mean, std, the smallest detectable effect."""
    by = {(r["arm"], r["seed"]): r for r in results}
    diffs = [metric(by[(a, s)], key) - metric(by[(b, s)], key) for s in sorted({r["seed"] for r in results})
             if (a, s) in by and (b, s) in by]
    ms = mean_std(diffs)
    n = ms["n"]
    detectable = T_975.get(n - 1, 2.0) * ms["std"] / math.sqrt(n) if n > 1 else math.nan
    return ms | {"diffs": diffs, "detectable": detectable,
                 "significant": bool(n > 1 and abs(ms["mean"]) > detectable)}


def extrapolate(curve: list[tuple[float, float]], target: float) -> float | None:
    """Tokens at which a quantity reaches `target`, from a line in log(tokens) through the curve's second half; None if it moves away."""
    pts = [(math.log(t), v) for t, v in curve if t > 0 and not math.isnan(v)]
    pts = pts[len(pts) // 2 :]
    if len(pts) < 2:
        return None
    mx, my = statistics.mean(x for x, _ in pts), statistics.mean(y for _, y in pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else 0.0
    if slope == 0:
        return None
    step = (target - pts[-1][1]) / slope  # in log tokens from the last point
    return math.exp(pts[-1][0] + step) if step > 0 else None  # step <= 0: the curve heads away from the target


def mean_curve(results: list[dict[str, Any]], arm: str, key: str) -> list[tuple[float, float]]:
    runs = [r for r in results if r["arm"] == arm]
    if arm == "curriculum":  # its first 85% is the none run of the same seed
        nones = {r["seed"]: r for r in results if r["arm"] == "none"}
        runs = [r | {"curve": [p for p in nones[r["seed"]]["curve"] if p["step"] < r["curve"][0]["step"]] + r["curve"]}
                if r["seed"] in nones else r for r in runs]
    steps = sorted({p["tokens"] for r in runs for p in r["curve"]})
    return [(t, statistics.mean(p[key] for r in runs for p in r["curve"] if p["tokens"] == t)) for t in steps]


def power_check(results: list[dict[str, Any]], unigram: float, plan: dict[str, Any]) -> dict[str, Any]:
    """Can this study see an effect at all? Below-unigram clean LM in every arm and noise that measurably hurts none."""
    arms = {arm: [r for r in results if r["arm"] == arm] for arm in ARMS}
    clean = {arm: mean_std([metric(r, "clean_bpb") for r in rs]) for arm, rs in arms.items()}
    bar = 0.6 * unigram
    sens = {key: mean_std([metric(r, key) for r in arms["none"]]) for key in ("sensitivity_ours", "sensitivity_natural")}
    lm_ok = all(c["n"] and c["mean"] <= bar for c in clean.values())
    hurt_ok = all(s["n"] > 1 and s["mean"] > 0 and s["mean"] >= 3 * s["std"] for s in sens.values())
    pair = {arm: mean_std([r["final"].get("pair_over_no_context") for r in arms[arm]]) for arm in ("curriculum", "uniform")}
    check: dict[str, Any] = {
        "passed": bool(lm_ok and hurt_ok),
        "unigram_bpb": unigram, "clean_bpb_bar": bar, "clean_bpb": clean, "clean_below_bar": lm_ok,
        "none_sensitivity": sens, "noise_hurts_none_by_3_std": hurt_ok,
        "seeds": len(arms["none"]),
        "pair_over_no_context": pair, "repair_reported": {a: bool(p["n"] and p["mean"] <= 0.8) for a, p in pair.items()},
    }
    if not check["passed"]:
        needed = {}
        curve = mean_curve(results, "none", "clean_bpb")
        if not lm_ok:
            t = extrapolate(curve, bar)
            needed["clean_bpb_below_bar"] = round(t) if t and t < 1e12 else "not estimable: the clean curve is not falling"
        if not hurt_ok:
            s = sens["sensitivity_ours"]
            goal = 3 * s["std"] if s["n"] > 1 and not math.isnan(s["std"]) else 0.05
            t = extrapolate(mean_curve(results, "none", "sensitivity_ours"), max(goal, 1e-3))
            needed["sensitivity_above_3_std"] = (round(t) if t and t < 1e12 else
                                                 "not estimable: sensitivity does not grow with tokens along these curves")
        check["tokens_needed_per_run"] = needed
        check["tokens_per_run"] = plan["steps"] * plan["tokens_per_step"]
    return check


HYPOTHESES = [
    ("H1", "curriculum lowers noise sensitivity against none (our noise)", "curriculum", "none", "sensitivity_ours"),
    ("H1", "curriculum lowers noise sensitivity against none (natural typos)", "curriculum", "none", "sensitivity_natural"),
    ("H2", "curriculum's cost in clean bits/byte against none", "curriculum", "none", "clean_bpb"),
    ("H3", "curriculum vs uniform at equal exposure: noise sensitivity (ours)", "curriculum", "uniform", "sensitivity_ours"),
    ("H3", "curriculum vs uniform at equal exposure: noise sensitivity (natural)", "curriculum", "uniform", "sensitivity_natural"),
    ("H3", "curriculum vs uniform at equal exposure: clean bits/byte", "curriculum", "uniform", "clean_bpb"),
]
TABLE = [("clean_bpb", "clean bits/byte"), ("sensitivity_ours", "noise sensitivity, our 3 families @1 (bits/byte)"),
         ("sensitivity_natural", "noise sensitivity, natural typos @1 (bits/byte)")]


def report(results: list[dict[str, Any]], plan: dict[str, Any], b: Budget, meta: dict[str, Any], results_dir: Path,
           quick: bool) -> dict[str, Any]:
    """ablation.json, ablation.md and ablation.png from the runs' results."""
    from pipelines.evaluation import sensitivity as S

    probes = S.make_probes(b.probes, PROBE_SEED, b.row_bytes)
    unigram = S.unigram_bits_per_byte([p.text for p in S.make_probes(512, UNIGRAM_SEED, b.row_bytes)], [p.text for p in probes])
    check = power_check(results, unigram, plan)
    keys = [k for k, _ in TABLE] + sorted(results[0]["final"]["sensitivity"])
    stats = {arm: {k: mean_std([metric(r, k) for r in results if r["arm"] == arm]) for k in keys} for arm in ARMS}
    hyps = [{"id": h, "claim": claim, "a": a, "b": bb, "metric": key, **paired(results, a, bb, key)} for h, claim, a, bb, key in HYPOTHESES]
    runs = [{k: v for k, v in r.items() if k != "timing"} for r in results]
    payload = {
        "quick": quick, "command": meta["command"], "budget": asdict(b), "plan": {k: v for k, v in plan.items() if k != "corpora"},
        "seeds": {arm: sorted(r["seed"] for r in results if r["arm"] == arm) for arm in ARMS},
        "power_check": check, "stats": stats, "hypotheses": hyps,
        "natural_typos": {arm: stats[arm]["sensitivity_natural"] for arm in ARMS} | {
            "source": "codespell dictionary.txt (Wikipedia's list of common misspellings), read from the installed package"},
        "clean_target_tokens": {arm: [r["clean_target_tokens"] for r in results if r["arm"] == arm] for arm in ARMS},
        "noise_exposure": {arm: [r["noise_exposure"] for r in results if r["arm"] == arm] for arm in ARMS},
        "runs": runs,
        "timing": {"wall_seconds": meta["wall_seconds"], "load_average_start": meta["load_start"],
                   "load_average_end": list(os.getloadavg()), "cpu_count": os.cpu_count(), "machine": platform.machine(),
                   "device": meta["device"], "runs": {f"{r['arm']}-seed{r['seed']}": r["timing"] for r in results}},
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "ablation.json").write_text(json.dumps(_finite(payload), indent=1) + "\n")
    plot(results, plan, results_dir / "ablation.png", check["clean_bpb_bar"])
    (results_dir / "ablation.md").write_text(markdown(payload, stats, hyps, check))
    return payload


def _finite(x: Any) -> Any:
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, 6)
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def fmt(s: dict[str, float], digits: int = 3) -> str:
    if not s["n"]:
        return "–"
    return f"{s['mean']:.{digits}f}" + ("" if math.isnan(s["std"]) else f" ± {s['std']:.{digits}f}")


def markdown(p: dict[str, Any], stats: dict[str, Any], hyps: list[dict[str, Any]], check: dict[str, Any]) -> str:
    b, plan, t = p["budget"], p["plan"], p["timing"]
    lines = [f"# Curriculum-denoising ablation{' — QUICK RUN (CI smoke budget: these numbers answer nothing)' if p['quick'] else ''}", "",
             f"`{p['command']}` — model `micro` (byte tokens), {b['seeds']} seed(s) per arm {p['seeds']}, "
             f"{plan['steps']} steps x {plan['tokens_per_step']:,} tokens per run, rows <= {b['row_bytes']} bytes packed whole "
             f"in {b['seq_len']}-token windows; curriculum branches from none at step {plan['branch_step']} "
             f"({plan['branch_step'] / plan['steps']:.0%}). Wall {t['wall_seconds'] / 60:.1f} min on {t['device']} "
             f"({t['cpu_count']} CPUs), load average {t['load_average_start'][0]:.1f} at start, {t['load_average_end'][0]:.1f} at end.", "",
             "Hypotheses (stated before the runs): **H1** curriculum lowers noise sensitivity against none, on our noise and "
             "on natural typos; **H2** what curriculum costs in clean bits/byte against none; **H3** curriculum against "
             "uniform at equal noise exposure, on both.", "",
             "## Power check", ""]
    lines.append(f"**{'passed' if check['passed'] else 'FAILED — no answer at this budget'}.** Unigram {check['unigram_bpb']:.3f} "
                 f"bits/byte, bar 0.6x = {check['clean_bpb_bar']:.3f}; clean bits/byte per arm: "
                 + ", ".join(f"{a} {fmt(s)}" for a, s in check["clean_bpb"].items())
                 + f" ({'all below' if check['clean_below_bar'] else 'not all below'} the bar). None arm's noise sensitivity: "
                 + ", ".join(f"{k} {fmt(s, 4)}" for k, s in check["none_sensitivity"].items())
                 + f" ({'above' if check['noise_hurts_none_by_3_std'] else 'not above'} zero by 3 seed std).")
    if not check["passed"]:
        lines += ["", f"Tokens needed per run (extrapolated from the none arm's mean learning curves, line in log tokens; "
                      f"this run: {check['tokens_per_run']:,}): {check['tokens_needed_per_run']}."]
    lines += ["", "## Results (held-out documents from unseen seeds; mean ± seed std)", "",
              "| metric | " + " | ".join(ARMS) + " |", "| --- | " + " | ".join("---" for _ in ARMS) + " |"]
    for key, label in TABLE:
        lines.append(f"| {label} | " + " | ".join(fmt(stats[a][key], 4) for a in ARMS) + " |")
    for key in sorted(stats["none"]):
        if "@" in key:
            lines.append(f"| sensitivity {key} | " + " | ".join(fmt(stats[a][key], 4) for a in ARMS) + " |")
    lines.append("| clean target tokens seen | " + " | ".join(str(p["clean_target_tokens"][a]) for a in ARMS) + " |")
    lines.append("| mean noise level over steps | " + " | ".join(", ".join(f"{x:.4f}" for x in p["noise_exposure"][a]) for a in ARMS) + " |")
    lines += ["", "![curves](ablation.png)", "", "## Effects (paired by seed; detectable = t(95%) x std / sqrt(n))", "",
              "| | claim | effect (a - b) | seed std | detectable | seen |", "| --- | --- | --- | --- | --- | --- |"]
    for h in hyps:
        std, det = (f"{h['std']:.4f}", f"{h['detectable']:.4f}") if h["n"] > 1 else ("– (1 seed)", "–")
        lines.append(f"| {h['id']} | {h['claim']} | {h['mean']:+.4f} | {std} | {det} | {'yes' if h['significant'] else 'no'} |")
    rep = {a: [r["final"].get("repair") for r in p["runs"] if r["arm"] == a] for a in ("curriculum", "uniform")}
    lines += ["", "Secondary (pair arms): bits/byte of the clean document after `<doc> noisy <sep>` over no context: "
              + ", ".join(f"{a} {fmt(s)}" for a, s in check["pair_over_no_context"].items()) + "."]
    for a, ok in check["repair_reported"].items():
        if ok:
            lines.append(f"Repair (teacher-forced) for {a}: " + "; ".join(
                f"char accuracy {x['char_accuracy']:.3f}, exact match {x['exact_match']:.3f}" for x in rep[a] if x))
        else:
            lines.append(f"Repair for {a}: not reported (the pair context does not beat no context by 0.8x).")
    lines += ["", "## Conclusion", ""]
    if p["quick"]:
        lines.append("This is the `--quick` smoke run: it checks the pipeline end to end and its determinism; it answers no hypothesis.")
    if not check["passed"]:
        lines.append("**No answer at this budget**: the power check failed, so no arm comparison below means anything; "
                     "the tokens needed are above.")
    else:
        for h in hyps:
            verdict = (f"{'lower' if h['mean'] < 0 else 'higher'} by {abs(h['mean']):.4f} (> detectable {h['detectable']:.4f})"
                       if h["significant"] else f"no effect detected ({h['mean']:+.4f}, detectable {h['detectable']:.4f})")
            lines.append(f"- {h['id']} ({h['a']} − {h['b']}, {h['metric']}): {verdict}.")
    lines += ["", "Definitions: pipelines/evaluation/sensitivity.py. Per-run numbers, curves and the plan: ablation.json.", ""]
    return "\n".join(lines)


def plot(results: list[dict[str, Any]], plan: dict[str, Any], path: Path, bar: float) -> None:
    """Clean bits/byte and noise sensitivity against tokens per arm (seed means), the branch point marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, key, title in zip(axes, ("clean_bpb", "sensitivity_ours", "sensitivity_natural"),
                              ("clean bits/byte", "noise sensitivity, ours @1", "noise sensitivity, natural typos")):
        for arm in ARMS:
            pts = mean_curve(results, arm, key)
            ax.plot([t for t, _ in pts], [v for _, v in pts], marker=".", label=arm)
        ax.axvline(plan["branch_step"] * plan["tokens_per_step"], color="grey", ls="--", lw=1,
                   label=f"curriculum branches ({plan['branch_step'] / plan['steps']:.0%})")
        if key == "clean_bpb":
            ax.axhline(bar, color="black", ls=":", lw=1, label="power bar (0.6 x unigram)")
        else:
            ax.axhline(0.0, color="black", lw=0.5)
        ax.set_xlabel("training tokens")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI smoke: 1 seed, tiny budget, deterministic")
    ap.add_argument("--out", default=str(ROOT / "runs" / "ablation"), help="runs, checkpoints, corpora (resumable)")
    ap.add_argument("--results", default=str(ROOT / "docs" / "results"), help="where ablation.{md,json,png} go")
    ap.add_argument("--workers", type=int, default=2, help="parallel one-thread run processes")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--tokens", type=float, default=None, help="training tokens per run")
    ap.add_argument("--row-bytes", type=int, default=None, help="max document bytes (e.g. 128: shorter rows, cheaper runs)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = ap.parse_args()
    b = QUICK if args.quick else FULL
    overrides = {"seeds": args.seeds, "tokens": args.tokens, "row_bytes": args.row_bytes}
    b = Budget(**asdict(b) | {k: v for k, v in overrides.items() if v is not None})
    if args.row_bytes and not args.quick:
        b.seq_len = 2 * b.row_bytes + 128
    out, results_dir = Path(args.out), Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    budget_file = out / "budget.json"
    if budget_file.is_file() and json.loads(budget_file.read_text()) != asdict(b):
        raise SystemExit(f"ablation: {out} holds a study with another budget ({budget_file}); use another --out")
    budget_file.write_text(json.dumps(asdict(b), indent=1) + "\n")
    t0, load = time.perf_counter(), list(os.getloadavg())
    plan = make_data(out, b, args.workers)
    print(f"ablation: {plan['steps']} steps x {plan['tokens_per_step']} tokens per run, branch at step {plan['branch_step']}; "
          f"{b.seeds} seeds x {len(ARMS)} arms on {args.workers} processes", flush=True)
    results = run_all(out, plan, b, args.workers, args.device)
    meta = {"command": "python benchmarks/ablation.py " + " ".join(sys.argv[1:]), "wall_seconds": round(time.perf_counter() - t0, 1),
            "load_start": load, "device": args.device if args.device == "cpu" else "cuda"}
    payload = report(results, plan, b, meta, results_dir, args.quick)
    print(f"ablation: power check {'passed' if payload['power_check']['passed'] else 'FAILED (no answer at this budget)'}; "
          f"wrote {results_dir / 'ablation.md'}, ablation.json, ablation.png", flush=True)


if __name__ == "__main__":
    main()
