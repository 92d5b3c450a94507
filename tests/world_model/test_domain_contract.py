"""The contract every registered domain keeps: consistency, breakability, determinism, exact spans."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import pydantic
import pytest

import world_model
from world_model import field_value

DOMAINS = world_model.domains()
SAMPLES = 300
BREAK_TRIES = 100


def test_builtin_domains_are_registered():
    assert DOMAINS == ["financial", "legal", "medical"]


def test_unknown_domain_lists_known_ones():
    with pytest.raises(ValueError, match="financial, legal, medical"):
        world_model.domain("astrology")


@pytest.fixture(params=DOMAINS)
def dom(request):
    return world_model.domain(request.param)


def test_graph_and_constraint_declarations(dom):
    assert isinstance(dom.graph, nx.DiGraph)
    assert nx.is_directed_acyclic_graph(dom.graph)
    assert dom.graph.number_of_nodes() >= 25
    assert dom.graph.number_of_edges() >= 25
    assert len(dom.constraints) >= 20
    ids = [c.id for c in dom.constraints]
    assert len(set(ids)) == len(ids)
    for c in dom.constraints:
        assert c.id.startswith(dom.name + ".") and c.description
        assert c.nodes and all(n in dom.graph for n in c.nodes)


def test_sampled_records_are_consistent(dom):
    for seed in range(SAMPLES):
        rec = dom.sample(seed)
        assert dom.check(rec) == [], (seed, dom.check(rec))


@pytest.mark.slow
def test_thousands_of_sampled_records_are_consistent(dom):
    """A quick version; the benchmark's --validate checks 100,000 records per domain."""
    bad = [seed for seed in range(SAMPLES, SAMPLES + 3_000) if dom.check(dom.sample(seed))]
    assert bad == []


def test_sample_is_deterministic_and_seed_sensitive(dom):
    assert dom.sample(7) == dom.sample(7)
    assert dom.sample("shard-3/row-9") == dom.sample("shard-3/row-9")
    assert len({dom.sample(s).model_dump_json() for s in range(20)}) == 20


def test_sample_and_render_are_identical_across_processes(dom):
    script = (
        "import json, world_model\n"
        f"d = world_model.domain({dom.name!r})\n"
        "out = []\n"
        "for s in range(25):\n"
        "    r = d.sample(s); doc = d.render(r, s)\n"
        "    out.append([r.model_dump_json(), doc.text, doc.style, sorted(doc.spans.items())])\n"
        "print(json.dumps(out))\n"
    )
    remote = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout)
    local = []
    for s in range(25):
        r = dom.sample(s)
        doc = dom.render(r, s)
        local.append([r.model_dump_json(), doc.text, doc.style, [list(kv) for kv in sorted(doc.spans.items())]])
    assert json.loads(json.dumps(local)) == remote


def test_every_constraint_can_be_broken_and_is_seen(dom):
    """A quick version; `benchmarks/world_model.py --validate 100000 --tries 1000` runs the full 1,000 tries."""
    for seed in range(BREAK_TRIES):
        rec = dom.sample(seed)
        before = rec.model_dump_json()
        for c in dom.constraints:
            broken, cid = dom.violate(rec, seed, constraint=c.id)
            assert cid == c.id
            assert c.id in {v.constraint_id for v in dom.check(broken)}, (c.id, seed)
        assert rec.model_dump_json() == before, "violate must not mutate its input"


def test_violate_without_a_name_picks_every_constraint(dom):
    rec = dom.sample(1)
    picked = {dom.violate(rec, seed)[1] for seed in range(40 * len(dom.constraints))}
    assert picked == {c.id for c in dom.constraints}


def test_violate_unknown_constraint_is_refused(dom):
    with pytest.raises(ValueError, match="unknown constraint"):
        dom.violate(dom.sample(0), 0, constraint=f"{dom.name}.no_such_rule")


def test_render_styles_lengths_and_exact_spans(dom):
    assert len(dom.styles) >= 3
    for style in dom.styles:
        for seed in range(60):
            rec = dom.sample(seed)
            doc = dom.render(rec, seed, style=style)
            assert doc.style == style
            assert 150 <= len(doc.text) <= 2000, (style, seed, len(doc.text))
            assert doc.spans, "a document must state some field values"
            ends = 0
            for path, (start, end) in sorted(doc.spans.items(), key=lambda kv: kv[1]):
                assert ends <= start < end <= len(doc.text), (path, start, end)
                ends = end
                value = field_value(rec, path)
                if isinstance(value, str):
                    assert doc.text[start:end] == value, (path, doc.text[start:end], value)


def test_render_is_deterministic_and_varies_style(dom):
    rec = dom.sample(3)
    assert dom.render(rec, 11) == dom.render(rec, 11)
    assert len({dom.render(rec, s).style for s in range(30)}) == len(dom.styles)


def _outside_spans(doc):
    pieces, pos = [], 0
    for start, end in sorted(doc.spans.values()):
        pieces.append(doc.text[pos:start])
        pos = end
    pieces.append(doc.text[pos:])
    return pieces


def test_rerendering_a_violated_record_changes_only_field_values(dom):
    """Noise re-renders logical edits in place, so only the text at field spans may change."""
    for c in dom.constraints:
        shown = 0
        for seed in range(20):
            rec = dom.sample(seed)
            broken, _ = dom.violate(rec, seed, constraint=c.id)
            clean, noisy = dom.render(rec, seed), dom.render(broken, seed)
            assert clean.style == noisy.style
            assert clean.spans.keys() == noisy.spans.keys(), c.id
            assert _outside_spans(clean) == _outside_spans(noisy), (c.id, seed)
            shown += clean.text != noisy.text
        assert shown >= 10, f"{c.id}: the broken value shows in only {shown}/20 documents"


def test_check_rejects_a_record_of_another_domain(dom):
    other = next(world_model.domain(n) for n in DOMAINS if n != dom.name)
    with pytest.raises(TypeError, match=dom.name):
        dom.check(other.sample(0))


def test_malformed_record_names_the_field(dom):
    data = json.loads(dom.sample(0).model_dump_json())
    first = next(iter(data))
    data[first] = {"not": "valid"}
    with pytest.raises(pydantic.ValidationError, match=first):
        dom.Record.model_validate(data)


def test_record_json_round_trips(dom):
    rec = dom.sample(5)
    again = dom.Record.model_validate_json(rec.model_dump_json())
    assert again == rec and dom.check(again) == []


def test_copy_record_equals_model_copy_and_shares_nothing_mutable(dom):
    """Breakers copy with copy_record; it must behave as model_copy(deep=True) does."""
    for seed in range(20):
        rec = dom.sample(seed)
        copied, reference = world_model.copy_record(rec), rec.model_copy(deep=True)
        assert copied == rec == reference
        assert copied.model_dump() == reference.model_dump()
        assert copied.model_dump_json() == rec.model_dump_json()
        assert copied.model_fields_set == rec.model_fields_set
        originals = {id(v) for v in _mutable_parts(rec)}
        assert not originals & {id(v) for v in _mutable_parts(copied)}


def _mutable_parts(obj):
    """Every model, list and dict reachable from a record (leaves such as str or Decimal may be shared)."""
    if isinstance(obj, pydantic.BaseModel):
        yield obj
        yield obj.__dict__
        yield obj.__pydantic_fields_set__
        for v in obj.__dict__.values():
            yield from _mutable_parts(v)
    elif isinstance(obj, (list, dict)):
        yield obj
        for v in obj.values() if isinstance(obj, dict) else obj:
            yield from _mutable_parts(v)


def test_every_breaker_leaves_its_input_unchanged(dom):
    for seed in range(10):
        rec = dom.sample(seed)
        before = rec.model_dump()
        for c in dom.constraints:
            broken, _ = dom.violate(rec, seed, constraint=c.id)
            assert rec.model_dump() == before, c.id
            assert broken.model_dump() != before, c.id


def test_copy_record_deep_copies_fields_of_unknown_mutable_types():
    class Inner(pydantic.BaseModel):
        tags: set[str]
        notes: dict[str, list[int]]

    class Outer(pydantic.BaseModel):
        name: str
        inner: Inner
        pairs: tuple[list[int], ...]

    rec = Outer(name="x", inner=Inner(tags={"a"}, notes={"k": [1]}), pairs=([1, 2],))
    copied = world_model.copy_record(rec)
    copied.inner.tags.add("b")
    copied.inner.notes["k"].append(2)
    copied.pairs[0].append(3)
    assert rec == Outer(name="x", inner=Inner(tags={"a"}, notes={"k": [1]}), pairs=([1, 2],))
    assert copied.model_dump() == {"name": "x", "inner": {"tags": {"a", "b"}, "notes": {"k": [1, 2]}},
                                   "pairs": ([1, 2, 3],)}
