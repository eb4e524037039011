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


def caption(result: dict) -> str:
    if result["module"] == "growth":
        return "cost per operation against size, log-log"
    if result.get("unit") == "bytes":
        return "times less memory than each anchor"
    return "speed-ups against each anchor"


def render(result: dict) -> Path:
    """Writes ``charts/<module>.png`` and returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if result["module"] == "growth":
        return render_growth(result)

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
    if result.get("unit") == "bytes":
        ax.set_xlabel("times less memory than the anchor (log scale; right of 1 = aioxide smaller)")
    else:
        ax.set_xlabel("times faster than the anchor (log scale; right of 1 = aioxide faster)")
    ax.set_title(result["title"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def growth_series(result: dict) -> dict[str, list[tuple[int, float]]]:
    """``{workload: [(size, seconds per operation), ...]}`` from the growth
    suite, whose cases are named ``"<workload> @ <size>"``."""
    series: dict[str, list[tuple[int, float]]] = {}
    for case in result["cases"]:
        workload, _, size = case["case"].rpartition(" @ ")
        [measurement] = case["measurements"]
        per_op = statistics.median(measurement["samples"])
        series.setdefault(workload, []).append((int(size.replace(",", "")), per_op))
    return series


def render_growth(result: dict) -> Path:
    """One log-log panel per module (``charts/growth.png``), and each panel
    on its own (``charts/growth-<n>.png``)."""
    import matplotlib.pyplot as plt

    series = growth_series(result)
    CHARTS_DIR.mkdir(exist_ok=True)

    def draw(ax: object, workload: str, points: list[tuple[int, float]]) -> None:
        sizes = [s for s, _ in points]
        ns = [t * 1e9 for _, t in points]
        ax.plot(sizes, ns, marker="o", color="#2a7ab9")  # type: ignore[attr-defined]
        ax.set_xscale("log")  # type: ignore[attr-defined]
        ax.set_yscale("log")  # type: ignore[attr-defined]
        low, high = min(ns), max(ns)
        ax.set_ylim(low / 3, high * 3)  # type: ignore[attr-defined]
        for size, value in zip(sizes, ns, strict=True):
            ax.annotate(
                f"{value:,.0f} ns",
                (size, value),
                fontsize=7,  # type: ignore[attr-defined]
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
            )
        ax.set_title(workload, fontsize=8)  # type: ignore[attr-defined]
        ax.set_xlabel("size (items)", fontsize=7)  # type: ignore[attr-defined]
        ax.set_ylabel("ns per item", fontsize=7)  # type: ignore[attr-defined]

    for index, (workload, points) in enumerate(series.items(), 1):
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
        draw(ax, workload, points)
        fig.tight_layout()
        fig.savefig(CHARTS_DIR / f"growth-{index}.png", metadata={"Software": None})
        plt.close(fig)
    fig, axes = plt.subplots(1, len(series), figsize=(4 * len(series), 3.4), dpi=100)
    for ax, (workload, points) in zip(axes, series.items(), strict=True):
        draw(ax, workload, points)
    fig.tight_layout()
    path = CHARTS_DIR / "growth.png"
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
