"""The evaluation report: plots (metric against noise level per family, expert load) and report.md."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

LINES = ("typo", "logical", "adversarial", "all")


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as err:  # a clear message instead of a bare ImportError deep in a job
        raise RuntimeError("plots need matplotlib (pip install matplotlib), or pass plots=false") from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _series(metrics: dict[str, Any], family: str, key: str) -> tuple[list[float], list[float]]:
    """(levels, values) of one metric of one family; level 0's copy loss starts every denoising line."""
    xs, ys = [], []
    for level, fams in sorted(metrics["by_level"].items(), key=lambda kv: float(kv[0])):
        entry = fams.get(family) or (fams.get("none") if key == "denoise_loss" else None)
        value = entry.get(key) if entry else None
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            xs.append(float(level))
            ys.append(value)
    return xs, ys


def plot(metrics: dict[str, Any], out: Path) -> list[str]:
    """robustness.png (four panels against noise level) and expert_load.png; returns the file names."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    panels = [
        (axes[0, 0], "denoise_loss", LINES, "clean-target loss given noisy input (nats/token)"),
        (axes[0, 1], "repair_exact_match", LINES, "exact-match repair of touched field values"),
        (axes[1, 0], ("preference_rate", "auroc"), ("logical",), "inconsistency detection (logical pairs)"),
        (axes[1, 1], ("susceptibility", "susceptibility_targeted"), ("adversarial",),
         "field completions changed by preface / instruction"),
    ]
    for ax, keys, families, title in panels:
        for key in keys if isinstance(keys, tuple) else (keys,):
            for family in families:
                xs, ys = _series(metrics, family, key)
                if xs:
                    ax.plot(xs, ys, marker="o", label=family if isinstance(keys, str) else key)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("noise level")
        if ax.lines:
            ax.legend(fontsize=8)
    model = Path(metrics["model"])
    fig.suptitle(f"robustness of {model.parent.name if model.name == 'export' else model.name}", fontsize=11)
    fig.tight_layout()
    fig.savefig(out / "robustness.png", dpi=110)
    plt.close(fig)
    images = ["robustness.png"]

    load = metrics["expert_load"]["counts"]
    if load and load[0]:
        fig, ax = plt.subplots(figsize=(max(5, len(load[0]) * 0.4), 1 + len(load) * 0.5))
        rel = [[v / max(1e-9, sum(row) / len(row)) for v in row] for row in load]
        im = ax.imshow(rel, aspect="auto", cmap="viridis")
        ax.set_yticks(range(len(load)), metrics["expert_load"]["layers"])
        ax.set_xlabel("routed expert")
        ax.set_title("expert load / layer mean over the evaluation tokens", fontsize=10)
        fig.colorbar(im, ax=ax)
        fig.tight_layout()
        fig.savefig(out / "expert_load.png", dpi=110)
        plt.close(fig)
        images.append("expert_load.png")
    return images


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def markdown(metrics: dict[str, Any], images: list[str]) -> str:
    """report.md: headline numbers, a table per noise level and family, the plots."""
    s = metrics["summary"]
    lines = [f"# Robustness report: `{metrics['model']}`", "",
             f"Held-out data: `{metrics['data']}`; rows per level: "
             + ", ".join(f"{k}: {v}" for k, v in metrics["rows"].items())
             + f"; {metrics['tokens_scored']:,} tokens scored in {metrics['seconds']} s.", "",
             "## Headline (noisy levels pooled)", "", "| metric | value |", "| --- | --- |"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in s.items()]
    lines += ["", "## Per noise level and family", "",
              "| level | family | rows | denoise loss | repair EM (fields) | preference | AUROC | susceptibility (targeted) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for level, fams in sorted(metrics["by_level"].items(), key=lambda kv: float(kv[0])):
        for family, m in fams.items():
            lines.append(
                f"| {level} | {family} | {m.get('rows', '–')} | {_fmt(m.get('denoise_loss'))} | "
                f"{_fmt(m.get('repair_exact_match'))} ({m.get('repair_fields', '–')}) | {_fmt(m.get('preference_rate'))} | "
                f"{_fmt(m.get('auroc'))} | {_fmt(m.get('susceptibility'))} ({_fmt(m.get('susceptibility_targeted'))}) |")
    ratios = metrics["expert_load"]["max_over_mean"]
    if ratios:
        lines += ["", "Expert load max/mean per MoE layer: " + ", ".join(
            f"{n} {r:.2f}" for n, r in zip(metrics["expert_load"]["layers"], ratios))]
    lines += ["", "Definitions: docs/evaluation.md.", ""]
    lines += [f"![{name}]({name})" for name in images]
    return "\n".join(lines) + "\n"
