"""A fourth domain plugs in with one module, exactly as the README shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import world_model
from world_model import registry

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def isolated_registry(monkeypatch):
    world_model.domains()  # load the built-ins before taking the copy
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))


def test_readme_plugin_domain_works_end_to_end(isolated_registry):
    section = README.read_text().split("### Adding a fourth domain", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README-plugin", "exec", dont_inherit=True), {"__name__": "readme_plugin"})
    d = world_model.domain("logistics")
    assert "logistics" in world_model.domains()
    rec = d.sample(3)
    assert d.check(rec) == []
    broken, cid = d.violate(rec, 0)
    assert cid == "logistics.delivered_after_shipped" and d.check(broken)
    doc = d.render(rec, 3)
    assert doc.text[slice(*doc.spans["shipped"])] == rec.shipped.isoformat()


def test_registering_a_second_class_under_a_taken_name_is_refused(isolated_registry):
    existing = type(world_model.domain("medical"))
    impostor = type("Impostor", (existing,), {})
    with pytest.raises(ValueError, match="already registered"):
        world_model.register(impostor)
