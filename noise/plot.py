"""`python -m noise.plot [--out PNG]`: draw the curriculum's noise level and family mix against progress."""

from __future__ import annotations

import argparse
from pathlib import Path

from noise.curriculum import Curriculum


def plot_curriculum(curriculum: Curriculum, out: Path, points: int = 1001) -> Path:
    """Level over all of training (other shapes faint), then the family mix, zoomed on the ramp."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [i / (points - 1) for i in range(points)]
    lo = max(0.0, curriculum.start - 0.2 * max(curriculum.end - curriculum.start, 0.05))
    ramp = [lo + (curriculum.end - lo) * i / (points - 1) for i in range(points)]
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(8, 9))
    for shape in ("linear", "cosine", "step"):
        other = curriculum.model_copy(update={"shape": shape})
        mine = shape == curriculum.shape
        top.plot(xs, [other.level(x) for x in xs], color="black" if mine else "grey",
                 linewidth=2 if mine else 1, linestyle="-" if mine else ":", label=shape + (" (this)" if mine else ""))
    top.axvline(curriculum.start, linestyle=":", color="grey")
    top.set_ylabel("noise level")
    top.set_xlabel("training progress p")
    top.legend(loc="upper left")
    top.set_title(f"curriculum: {curriculum.shape} ramp to level {curriculum.max_level} "
                  f"between p={curriculum.start} and p={curriculum.end}")

    families = list(curriculum.families)
    shares = {f: [min(1.0, curriculum.level(x) * curriculum.mix(x)[f]) for x in ramp] for f in families}
    for f in families:
        middle.plot(ramp, shares[f], label=f)
    middle.set_ylabel("share of rows with the family")
    middle.legend(loc="upper left")
    totals = [sum(shares[f][i] for f in families) or 1.0 for i in range(points)]
    bottom.stackplot(ramp, [[shares[f][i] / totals[i] for i in range(points)] for f in families], labels=families)
    bottom.set_ylabel("family mix of noised rows")
    bottom.set_xlabel("training progress p (the ramp)")
    bottom.set_ylim(0, 1)
    bottom.legend(loc="lower left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/curriculum.png"))
    parser.add_argument("--shape", choices=["linear", "cosine", "step"], default="linear")
    parser.add_argument("--start", type=float, default=0.85)
    parser.add_argument("--max-level", type=float, default=1.0)
    args = parser.parse_args()
    curriculum = Curriculum(shape=args.shape, start=args.start, max_level=args.max_level)
    print(plot_curriculum(curriculum, args.out))


if __name__ == "__main__":
    main()
