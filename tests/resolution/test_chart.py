"""The run chart: an SVG of the score histogram with its threshold, and the model's weights."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from resolution.publishing import run_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_is_svg_with_a_bar_per_bin_the_threshold_and_a_bar_per_weight() -> None:
    scores = np.array([0.07] * 90 + [0.57] * 9 + [0.97] * 40)
    weights = [("(phones: Set)", 5.0), ("(name: String)", -1.5), ("(city: Exact)", 0.2)]
    root = ET.fromstring(run_chart(scores, 0.5, weights, "edin run test <&>"))
    rects = root.findall(f"{SVG}rect")
    titles = [r.find(f"{SVG}title").text for r in rects if r.find(f"{SVG}title") is not None]
    bins = [t for t in titles if "–" in t]
    assert len(bins) == 20
    assert "0.05–0.10: 90" in bins and "0.95–1.00: 40" in bins and "0.55–0.60: 9" in bins
    assert [t for t in titles if "–" not in t] == [
        "(phones: Set): +5.000",
        "(name: String): -1.500",
        "(city: Exact): +0.200",
    ]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "threshold 0.5" in texts and "edin run test <&>" in texts
    # bins above the threshold are drawn in the "kept" colour, those below in grey
    fills = {t: r.get("fill") for r, t in zip(rects[1:], titles, strict=False)}
    assert fills["0.95–1.00: 40"] != fills["0.05–0.10: 90"]


def test_an_empty_run_still_draws() -> None:
    root = ET.fromstring(run_chart(np.array([]), 0.5, [], "empty"))
    assert root.tag == f"{SVG}svg"
