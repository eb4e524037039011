"""One PNG per suite: how many times faster aioxide is than each anchor,
case by case, on a log scale (bars right of 1x: aioxide is faster)."""

from __future__ import annotations

import statistics
from pathlib import Path

CHARTS_DIR = Path(__file__).resolve().parent / "charts"


def speedups(result: dict) -> list[tuple[str, float]]:
    """``(label, anchor time / aioxide time)`` for every aioxide contender
    against every anchor of every case."""
    rows: list[tuple[str, float]] = []
    for case in result["cases"]:
        ms = case["measurements"]
        ours = [m for m in ms if not m["anchor"]]
        anchors = [m for m in ms if m["anchor"]]
        for mine in ours:
            mine_time = statistics.median(mine["samples"])
            for anchor in anchors:
                label = f"{case['case']}\n{mine['contender']} vs {anchor['contender']}"
                if len(ours) == 1:
                    label = f"{case['case']}\nvs {anchor['contender']}"
                if mine_time > 0:
                    rows.append((label, statistics.median(anchor["samples"]) / mine_time))
    return rows


def render(result: dict) -> Path:
    """Writes ``charts/<module>.png`` and returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = speedups(result)
    CHARTS_DIR.mkdir(exist_ok=True)
    path = CHARTS_DIR / f"{result['module']}.png"
    height = max(2.5, 0.42 * len(rows) + 1.2)
    fig, ax = plt.subplots(figsize=(10, height), dpi=100)
    labels = [label for label, _ in rows][::-1]
    values = [value for _, value in rows][::-1]
    colors = ["#2a7ab9" if v >= 1 else "#c8553d" for v in values]
    # Bars start at 1x, so slower cases point left and faster ones right.
    ax.barh(range(len(values)), [v - 1 for v in values], left=1, color=colors)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(labels, fontsize=7)
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.2f}x", va="center", fontsize=7)
    ax.set_xlabel("times faster than the anchor (log scale; right of 1 = aioxide faster)")
    ax.set_title(result["title"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
