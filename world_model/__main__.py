"""`python -m world_model`: sample, check and render a few records of every domain."""

from __future__ import annotations

import argparse
import textwrap

import world_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-domain", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name in world_model.domains():
        dom = world_model.domain(name)
        print(f"=== {dom!r}")
        for i in range(args.per_domain):
            seed = world_model.derive_seed(args.seed, name, i)
            record = dom.sample(seed)
            doc = dom.render(record, seed)
            broken, cid = dom.violate(record, seed)
            print(f"--- record {i}: {len(dom.check(record))} violations; style {doc.style}, {len(doc.spans)} field spans")
            print(textwrap.indent(doc.text, "    "))
            print(f"    violate -> {cid}: check finds {[v.constraint_id for v in dom.check(broken)]}")


if __name__ == "__main__":
    main()
