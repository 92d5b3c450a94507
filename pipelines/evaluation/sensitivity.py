"""Held-out probes measured the same way for every model, whatever rows it trained on.

Each probe is a short held-out document (world-model render from an unseen seed, cut to a window of
whole lines and fields as the generate job cuts its short rows) split at a line boundary near its middle. Every metric is plain language modelling of
`<doc> context target`, scored on the target's bytes only, so a model that never saw a noisy -> clean
pair is measured exactly like one that did:

  clean bits/byte      the whole clean document, no context
  noise sensitivity    bits/byte of the clean second half given the *noisy* first half minus the same given
                       the clean first half (> 0: the noise hurts), per noise family and level
  natural typos        the same with real misspellings (codespell's dictionary, from Wikipedia's list of
                       common misspellings) in place of our noise engine's edits
  pair (secondary)     the clean document after `<doc> noisy <sep>` (the training pair layout) against no
                       context, and teacher-forced repair of the touched spans (byte tokenizers only)
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

import noise
import world_model
from world_model import derive_seed

FAMILIES = ("typo", "logical", "adversarial")


@dataclass(frozen=True)
class Probe:
    """One held-out document, cut short, with where its first half ends (a line boundary)."""

    domain: str
    seed: int
    text: str  # the clean short document
    cut: int  # code-point index where the second half starts
    document: Any  # the short Document (noise needs its spans)
    record: Any
    window: Any  # the Cut that made it (logical noise cuts its re-rendering alike); None if the whole document fits

    @property
    def first(self) -> str:
        return self.text[: self.cut]

    @property
    def second(self) -> str:
        return self.text[self.cut :]


def split_point(text: str) -> int:
    """A line boundary nearest the middle (a space when the text is one line); both halves non-empty."""
    mid = len(text) // 2
    for sep in ("\n", " "):
        cands = [m.end() for m in re.finditer(re.escape(sep), text) if 0 < m.end() < len(text)]
        if cands:
            return min(cands, key=lambda i: abs(i - mid))
    return mid


def make_probes(n: int, seed: int, max_bytes: int, domains: tuple[str, ...] | None = None) -> list[Probe]:
    """n held-out probes from record seeds derived from `seed` (use one no training corpus used), domains in turn."""
    from pipelines.dataset.cut import choose

    names = tuple(domains or world_model.domains())
    probes = []
    for i in range(n):
        name = names[i % len(names)]
        d = world_model.domain(name)
        s = derive_seed(seed, f"probe-{name}-{i}")
        rec = d.sample(s)
        doc = d.render(rec, s)
        window = choose(doc, max_bytes, random.Random(s))
        short = window.apply(doc) if window is not None else doc
        probes.append(Probe(name, s, short.text, split_point(short.text), short, rec, window))
    return probes


def minimal_edits(edits: tuple[noise.Edit, ...] | list[noise.Edit]) -> list[noise.Edit]:
    """Each edit split into the smallest changed pieces (a logical edit re-renders a long span; most of it is unchanged)."""
    import difflib

    out = []
    for e in edits:
        if len(e.original) <= 16 or len(e.replacement) <= 16:
            out.append(e)
            continue
        sm = difflib.SequenceMatcher(None, e.original, e.replacement, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag != "equal":
                out.append(e._replace(start=e.start + i1, end=e.start + i2, original=e.original[i1:i2],
                                      replacement=e.replacement[j1:j2]))
    return out


def _within(edits: tuple[noise.Edit, ...], end: int) -> list[noise.Edit]:
    """The (minimal) edits that change text before `end` only; an insertion at `end` belongs to what follows."""
    return [e for e in minimal_edits(edits) if e.end <= end and e.start < end]


def noisy_first(p: Probe, family: str, level: float) -> tuple[str, list[noise.Edit]]:
    """The first half with our engine's `family` noise at `level`: the document's edits that lie wholly in it."""
    out = noise.corrupt(p.document, p.record, p.domain, level=level, seed=derive_seed(p.seed, f"noise-{family}"),
                        families={family: level}, window=p.window)
    kept = _within(out.edits, p.cut)
    return noise.apply(p.first, kept), kept


def noisy_text(p: Probe, level: float) -> tuple[str, list[noise.Edit]]:
    """The whole short document with the curriculum's family mix at `level` (the training pair layout's input)."""
    out = noise.corrupt(p.document, p.record, p.domain, level=level, seed=derive_seed(p.seed, "pair"), window=p.window)
    kept = _within(out.edits, len(p.text))
    return noise.apply(p.text, kept), kept


# ---- natural typos (codespell) ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def natural_misspellings() -> dict[str, tuple[str, ...]]:
    """correct word (lower case) -> its real misspellings, read from the installed codespell package's dictionary."""
    try:
        import codespell_lib
    except ImportError:
        raise SystemExit("natural typos need codespell: pip install codespell (the `bench` extra)") from None
    path = Path(codespell_lib.__file__).parent / "data" / "dictionary.txt"
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        wrong, arrow, right = line.partition("->")
        right = right.strip().rstrip(",")
        if not arrow or "," in right or not wrong.isalpha() or not right.isalpha():
            continue  # one unambiguous correction, letters only
        table.setdefault(right.lower(), []).append(wrong.lower())
    return {k: tuple(sorted(v)) for k, v in table.items()}


def natural_first(p: Probe, rate: float) -> tuple[str, int]:
    """The first half with each word that has a known real misspelling replaced by one with probability `rate`."""
    table = natural_misspellings()
    rng = random.Random(derive_seed(p.seed, "natural"))
    changed = 0

    def swap(m: re.Match) -> str:
        nonlocal changed
        word = m.group(0)
        options = table.get(word.lower())
        if not options or rng.random() >= rate:
            return word
        wrong = options[rng.randrange(len(options))]
        changed += 1
        return wrong.upper() if word.isupper() else wrong.capitalize() if word[0].isupper() else wrong

    return re.sub(r"[A-Za-z]+", swap, p.first), changed


# ---- scoring ----------------------------------------------------------------------------------------


def _ids(tok: Any, text: str) -> list[int]:
    return tok.backend_tokenizer.encode(text, add_special_tokens=False).ids if text else []


@torch.no_grad()
def target_bits(model: Any, items: list[tuple[list[int], list[int]]], batch: int = 16) -> list[torch.Tensor]:
    """Per-token bits of each target given its context: `items` are (context ids incl. <doc>, target ids)."""
    model.eval()
    pad = model.cfg.pad_token_id or 0
    out: list[torch.Tensor] = [torch.empty(0)] * len(items)
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]) + len(items[i][1]))  # similar lengths together
    for k in range(0, len(order), batch):
        group = order[k : k + batch]
        width = max(len(items[i][0]) + len(items[i][1]) for i in group)
        ids = torch.full((len(group), width), pad, dtype=torch.long)
        for row, i in enumerate(group):
            seq = items[i][0] + items[i][1]
            ids[row, : len(seq)] = torch.tensor(seq)
        logp = F.log_softmax(model(ids).logits.float(), dim=-1)
        for row, i in enumerate(group):
            ctx, tgt = items[i]
            pos = torch.arange(len(ctx) - 1, len(ctx) + len(tgt) - 1)
            out[i] = -logp[row, pos, torch.tensor(tgt)] / math.log(2)
    return out


def bits_per_byte(bits: list[torch.Tensor], texts: list[str]) -> float:
    """Pooled bits/byte: total bits over total UTF-8 bytes of the scored texts."""
    return float(sum(b.sum() for b in bits)) / max(1, sum(len(t.encode()) for t in texts))


def unigram_bits_per_byte(train_texts: list[str], texts: list[str]) -> float:
    """Bits/byte of `texts` under a byte unigram (add-one) fitted on `train_texts`: the bar a model must clear."""
    counts = torch.ones(256, dtype=torch.float64)
    for t in train_texts:
        counts += torch.bincount(torch.tensor(list(t.encode()), dtype=torch.long), minlength=256).double()
    logp = torch.log2(counts / counts.sum())
    data = torch.tensor([b for t in texts for b in t.encode()], dtype=torch.long)
    return float(-logp[data].mean())


def evaluate_probes(model: Any, tok: Any, probes: list[Probe], levels: tuple[float, ...] = (0.5, 1.0),
                    natural_rates: tuple[float, ...] = (1.0,), pair: bool = True, batch: int = 16) -> dict[str, Any]:
    """Every probe metric of one model (see the module docstring); the same probes give the same numbers."""
    bos, sep = tok.bos_token_id, tok.convert_tokens_to_ids("<|sep|>")
    firsts = [[bos, *_ids(tok, p.first)] for p in probes]
    seconds = [_ids(tok, p.second) for p in probes]
    whole = [_ids(tok, p.text) for p in probes]
    second_texts = [p.second for p in probes]
    conditions: dict[str, list[tuple[list[int], list[int]]]] = {
        "clean": [([bos], w) for w in whole],
        "second_given_clean": list(zip(firsts, seconds)),
        "second_no_context": [([bos], s) for s in seconds],
    }
    edited: dict[str, int] = {}
    for family in FAMILIES:
        for level in levels:
            key = f"{family}@{level:g}"
            noisy = [noisy_first(p, family, level) for p in probes]
            edited[key] = sum(bool(e) for _, e in noisy)
            conditions[key] = [([bos, *_ids(tok, t)], s) for (t, _), s in zip(noisy, seconds)]
    for rate in natural_rates:
        key = f"natural@{rate:g}"
        nat = [natural_first(p, rate) for p in probes]
        edited[key] = sum(n > 0 for _, n in nat)
        conditions[key] = [([bos, *_ids(tok, t)], s) for (t, _), s in zip(nat, seconds)]
    pairs = [noisy_text(p, 1.0) for p in probes] if pair else []
    if pair:
        conditions["pair"] = [([bos, *_ids(tok, t), sep], w) for (t, _), w in zip(pairs, whole)]
    keys = list(conditions)
    flat = [item for k in keys for item in conditions[k]]
    bits = target_bits(model, flat, batch)
    per = {k: bits[i * len(probes) : (i + 1) * len(probes)] for i, k in enumerate(keys)}

    clean_bpb = bits_per_byte(per["clean"], [p.text for p in probes])
    given_clean = bits_per_byte(per["second_given_clean"], second_texts)
    out: dict[str, Any] = {
        "probes": len(probes),
        "bytes": sum(len(p.text.encode()) for p in probes),
        "clean_bpb": clean_bpb,
        "second_given_clean_bpb": given_clean,
        "second_no_context_bpb": bits_per_byte(per["second_no_context"], second_texts),
        "sensitivity": {},
        "edited_probes": edited,
    }
    for key in edited:
        out["sensitivity"][key] = bits_per_byte(per[key], second_texts) - given_clean
    fam = [out["sensitivity"][f"{f}@{max(levels):g}"] for f in FAMILIES]
    out["sensitivity_ours"] = sum(fam) / len(fam)  # our three families at the highest level, mean
    out["sensitivity_natural"] = out["sensitivity"][f"natural@{max(natural_rates):g}"]
    if pair:
        out["pair_bpb"] = bits_per_byte(per["pair"], [p.text for p in probes])
        out["pair_over_no_context"] = out["pair_bpb"] / clean_bpb
        if len(tok) == 260:  # one token per byte: touched spans map to target positions exactly
            out["repair"] = repair_accuracy(model, [c for c in conditions["pair"]], probes, [e for _, e in pairs], batch)
    return out


@torch.no_grad()
def repair_accuracy(model: Any, items: list[tuple[list[int], list[int]]], probes: list[Probe],
                    edits: list[list[noise.Edit]], batch: int = 16) -> dict[str, float]:
    """Teacher-forced repair of the touched spans: byte accuracy, and the share of edits whose every byte is argmax."""
    model.eval()
    right = total = exact = spans = 0
    for k in range(0, len(items), batch):
        group = items[k : k + batch]
        width = max(len(c) + len(t) for c, t in group)
        ids = torch.full((len(group), width), model.cfg.pad_token_id or 0, dtype=torch.long)
        for row, (c, t) in enumerate(group):
            ids[row, : len(c) + len(t)] = torch.tensor(c + t)
        pred = model(ids).logits.argmax(-1)
        for row, (c, t) in enumerate(group):
            p, es = probes[k + row], edits[k + row]
            for e in es:
                lo, hi = len(p.text[: e.start].encode()), len(p.text[: e.end].encode())
                if hi == lo:
                    continue  # an insertion: nothing of the clean text to restore
                pos = torch.arange(len(c) + lo - 1, len(c) + hi - 1)
                ok = pred[row, pos] == torch.tensor(t[lo:hi])
                right, total = right + int(ok.sum()), total + len(ok)
                exact, spans = exact + int(ok.all()), spans + 1
    return {"char_accuracy": right / total if total else math.nan, "exact_match": exact / spans if spans else math.nan,
            "spans": spans}
