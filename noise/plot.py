"""`python -m noise.plot [--out PNG]`: draw the curriculum's noise level and family mix against progress."""

from __future__ import annotations

import argparse
from pathlib import Path

from noise.curriculum import Curriculum


def plot_curriculum(curriculum: Curriculum, out: Path, points: int = 1001) -> Path:
    """Level on top, each family's expected share of rows below, for the whole of training."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [i / (points - 1) for i in range(points)]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    top.plot(xs, [curriculum.level(x) for x in xs], color="black")
    top.axvline(curriculum.start, linestyle=":", color="grey")
    top.set_ylabel("noise level")
    top.set_title(f"curriculum: {curriculum.shape} ramp from p={curriculum.start} to p={curriculum.end}")
    for family in curriculum.families:
        share = [min(1.0, curriculum.level(x) * curriculum.mix(x)[family]) for x in xs]
        bottom.plot(xs, share, label=family)
    bottom.set_ylabel("rows with the family")
    bottom.set_xlabel("training progress p")
    bottom.legend(loc="upper left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
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
