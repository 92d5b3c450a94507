"""corrupt() on real domains: exact, labelled, reproducible; every adversarial op; provable logical edits."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import unicodedata

import pytest
from pydantic import ValidationError

import noise
import world_model
from noise import NoiseConfig, apply, corrupt, undo, validate
from noise.adversarial import OPS as ADVERSARIAL_OPS
from noise.adversarial import AdversarialConfig, Context, adversarial
from noise.adversarial_data import DISTRACTOR_LEADS, HOMOGLYPHS, NEGATIONS, PREFACES, ZERO_WIDTH
from noise.edits import Occupancy
from world_model import derive_seed

DOMAINS = world_model.domains()


def make(name: str, i: int):
    d = world_model.domain(name)
    rec = d.sample(derive_seed("t", name, i))
    return d, rec, d.render(rec, derive_seed("t", name, i, "render"))


def run(name: str, i: int, level: float = 1.0, **kw):
    d, rec, doc = make(name, i)
    return d, rec, doc, corrupt(doc, rec, d, level, derive_seed(0, name, i), **kw)


@pytest.mark.parametrize("name", DOMAINS)
def test_edits_are_exact_and_invertible_at_every_level(name):
    for i in range(150):
        level = (0.0, 0.25, 0.5, 1.0)[i % 4]
        d, rec, doc, out = run(name, i, level)
        assert out.clean_text == doc.text
        validate(out.clean_text, out.edits)
        assert apply(out.clean_text, out.edits) == out.noisy_text
        assert undo(out.noisy_text, out.edits) == out.clean_text
        if level == 0.0:
            assert out.edits == () and out.noisy_text == out.clean_text


@pytest.mark.parametrize("name", DOMAINS)
def test_logical_rows_state_a_violation_the_world_model_confirms(name):
    seen = set()
    for i in range(60):
        d, rec, doc, out = run(name, i, families={"logical": 1.0})
        logical = [e for e in out.edits if e.family == "logical"]
        assert logical, "a logical edit must show in the document"
        cid = logical[0].constraint
        assert cid in out.violations and all(e.constraint == cid for e in logical)
        assert cid in {v.constraint_id for v in d.check(out.noisy_record)}
        assert d.check(rec) == []  # the clean record is left as it was
        seen.add(cid)
    assert len(seen) >= 8, f"logical noise should spread over the constraints, saw {sorted(seen)}"


REQUIRED_LOGICAL = {
    "medical.lab_supports_diagnosis": "contradictory lab value",
    "medical.encounter_dates_ordered": "reversed dates",
    "medical.medication_not_contraindicated": "contraindicated medication",
    "legal.procedural_dates_ordered": "reversed dates",
    "legal.outcome_matches_ruling": "outcome contradicting the ruling",
    "financial.balance_sheet_identity": "broken accounting identity",
    "financial.filing_after_period_end": "reversed dates",
}


@pytest.mark.parametrize("cid", sorted(REQUIRED_LOGICAL))
def test_required_logical_kinds_exist_and_show(cid):
    d = world_model.domain(cid.split(".")[0])
    assert cid in {c.id for c in d.constraints}, REQUIRED_LOGICAL[cid]
    shown = 0
    for i in range(20):
        rec = d.sample(i)
        doc = d.render(rec, i)
        broken, _ = d.violate(rec, i, constraint=cid)
        redone = d.render(broken, doc.seed, style=doc.style)
        edits = noise.logical.span_edits(doc, redone, cid)
        shown += bool(edits) and apply(doc.text, edits) == redone.text
    assert shown >= 10


def test_amount_stated_in_two_places_has_a_rule_in_legal_and_financial():
    for name in ("legal", "financial"):
        ids = {c.id for c in world_model.domain(name).constraints}
        assert any(("amount" in i or "total" in i or "conserve" in i) for i in ids), ids


@pytest.mark.parametrize("name", DOMAINS)
def test_corrupt_is_identical_across_processes_and_orders(name):
    script = (
        "import json, noise, world_model\n"
        "from world_model import derive_seed\n"
        f"d = world_model.domain({name!r}); rows = []\n"
        "for i in range(20):\n"
        f"    rec = d.sample(derive_seed('t', {name!r}, i)); doc = d.render(rec, derive_seed('t', {name!r}, i, 'render'))\n"
        f"    out = noise.corrupt(doc, rec, d, 1.0, derive_seed(0, {name!r}, i))\n"
        "    rows.append([out.noisy_text, [e.as_row() for e in out.edits], list(out.violations)])\n"
        "print(json.dumps(rows))\n"
    )
    remote = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout)
    local = {}
    for i in reversed(range(20)):
        out = run(name, i)[3]
        local[i] = [out.noisy_text, [e.as_row() for e in out.edits], list(out.violations)]
    assert [local[i] for i in range(20)] == json.loads(json.dumps(remote))


def test_families_follow_the_request():
    for i in range(30):
        out = run("medical", i, families={"typo": 0.5})[3]
        assert {e.family for e in out.edits} <= {"typo"} and out.violations == ()
    with pytest.raises(ValueError, match="unknown noise family"):
        run("medical", 0, families={"spelling": 1.0})
    with pytest.raises(ValueError, match="level"):
        run("medical", 0, level=1.5)


def test_default_families_appear_in_proportion_to_level():
    counts = {f: 0 for f in noise.FAMILIES}
    for i in range(300):
        out = run(DOMAINS[i % len(DOMAINS)], i, level=0.5)[3]
        for f in out.families:
            counts[f] += 1
    for f in ("typo", "logical"):
        assert 0.35 < counts[f] / 300 < 0.65, counts


def context(name: str, i: int) -> Context:
    d, rec, doc = make(name, i)
    return Context(doc, d, random.Random(i), Occupancy(), derive_seed("distract", i))


def ops_over(op: str, n: int = 40) -> list[tuple[Context, list]]:
    results = []
    for i in range(n):
        ctx = context(DOMAINS[i % len(DOMAINS)], i)
        results.append((ctx, ADVERSARIAL_OPS[op](ctx)))
    assert sum(bool(edits) for _, edits in results) >= n // 2, f"{op} rarely applies"
    return results


def test_misleading_preface_is_inserted_first():
    for ctx, edits in ops_over("misleading_preface"):
        (e,) = edits
        assert e.start == e.end == 0 and e.replacement in PREFACES[ctx.domain.name]


def test_contradictory_instruction_contradicts_a_stated_value():
    for ctx, edits in ops_over("contradictory_instruction"):
        for e in edits:
            text, spans = ctx.document.text, ctx.document.spans
            stated = {text[s:t] for s, t in spans.values()}
            assert e.start == len(text) and any(f'"{v}"' in e.replacement for v in stated)


def test_distractor_fact_comes_from_another_record():
    for ctx, edits in ops_over("distractor_fact"):
        for e in edits:
            body = e.replacement.strip()
            lead = next((x for x in DISTRACTOR_LEADS if x and body.startswith(x)), "")
            assert e.start == e.end and body[len(lead) + 1 :] in ctx.distractor.text


def test_negation_flip_uses_the_cue_table():
    flips = {a: b for a, b in NEGATIONS}
    for ctx, edits in ops_over("negation_flip"):
        for e in edits:
            assert flips[e.original.strip().lower()].lower() == e.replacement.lower()


def test_homoglyphs_are_unicode_confusables():
    from confusable_homoglyphs import confusables

    def look_alikes(c: str) -> set[str]:
        found = confusables.is_confusable(c, preferred_aliases=[], greedy=True) or []
        return {c} | {h["c"] for f in found for h in f["homoglyphs"]}

    for latin, looks in HOMOGLYPHS.items():
        for g in looks:
            assert unicodedata.category(g).startswith("L") and not g.isascii()
            assert look_alikes(latin) & look_alikes(g), (latin, g)  # same UTS #39 skeleton
    for ctx, edits in ops_over("homoglyph"):
        for e in edits:
            changed = [(a, b) for a, b in zip(e.original, e.replacement) if a != b]
            assert 1 <= len(changed) <= 2 and all(b in HOMOGLYPHS[a] for a, b in changed)


def test_zero_width_hides_inside_a_word():
    for ctx, edits in ops_over("zero_width"):
        for e in edits:
            assert e.start == e.end and e.replacement in ZERO_WIDTH
            text = ctx.document.text
            assert text[e.start - 1].isalpha() and text[e.start].isalpha()


def test_entity_swap_exchanges_two_names():
    for ctx, edits in ops_over("entity_swap"):
        if edits:
            a, b = edits
            assert a.original == b.replacement and b.original == a.replacement and a.end <= b.start


@pytest.mark.parametrize("name", DOMAINS)
def test_adversarial_ops_never_overlap(name):
    for i in range(80):
        ctx = context(name, i)
        edits = adversarial(ctx.document, ctx.domain, 1.0, random.Random(i), AdversarialConfig(max_ops=7), ctx.taken)
        validate(ctx.document.text, sorted(edits, key=lambda e: (e.start, e.end)))


@pytest.mark.parametrize(
    "fields, name",
    [
        ({"adversarial": {"ops": {"rickroll": 1.0}}}, "adversarial"),
        ({"adversarial": {"max_ops": 0}}, "max_ops"),
        ({"typo": {"ops": {"keyboard": -1}}}, "typo"),
        ({"logical": {"max_tries": 0}}, "max_tries"),
        ({"spelling": {}}, "spelling"),
    ],
)
def test_bad_noise_config_names_the_field(fields, name):
    with pytest.raises(ValidationError, match=name):
        NoiseConfig.model_validate(fields)
