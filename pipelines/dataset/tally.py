"""What a dataset holds: rows per domain, per noise family and per noise level, counted and laid out as tables."""

from __future__ import annotations

from collections import Counter

import pyarrow.compute as pc
import pyarrow.parquet as pq

from noise import FAMILIES
from pipelines.dataset import manifest
from pipelines.dataset.storage import Folder, normalize

LEVEL_BINS = ((0.0, 0.0, "0"), (0.0, 0.25, "(0, 0.25]"), (0.25, 0.5, "(0.25, 0.5]"),
              (0.5, 0.75, "(0.5, 0.75]"), (0.75, 1.0, "(0.75, 1]"))
COLUMNS = (*FAMILIES, "none")


def level_bin(level: float) -> str:
    if level <= 0.0:
        return "0"
    for lo, hi, name in LEVEL_BINS[1:]:
        if lo < level <= hi + 1e-6:
            return name
    return f"{level:.2f}"


def count(out_dir: str) -> dict[str, dict[str, Counter]]:
    """For each view (domain, noise level) and each value: rows, and rows holding each family."""
    folder = Folder(normalize(out_dir))
    m = manifest.load(out_dir)
    views: dict[str, dict[str, Counter]] = {"domain": {}, "noise level": {}}
    edits_per_family: Counter = Counter()
    for shard in m.in_progress_order():
        with folder.fs.open_input_file(folder.path(shard.path)) as f:
            table = pq.read_table(f, columns=["domain", "noise_level", "edits"])
        edits = table.column("edits").combine_chunks()
        flat = pc.list_flatten(edits)
        families = flat.field("family").to_pylist()
        parents = pc.list_parent_indices(edits).to_pylist()
        edits_per_family.update(families)
        held: list[set[str]] = [set() for _ in range(table.num_rows)]
        for row, fam in zip(parents, families):
            held[row].add(fam)
        domains = table.column("domain").to_pylist()
        levels = table.column("noise_level").to_pylist()
        for row in range(table.num_rows):
            keys = {"domain": domains[row], "noise level": level_bin(levels[row])}
            for view, key in keys.items():
                c = views[view].setdefault(key, Counter())
                c["rows"] += 1
                c.update(held[row] or {"none"})
    views["family"] = {f: Counter(rows=sum(c[f] for c in views["domain"].values()), edits=edits_per_family[f])
                       for f in COLUMNS}
    return views


def format_tables(views: dict[str, dict[str, Counter]]) -> str:
    out = []
    for view in ("domain", "noise level"):
        rows = views[view]
        order = [b[2] for b in LEVEL_BINS if b[2] in rows] + sorted(set(rows) - {b[2] for b in LEVEL_BINS}) \
            if view == "noise level" else sorted(rows)
        header = f"{view:<14}{'rows':>10}" + "".join(f"{c:>13}" for c in COLUMNS)
        out += [header, "-" * len(header)]
        for key in order:
            c = rows[key]
            out.append(f"{key:<14}{c['rows']:>10,}" + "".join(f"{c[f]:>13,}" for f in COLUMNS))
        total = Counter()
        for c in rows.values():
            total.update(c)
        out.append(f"{'total':<14}{total['rows']:>10,}" + "".join(f"{total[f]:>13,}" for f in COLUMNS))
        out.append("")
    header = f"{'family':<14}{'rows':>10}{'edits':>13}"
    out += [header, "-" * len(header)]
    out += [f"{f:<14}{c['rows']:>10,}{c['edits']:>13,}" for f, c in views["family"].items()]
    out += ["", "Family columns count rows holding at least one edit of that family; `none`: rows left clean."]
    return "\n".join(out)
