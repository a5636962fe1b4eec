"""An operator simulated from the truth: answers the product's own label queue.

The benchmarks (``bench/label_curve.py``, ``bench/quality/run.py``) answer the pairs
``edin label`` would show, in the order it shows them, with the answer the truth gives; the
product then retrains on the seeds plus every answer so far, as after a real labelling session.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from edin.label import queue_frame
from resolution.feedback import append_answers

Truth = dict[tuple[str, str], str]


def read_truth(path: Path) -> Truth:
    """(source, source_id) → entity, from a truth CSV (source, source_id, entity_id)."""
    truth = pl.read_csv(path, infer_schema=False)
    return {(s, i): e for s, i, e in truth.select("source", "source_id", "entity_id").iter_rows()}


def answer_queue(home: Path, labels: Path, truth: Truth, n: int) -> tuple[int, int]:
    """Answer the next ``n`` pairs of the queue of ``home``'s published snapshot into
    ``labels``; returns (answered, of which matches). Fewer when the queue runs dry."""
    queue = queue_frame(home, labels, n)
    rows = []
    for sl, il, sr, ir in queue.select(
        "source_l", "source_id_l", "source_r", "source_id_r"
    ).iter_rows():
        same = truth[(sl, il)] == truth[(sr, ir)]
        rows.append((sl, il, sr, ir, "match" if same else "distinct"))
    append_answers(labels, rows)
    return len(rows), sum(r[4] == "match" for r in rows)
