"""Robustness evaluation of an exported model on held-out sets at fixed noise levels.

    python -m pipelines.evaluate export=RUN/export data=HELDOUT_DIR [out=DIR] [max_rows=200] [batch_size=8]

HELDOUT_DIR holds one dataset per noise level, made by the generate job with a seed the training
corpus did not use and a fixed level for every row (`make_heldout` runs exactly this):

    python -m pipelines.generate -m 'out_dir=HELDOUT_DIR/level-${noise_level}' seed=1000 \
        noise_level=0.0,0.25,0.5,1.0 shards=1 records_per_shard=200

The same seed gives the same records and renderings at every level; only the noise differs. Every
family is measured on its own: a row's edits never overlap, so applying only one family's edits to the
clean text gives that family's noisy text exactly (the row's full noisy text is the family `all`).
Metrics (docs/evaluation.md says how each is defined):
  denoise_loss         clean-target loss given the noisy input, nats per target token (level 0: a copy)
  repair_exact_match   touched field values the model reproduces exactly (greedy given the true prefix)
  preference_rate      consistent record has the lower loss than its logically violated twin
  auroc                of the per-token loss as an inconsistency detector (violated = positive)
  susceptibility       field completions changed by a misleading preface / contradictory instruction
  clean_lm_loss        plain language-modelling loss on noise-free text
Writes OUT/metrics.json, OUT/report.md and OUT/*.png (default OUT: EXPORT/../eval).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from model.export import load_pretrained

import world_model
from noise import FAMILIES, Edit, apply
from pipelines import cli
from pipelines.evaluation import metrics as M
from pipelines.evaluation.config import EvalConfig
from pipelines.training.loading import Corpus, Specials, read_rows
from pipelines.training.tokenizer import load_tokenizer
from world_model import derive_seed

HELDOUT_SEED = 1000
HELDOUT_LEVELS = (0.0, 0.25, 0.5, 1.0)
ATTACK_OPS = ("misleading_preface", "contradictory_instruction")
ROW_COLUMNS = ("id", "domain", "record", "clean_text", "noisy_text", "edits", "violations")


# ---- held-out data ---------------------------------------------------------------------------------


def heldout_command(out: str | Path, seed: int = HELDOUT_SEED, rows: int = 200,
                    levels: tuple[float, ...] = HELDOUT_LEVELS, python: str = sys.executable) -> list[str]:
    """The generate multirun that writes one fixed-level dataset per level under `out`."""
    return [python, "-m", "pipelines.generate", "-m", f"out_dir={Path(out)}/level-${{noise_level}}", f"seed={seed}",
            "noise_level=" + ",".join(str(float(x)) for x in levels), "shards=1", f"records_per_shard={rows}",
            "progress=false"]


def make_heldout(out: str | Path, seed: int = HELDOUT_SEED, rows: int = 200,
                 levels: tuple[float, ...] = HELDOUT_LEVELS) -> list[Path]:
    """Generate the held-out sets (the generate job skips sets already on disk); returns their folders."""
    cmd = heldout_command(out, seed, rows, levels)
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode:
        raise RuntimeError(f"held-out generation failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    return [Path(out) / f"level-{float(x)}" for x in levels]


def discover(data: str | Path) -> list[tuple[float, Path]]:
    """(noise level, dataset folder) of every held-out set, by level; each must have a fixed level."""
    data = Path(data)
    folders = [data] if (data / "manifest.json").is_file() else sorted(p.parent for p in data.glob("*/manifest.json"))
    if not folders:
        raise FileNotFoundError(f"{data}: no manifest.json in it or its subfolders; make held-out sets with "
                                f"`{' '.join(heldout_command(data, python='python'))}`")
    sets = []
    for folder in folders:
        level = Corpus.open(folder).manifest.config.get("noise_level")
        if level is None:
            raise ValueError(f"{folder}: a curriculum-ordered corpus, not a held-out set (generate it with noise_level=L)")
        sets.append((float(level), folder))
    return sorted(sets)


# ---- cases: the forwards to run --------------------------------------------------------------------


@dataclass
class Case:
    """One sequence to score, the clean tokens' place in it, and the token ranges whose predictions we keep."""

    ids: list[int]
    offset: int  # index in ids of clean token 0
    ranges: list[tuple[int, int]]  # clean-token index ranges (relative to offset)
    nll: float = 0.0
    count: int = 0
    correct: list[bool] = field(default_factory=list)  # per range: every greedy prediction right
    predicted: list[list[int]] = field(default_factory=list)  # per range: the greedy predictions


@dataclass
class RowCases:
    """Everything measured on one held-out row."""

    level: float
    clean_lm: Case
    denoise: dict[str, Case] = field(default_factory=dict)  # family (or `all`, or `none` at level 0) -> case
    violated_lm: Case | None = None
    identity: Case | None = None  # clean -> clean, the unattacked reference for susceptibility
    attack: Case | None = None  # preface / instruction only -> clean
    attack_targeted: list[bool] = field(default_factory=list)  # per field range: named by an instruction


class Builder:
    """Turns held-out rows into cases in the trainer's layout (pipelines.training.loading.encode)."""

    def __init__(self, tok: Any) -> None:
        self.backend = tok.backend_tokenizer
        self.sp = Specials.of(tok)
        self.render_mismatches = 0
        self._shared: dict[tuple[str, str], tuple[Case, Case]] = {}  # every level holds the same clean rows

    def _encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        enc = self.backend.encode(text, add_special_tokens=False)
        return enc.ids, enc.offsets

    def lm(self, clean_ids: list[int], ranges: list[tuple[int, int]]) -> Case:
        return Case([self.sp.bos, *clean_ids, self.sp.eos], 1, ranges)

    def denoise(self, noisy: str, clean_ids: list[int], ranges: list[tuple[int, int]]) -> Case:
        noisy_ids, _ = self._encode(noisy)
        return Case([self.sp.bos, *noisy_ids, self.sp.sep, *clean_ids, self.sp.eos], len(noisy_ids) + 2, ranges)

    def spans(self, row: dict[str, Any], seed: int) -> dict[str, tuple[int, int]] | None:
        """The field spans of the clean text, by re-rendering the record as the generate job did."""
        dom = world_model.domain(row["domain"])
        record = dom.Record.model_validate_json(row["record"])
        doc = dom.render(record, derive_seed(seed, row["id"], "render"))
        if doc.text != row["clean_text"]:
            self.render_mismatches += 1
            return None
        return doc.spans

    def row(self, row: dict[str, Any], level: float, seed: int) -> RowCases:
        clean = row["clean_text"]
        clean_ids, offsets = self._encode(clean)
        spans = self.spans(row, seed) or {}
        edits = [Edit(**{k: e[k] for k in ("family", "op", "start", "end", "original", "replacement", "constraint")})
                 for e in row["edits"]]

        by_key = dict(zip(spans, M.token_ranges(offsets, spans.values())))

        def ranges_of(keys: list[str]) -> list[tuple[int, int]]:
            return [by_key[k] for k in keys if by_key[k][1] > by_key[k][0]]

        def field_keys() -> list[str]:
            return [k for k in spans if by_key[k][1] > by_key[k][0]]

        key = (row["id"], clean)
        if key not in self._shared:  # clean LM and the copy (clean -> clean) are scored once for all levels
            self._shared[key] = (self.lm(clean_ids, []), self.denoise(clean, clean_ids, ranges_of(field_keys())))
        clean_lm, identity = self._shared[key]
        cases = RowCases(level, clean_lm)
        if not edits:
            if level == 0.0:
                cases.denoise["none"] = identity
            return cases
        for family in FAMILIES:
            mine = [e for e in edits if e.family == family]
            if mine:
                touched = M.touched_spans(spans, [(e.start, e.end) for e in mine])
                cases.denoise[family] = self.denoise(apply(clean, mine), clean_ids, ranges_of(touched))
        if len(cases.denoise) == 1:  # one family: its case is the row's whole noise
            cases.denoise["all"] = next(iter(cases.denoise.values()))
        else:
            touched = M.touched_spans(spans, [(e.start, e.end) for e in edits])
            cases.denoise["all"] = self.denoise(row["noisy_text"], clean_ids, ranges_of(touched))
        logical = [e for e in edits if e.family == "logical"]
        if logical:
            cases.violated_lm = self.lm(self._encode(apply(clean, logical))[0], [])
        attacks = [e for e in edits if e.op in ATTACK_OPS]
        if attacks and spans:
            keys = field_keys()
            cases.identity = identity
            cases.attack = self.denoise(apply(clean, attacks), clean_ids, identity.ranges)
            named = " ".join(e.replacement for e in attacks if e.op == "contradictory_instruction")
            cases.attack_targeted = [len(clean[slice(*spans[k])]) >= 2 and clean[slice(*spans[k])] in named for k in keys]
        return cases


# ---- running the model -----------------------------------------------------------------------------


class Runner:
    """Batched no-grad forwards (right-padded; causal attention keeps padding out of earlier positions)."""

    def __init__(self, model: torch.nn.Module, pad: int, device: torch.device, batch_size: int) -> None:
        self.model, self.pad, self.device, self.batch_size = model, pad, device, batch_size
        self.expert_load: torch.Tensor | None = None
        self.tokens = 0

    @torch.inference_mode()
    def run(self, cases: list[Case]) -> None:
        order = sorted(range(len(cases)), key=lambda k: len(cases[k].ids))
        for i in range(0, len(order), self.batch_size):
            batch = [cases[k] for k in order[i : i + self.batch_size]]
            width = max(len(c.ids) for c in batch)
            ids = torch.full((len(batch), width), self.pad, dtype=torch.long)
            labels = torch.full_like(ids, M.IGNORE_INDEX)
            for b, c in enumerate(batch):
                ids[b, : len(c.ids)] = torch.tensor(c.ids)
                labels[b, c.offset : len(c.ids)] = ids[b, c.offset : len(c.ids)]
            out = self.model(ids.to(self.device))
            sums, counts = M.target_nll(out.logits, labels.to(self.device))
            preds = M.greedy_predictions(out.logits).cpu()
            for b, c in enumerate(batch):
                c.nll, c.count = float(sums[b]), int(counts[b])
                for lo, hi in c.ranges:
                    p = preds[b, c.offset + lo : c.offset + hi].tolist()
                    c.predicted.append(p)
                    c.correct.append(p == c.ids[c.offset + lo : c.offset + hi])
            if out.expert_load is not None and out.expert_load.numel():
                load = out.expert_load.cpu().double()
                self.expert_load = load if self.expert_load is None else self.expert_load + load
            self.tokens += sum(len(c.ids) for c in batch)


def _all_cases(rows: list[RowCases]) -> list[Case]:
    out: dict[int, Case] = {}
    for r in rows:
        for c in (r.clean_lm, *r.denoise.values(), r.violated_lm, r.identity, r.attack):
            if c is not None:
                out[id(c)] = c  # a case shared by two families runs once
    return list(out.values())


# ---- aggregation -----------------------------------------------------------------------------------


def _loss(cases: list[Case]) -> float:
    return M.mean_loss([c.nll for c in cases], [c.count for c in cases])


def _per_token(c: Case) -> float:
    return c.nll / max(1, c.count)


def level_metrics(rows: list[RowCases]) -> dict[str, dict[str, Any]]:
    """Per family at one level: denoising loss and repair; logical detection; adversarial susceptibility."""
    by_family: dict[str, list[Case]] = defaultdict(list)
    for r in rows:
        for family, c in r.denoise.items():
            by_family[family].append(c)
    out: dict[str, dict[str, Any]] = {}
    for family, cases in by_family.items():
        repaired = [ok for c in cases for ok in c.correct]
        out[family] = {"rows": len(cases), "denoise_loss": _loss(cases),
                       "repair_exact_match": M.rate(repaired), "repair_fields": len(repaired)}
    pairs = [(_per_token(r.clean_lm), _per_token(r.violated_lm)) for r in rows if r.violated_lm is not None]
    if pairs:
        out.setdefault("logical", {}).update(detection(pairs))
    attacked = [r for r in rows if r.attack is not None]
    if attacked:
        out.setdefault("adversarial", {}).update(susceptibility(attacked))
    return out


def detection(pairs: list[tuple[float, float]]) -> dict[str, Any]:
    """Paired preference and pooled AUROC of the per-token loss (consistent = 0, violated = 1)."""
    consistent, violated = [p[0] for p in pairs], [p[1] for p in pairs]
    return {"pairs": len(pairs), "preference_rate": M.preference_rate(consistent, violated),
            "auroc": M.auroc(consistent + violated, [0] * len(pairs) + [1] * len(pairs))}


def susceptibility(rows: list[RowCases]) -> dict[str, Any]:
    changed, targeted = [], []
    for r in rows:
        flags = M.completions_changed(r.identity.predicted, r.attack.predicted)
        changed += flags
        targeted += [f for f, t in zip(flags, r.attack_targeted) if t]
    return {"attacked_rows": len(rows), "attacked_fields": len(changed), "susceptibility": M.rate(changed),
            "targeted_fields": len(targeted), "susceptibility_targeted": M.rate(targeted)}


def summarise(per_level: dict[float, list[RowCases]]) -> dict[str, float]:
    """The headline numbers (noisy levels pooled), the ones the ablation compares."""
    clean_rows = per_level.get(0.0) or [r for rows in per_level.values() for r in rows]
    noisy = [r for level, rows in per_level.items() if level > 0 for r in rows]
    all_cases = [r.denoise["all"] for r in noisy if "all" in r.denoise]
    out = {
        "clean_lm_loss": _loss([r.clean_lm for r in clean_rows]),
        "copy_loss": _loss([r.denoise["none"] for r in clean_rows if "none" in r.denoise]),
        "denoise_loss": _loss(all_cases),
        "repair_exact_match": M.rate([ok for c in all_cases for ok in c.correct]),
    }
    for family in FAMILIES:
        cases = [r.denoise[family] for r in noisy if family in r.denoise]
        out[f"denoise_loss_{family}"] = _loss(cases)
        out[f"repair_exact_match_{family}"] = M.rate([ok for c in cases for ok in c.correct])
    pairs = [(_per_token(r.clean_lm), _per_token(r.violated_lm)) for r in noisy if r.violated_lm is not None]
    det = detection(pairs) if pairs else {"preference_rate": math.nan, "auroc": math.nan}
    out["preference_rate"], out["auroc"] = det["preference_rate"], det["auroc"]
    attacked = [r for r in noisy if r.attack is not None]
    sus = susceptibility(attacked) if attacked else {"susceptibility": math.nan, "susceptibility_targeted": math.nan}
    out["susceptibility"], out["susceptibility_targeted"] = sus["susceptibility"], sus["susceptibility_targeted"]
    return out


# ---- the job ---------------------------------------------------------------------------------------


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def evaluate(cfg: EvalConfig) -> dict[str, Any]:
    """Score every held-out set, write metrics.json, report.md and plots; returns the metrics."""
    from model import CausalLM, load_ratio

    t0 = time.perf_counter()
    device = _device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    tok = load_tokenizer(cfg.model)
    model = load_pretrained(cfg.model).to(device).eval()
    if hasattr(model, "mtp"):
        model.mtp = torch.nn.ModuleList()  # MTP heads only shape training; every score here is the main head's
    builder = Builder(tok)
    runner = Runner(model, Specials.of(tok).pad, device, cfg.batch_size)
    per_level: dict[float, list[RowCases]] = {}
    sets = discover(cfg.data)
    for level, folder in sets:
        corpus = Corpus.open(folder)
        rows = [builder.row(row, level, corpus.manifest.seed)
                for shard in range(len(corpus.shards))
                for row in read_rows(corpus, shard, ROW_COLUMNS, limit=cfg.max_rows)][: cfg.max_rows]
        per_level.setdefault(level, []).extend(rows)
    runner.run(_all_cases([r for rows in per_level.values() for r in rows]))  # one pass: similar lengths batch together

    load = runner.expert_load if runner.expert_load is not None else torch.zeros(0, 0)
    metrics = {
        "model": str(cfg.model),
        "data": str(cfg.data),
        "sets": {str(level): str(folder) for level, folder in sets},
        "rows": {str(level): len(rows) for level, rows in per_level.items()},
        "render_mismatches": builder.render_mismatches,
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
    out = Path(cfg.out) if cfg.out else Path(cfg.model).resolve().parent / "eval"
    write_outputs(metrics, out, cfg.plots)
    return metrics


def write_outputs(metrics: dict[str, Any], out: Path, plots: bool = True) -> None:
    """metrics.json (nan as null), report.md, and the plots."""
    from pipelines.evaluation import report as eval_report

    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(_jsonable(metrics), indent=1) + "\n")
    images = eval_report.plot(metrics, out) if plots else []
    (out / "report.md").write_text(eval_report.markdown(metrics, images))


def _jsonable(x: Any) -> Any:
    if isinstance(x, float):
        return None if math.isnan(x) else x
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


def run(cfg: EvalConfig) -> None:
    """Check the inputs, evaluate, print the headline numbers and where the report is."""
    if not (Path(cfg.model) / "config.json").is_file():
        raise cli.InputError(f"export={cfg.model}: no exported model (config.json) there; "
                             "pass a training run's export/ folder (trainer.export=true writes it)")
    try:
        discover(cfg.data)
    except (FileNotFoundError, ValueError) as err:
        raise cli.InputError(f"data={cfg.data}: {cli.one_line(str(err))}") from None
    metrics = evaluate(cfg)
    s = metrics["summary"]
    out = Path(cfg.out) if cfg.out else Path(cfg.model).resolve().parent / "eval"
    print(f"evaluate: clean LM loss {s['clean_lm_loss']:.3f}, denoise loss {s['denoise_loss']:.3f}, "
          f"repair {s['repair_exact_match']:.3f}, preference {s['preference_rate']:.3f}, AUROC {s['auroc']:.3f}, "
          f"susceptibility {s['susceptibility']:.3f} ({metrics['seconds']} s); report {out / 'report.md'}")


def main() -> None:
    cli.main(cli.Job("evaluate", EvalConfig, run, __doc__))


if __name__ == "__main__":
    main()
