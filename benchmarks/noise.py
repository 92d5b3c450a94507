"""Noise throughput: our typo family vs nlpaug's character augmenter, and the full three-family corrupt.

    python benchmarks/noise.py [--docs 10000] [--validate 100000]

Both typo engines see the same documents at the same realised edit rate, in this one process; nlpaug
(`pip install nlpaug`, the `bench` extra) is calibrated to our rate before timing. `--validate N` also
corrupts N documents across domains and levels and checks apply/undo, logical violations and typo rates.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import time
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this file's name shadows the package it measures
import noise
import world_model
from noise.edits import Occupancy
from noise.typo import TypoConfig, typos
from world_model import derive_seed

RATE = 0.05


def documents(n: int) -> list[tuple]:
    names = world_model.domains()
    out = []
    for i in range(n):
        d = world_model.domain(names[i % len(names)])
        rec = d.sample(derive_seed("bench-noise", i))
        out.append((d, rec, d.render(rec, derive_seed("bench-noise", i, "render"))))
    return out


def ours(docs: list[tuple], rate: float) -> tuple[float, int]:
    config, edits = TypoConfig(), 0
    t0 = time.perf_counter()
    for i, (_, _, doc) in enumerate(docs):
        edits += len(typos(doc.text, doc.spans, rate, random.Random(i), config, Occupancy()))
    return time.perf_counter() - t0, edits


def char_edits(a: str, b: str) -> int:
    """Characters changed between two texts (difflib opcodes), the same measure for both engines."""
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def nlpaug_keyboard(p: float):
    import nlpaug.augmenter.char as nac

    return nac.KeyboardAug(aug_char_p=p, aug_char_min=0, aug_char_max=None, aug_word_p=1.0, aug_word_min=0,
                           aug_word_max=None, include_special_char=False, min_char=1)


def realised(texts: list[str], noisy: list[str]) -> float:
    editable = sum(sum(c.isalnum() for c in t) for t in texts)
    return sum(char_edits(a, b) for a, b in zip(texts, noisy)) / editable


def calibrate_nlpaug(texts: list[str], target: float) -> tuple[float, float]:
    """Bisect nlpaug's per-character probability until its realised rate matches ours."""
    lo, hi = 0.0, 0.5
    for _ in range(8):
        mid = (lo + hi) / 2
        aug = nlpaug_keyboard(mid)
        rate = realised(texts, [aug.augment(t)[0] for t in texts])
        lo, hi = (mid, hi) if rate < target else (lo, mid)
    p = (lo + hi) / 2
    aug = nlpaug_keyboard(p)
    return p, realised(texts, [aug.augment(t)[0] for t in texts])


def theirs(docs: list[tuple], p: float) -> float:
    aug = nlpaug_keyboard(p)
    t0 = time.perf_counter()
    for _, _, doc in docs:
        aug.augment(doc.text)
    return time.perf_counter() - t0


def full_corrupt(docs: list[tuple]) -> float:
    t0 = time.perf_counter()
    for i, (d, rec, doc) in enumerate(docs):
        noise.corrupt(doc, rec, d, 1.0, derive_seed("bench", i), families={f: 1.0 for f in noise.FAMILIES})
    return time.perf_counter() - t0


def validate(n: int) -> dict:
    """Soak: apply/undo exact, logical rows confirmed by check, realised typo rates at 0.01/0.05/0.2."""
    names, levels = world_model.domains(), (0.25, 0.5, 1.0)
    bad, logical_rows, logical_confirmed = 0, 0, 0
    typo_edits = {r: 0 for r in (0.01, 0.05, 0.2)}
    typo_chars = dict.fromkeys(typo_edits, 0)
    for i in range(n):
        d = world_model.domain(names[i % len(names)])
        rec = d.sample(derive_seed("soak", i))
        doc = d.render(rec, derive_seed("soak", i, "r"))
        out = noise.corrupt(doc, rec, d, levels[i % 3], derive_seed("soak-noise", i))
        bad += noise.apply(out.clean_text, out.edits) != out.noisy_text
        bad += noise.undo(out.noisy_text, out.edits) != out.clean_text
        logical = [e for e in out.edits if e.family == "logical"]
        if logical:
            logical_rows += 1
            logical_confirmed += logical[0].constraint in {v.constraint_id for v in d.check(out.noisy_record)}
        rate = tuple(typo_edits)[i % 3]
        edits = typos(doc.text, doc.spans, rate, random.Random(i), TypoConfig(), Occupancy())
        typo_edits[rate] += len(edits)
        typo_chars[rate] += sum(c.isalnum() for c in doc.text)
    return {
        "documents": n,
        "apply_undo_failures": bad,
        "logical_rows": logical_rows,
        "logical_rows_confirmed_by_check": logical_confirmed,
        "typo_rate_realised": {str(r): typo_edits[r] / typo_chars[r] for r in typo_edits},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--validate", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/noise.json"))
    args = parser.parse_args()

    docs = documents(args.docs)
    chars = sum(len(doc.text) for _, _, doc in docs)
    our_s, our_edits = ours(docs, RATE)
    editable = sum(sum(c.isalnum() for c in doc.text) for _, _, doc in docs)
    sample = [doc.text for _, _, doc in docs[:300]]
    sample_noisy = []
    for i, text in enumerate(sample):
        _, _, doc = docs[i]
        sample_noisy.append(noise.apply(text, typos(text, doc.spans, RATE, random.Random(i), TypoConfig(), Occupancy())))
    our_rate = realised(sample, sample_noisy)
    p, their_rate = calibrate_nlpaug(sample, our_rate)
    their_s = theirs(docs, p)
    corrupt_s = full_corrupt(docs)

    result = {
        "documents": len(docs),
        "characters": chars,
        "typo_rate_configured": RATE,
        "ours": {"docs_per_s": len(docs) / our_s, "chars_per_s": chars / our_s, "edits_per_editable_char": our_edits / editable,
                 "realised_char_change_rate": our_rate},
        "nlpaug_keyboard": {"docs_per_s": len(docs) / their_s, "chars_per_s": chars / their_s, "aug_char_p": p,
                            "realised_char_change_rate": their_rate},
        "speedup": their_s / our_s,
        "corrupt_three_families_docs_per_s": len(docs) / corrupt_s,
    }
    print(f"{'engine':<28} {'docs/s':>10} {'chars/s':>14} {'realised rate':>14}")
    print(f"{'ours (typo family)':<28} {result['ours']['docs_per_s']:>10,.0f} {result['ours']['chars_per_s']:>14,.0f} {our_rate:>14.4f}")
    print(f"{'nlpaug KeyboardAug':<28} {result['nlpaug_keyboard']['docs_per_s']:>10,.0f} "
          f"{result['nlpaug_keyboard']['chars_per_s']:>14,.0f} {their_rate:>14.4f}")
    print(f"speedup ours / nlpaug: {result['speedup']:.1f}x (target >= 10x)")
    print(f"full corrupt (typo+logical+adversarial): {result['corrupt_three_families_docs_per_s']:,.0f} docs/s (target >= 3,000)")
    if args.validate:
        result["validation"] = validate(args.validate)
        print(json.dumps(result["validation"], indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
