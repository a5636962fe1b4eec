"""The run's chart: what the model weighs and where its scores fall, read faster than numbers.

Written with every snapshot as ``run_chart.svg`` (plain SVG: no plotting library, no fonts or
scripts fetched from anywhere). Left, the scored candidate pairs as a histogram of their match
probability (counts on a log scale), with the threshold drawn: a healthy run has two humps
far from it. Right, the classifier's weight per compared feature (dedupe's distance features:
a negative weight on a distance means "the more they differ, the less alike"), largest first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

RUN_CHART = "run_chart.svg"
"""The chart's file name in a snapshot."""
WIDTH, HEIGHT = 960, 420
BINS = 20
PANEL = 420  # each panel's width
TOP, BOTTOM = 64, 360  # plotting area
MAX_FEATURES = 14


def _text(x: float, y: float, s: str, size: int = 12, anchor: str = "start", **extra: str) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
        f' font-family="sans-serif"{attrs}>{escape(s)}</text>'
    )


def _histogram(scores: np.ndarray, threshold: float, x0: float) -> list[str]:
    counts, edges = np.histogram(scores, bins=BINS, range=(0.0, 1.0))
    top = math.log10(max(int(counts.max()) if counts.size else 1, 1) + 1)
    bar = PANEL / BINS
    out = [_text(x0, TOP - 14, f"Scored pairs: {scores.size:,} (log scale)", 14)]
    for i, n in enumerate(counts):
        h = (BOTTOM - TOP) * math.log10(int(n) + 1) / top if top else 0.0
        colour = "#2e7d32" if edges[i] >= threshold else "#90a4ae"
        out.append(
            f'<rect x="{x0 + i * bar + 1:.1f}" y="{BOTTOM - h:.1f}" width="{bar - 2:.1f}"'
            f' height="{h:.1f}" fill="{colour}"><title>{edges[i]:.2f}–{edges[i + 1]:.2f}:'
            f" {int(n):,}</title></rect>"
        )
    tx = x0 + PANEL * threshold
    out.append(
        f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{BOTTOM}" stroke="#c62828"'
        ' stroke-width="2" stroke-dasharray="6 3"/>'
    )
    out.append(_text(tx + 4, TOP + 12, f"threshold {threshold:g}", 12, fill="#c62828"))
    for v in (0.0, 0.5, 1.0):
        out.append(_text(x0 + PANEL * v, BOTTOM + 16, f"{v:g}", 11, "middle"))
    out.append(_text(x0 + PANEL / 2, BOTTOM + 34, "match probability", 12, "middle"))
    return out


def _weights(weights: Sequence[tuple[str, float]], x0: float) -> list[str]:
    shown = sorted(weights, key=lambda nw: -abs(nw[1]))[:MAX_FEATURES]
    out = [_text(x0, TOP - 14, "Model weights (largest first)", 14)]
    if not shown:
        return out
    scale = max(abs(w) for _, w in shown) or 1.0
    row = (BOTTOM - TOP) / len(shown)
    mid = x0 + PANEL * 0.62
    half = PANEL * 0.36
    for i, (name, w) in enumerate(shown):
        y = TOP + i * row
        length = half * abs(w) / scale
        x = mid if w >= 0 else mid - length
        colour = "#2e7d32" if w >= 0 else "#c62828"
        out.append(
            f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{length:.1f}" height="{row - 4:.1f}"'
            f' fill="{colour}"><title>{escape(name)}: {w:+.3f}</title></rect>'
        )
        out.append(_text(mid - half - 6, y + row / 2 + 4, name[:34], 11, "end"))
    out.append(f'<line x1="{mid:.1f}" y1="{TOP}" x2="{mid:.1f}" y2="{BOTTOM}" stroke="#37474f"/>')
    return out


def run_chart(
    scores: np.ndarray, threshold: float, weights: Sequence[tuple[str, float]], title: str
) -> str:
    """The chart as an SVG document: ``scores`` of the scored pairs, the clustering
    ``threshold``, and the model's (feature, weight) pairs."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        _text(WIDTH / 2, 20, title, 15, "middle", font_weight="bold"),
        *_histogram(np.asarray(scores, dtype=float), threshold, 40),
        *_weights(weights, 40 + PANEL + 60),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
