"""``edin label``: answer the active-learning queue in the console.

Each pair is shown side by side with the model's score and strongest reasons (and, when a
cluster-stage rule dropped its link, which one and why, as ``edin explain`` says); the answer
(y = same person, n = not, u = unsure, q = quit) is appended to the labels file at once, so
an interrupted session keeps what was answered. ``edin run --labels FILE`` then trains on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from edin.explain import decided_pairs, format_reasons, kept_apart_words, load
from resolution import Home
from resolution.feedback import (
    ANSWER_LABELS,
    append_answers,
    label_queue,
    read_answered,
    read_answered_frame,
)
from resolution.matching import NameWeights, ranked_reasons

ROWS = (
    ("name", "display_name"),
    ("phones", "phones"),
    ("e-mails", "emails"),
    ("handles", "handles"),
    ("city", "city"),
    ("source", "source"),
    ("created", "created_at"),
)
WIDTH = 36


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(value) or "-"
    return str(value)


def render_pair(
    pair: dict[str, Any],
    left: dict[str, Any],
    right: dict[str, Any],
    n: int,
    total: int,
    kept_apart: str | None = None,
) -> str:
    """One queued pair side by side; ``kept_apart``: why a cluster-stage rule dropped its link
    (``edin.explain.kept_apart_words``), if one did."""
    head = f"[{n}/{total}] score {pair['score']:.3f}"
    lines = [
        head,
        "  reasons: " + format_reasons(ranked_reasons(pair, top=4)),
    ]
    if kept_apart:
        lines.append(f"  kept apart: {kept_apart}")
    lines.append(
        f"  {'':<9} {left['source'] + ':' + left['source_id']:<{WIDTH}} | "
        f"{right['source'] + ':' + right['source_id']}"
    )
    for label, col in ROWS:
        lines.append(f"  {label:<9} {_cell(left[col])[:WIDTH]:<{WIDTH}} | {_cell(right[col])}")
    lines.append(f"  {'profile':<9} {pair['profile_id_l']:<{WIDTH}} | {pair['profile_id_r']}")
    return "\n".join(lines)


def _answers(stream: TextIO) -> Iterator[str]:
    for line in stream:
        yield line.strip().lower()[:1]


def _answered(home: Path, labels: Path) -> pl.DataFrame:
    """Pairs not to ask about: answered, skipped, or decided by an operator (a decision already
    settles them, whatever the model learns)."""
    done = read_answered(labels, Home(home).skipped_labels)
    decided = decided_pairs(home)
    if decided.height == 0:
        return done
    return pl.concat([done, read_answered_frame(decided)]).unique()


def run_label(
    home: Path, labels: Path, max_pairs: int, answers: TextIO, out: TextIO, interactive: bool
) -> dict[str, int]:
    """Ask about up to ``max_pairs`` queued pairs; returns counts per answer."""
    snap = load(home)
    skipped = Home(home).skipped_labels
    queue = label_queue(
        snap.reasons.collect(), snap.members, _answered(home, labels), max_pairs, spread=True
    )
    contacts = {(r["source"], r["source_id"]): r for r in snap.contacts.iter_rows(named=True)}
    rare_name = NameWeights.of_stats(snap.model.get("stats", {})).rare_name
    counts = {"match": 0, "distinct": 0, "unsure": 0}
    if queue.height == 0:
        print("nothing to label: every uncertain pair is answered", file=out)
        return counts
    stream = _answers(answers)
    for n, pair in enumerate(queue.iter_rows(named=True), start=1):
        left = contacts[(pair["source_l"], pair["source_id_l"])]
        right = contacts[(pair["source_r"], pair["source_id_r"])]
        rule = snap.kept_apart_row(
            (pair["source_l"], pair["source_id_l"]), (pair["source_r"], pair["source_id_r"])
        )
        words = kept_apart_words(rule, rare_name) if rule else None
        print(render_pair(pair, left, right, n, queue.height, words), file=out)
        answer = ""
        while answer not in ("y", "n", "u", "q"):
            if interactive:
                print(
                    "same person? [y]es / [n]o / [u]nsure / [q]uit: ", end="", file=out, flush=True
                )
            answer = next(stream, "q")
        if answer == "q":
            break
        label = ANSWER_LABELS[answer]
        row = (pair["source_l"], pair["source_id_l"], pair["source_r"], pair["source_id_r"], label)
        append_answers(skipped if label == "unsure" else labels, [row])
        counts[label] += 1
        print(f"  → {label}\n", file=out)
    return counts


def queue_frame(home: Path, labels: Path, max_pairs: int) -> pl.DataFrame:
    """The queue ``edin label`` would ask, as a frame (for the benchmark and tests)."""
    snap = load(home)
    return label_queue(
        snap.reasons.collect(), snap.members, _answered(home, labels), max_pairs, spread=True
    )
