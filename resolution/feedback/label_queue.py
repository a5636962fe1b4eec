"""The active-learning queue: the scored pairs an operator's answer would teach the model most.

dedupe's active learner asks about the pairs its classifier is least sure of. Here the queue is
built from the published snapshot (``pair_reasons``: every pair the blocking rules proposed and
the model kept), so it needs no warehouse and no lock: pairs ordered by how close their score is
to 0.5, skipping pairs already labelled or skipped, and kept diverse (dedupe draws from several
blocks for the same reason): a contact is asked about at most once per queue, and at most one
pair per pair of profiles, so ten answers are not spent on one family sharing a phone. Pairs the
name-only guard holds are never asked about: no answer could move them, and scoring does not
keep them (``resolution.linking.scoring``).

Answers are training labels (``--labels`` file, read by ``resolution.training.labels.read_labels``),
not operator decisions: a label teaches the model, and so may change other profiles; a decision
(``edin merge`` / ``unmerge``) pins these contacts together or apart whatever the model says.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from resolution.contract import LABEL_COLUMNS
from resolution.files import write_atomic
from resolution.pairs import PAIR_KEY as _PAIR_KEY
from resolution.pairs import join_sides

KEY_L = ("source_l", "source_id_l")
KEY_R = ("source_r", "source_id_r")
PAIR_KEY = list(_PAIR_KEY)
# "unsure" answers go to Home.skipped_labels (same columns, label = unsure): they are not
# training labels, but the queue does not ask about them again.
ANSWER_LABELS = {"y": "match", "n": "distinct", "u": "unsure"}


def _ordered(pairs: pl.DataFrame) -> pl.DataFrame:
    """Pairs with the smaller (source, source_id) on the left."""
    swap = (pl.col("source_l") > pl.col("source_r")) | (
        (pl.col("source_l") == pl.col("source_r")) & (pl.col("source_id_l") > pl.col("source_id_r"))
    )
    other = dict(zip(PAIR_KEY, [*KEY_R, *KEY_L], strict=True))
    # one with_columns: every expression reads the columns as they were before the swap
    return pairs.with_columns(
        pl.when(swap).then(pl.col(other[c])).otherwise(pl.col(c)).alias(c) for c in PAIR_KEY
    )


def read_answered(*paths: Path) -> pl.DataFrame:
    """The pairs already answered in these labels / skipped files (missing files are empty)."""
    frames = [
        pl.read_csv(p, infer_schema=False).select(PAIR_KEY)
        for p in paths
        if p.exists() and p.stat().st_size > 0
    ]
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(PAIR_KEY, pl.String))
    return read_answered_frame(pl.concat(frames))


def read_answered_frame(pairs: pl.DataFrame) -> pl.DataFrame:
    """Answered pairs in the queue's form: sources in lower case (as ``read_labels`` reads
    them), the smaller contact on the left, each pair once."""
    both = pairs.select(PAIR_KEY).with_columns(
        pl.col("source_l").str.to_lowercase(), pl.col("source_r").str.to_lowercase()
    )
    return _ordered(both).unique()


def label_queue(
    pair_reasons: pl.DataFrame,
    members: pl.DataFrame,
    answered: pl.DataFrame | None = None,
    size: int = 20,
) -> pl.DataFrame:
    """The ``size`` most uncertain unanswered pairs, diverse, in asking order.

    Returns the pair_reasons rows plus ``profile_id_l``/``profile_id_r`` and ``uncertainty``
    (|score − 0.5|). Deterministic: ties go by the contact keys.
    """
    pairs = _ordered(pair_reasons)
    if answered is not None and answered.height:
        pairs = pairs.join(answered.select(PAIR_KEY), on=PAIR_KEY, how="anti")
    pairs = (
        join_sides(pairs, members, on=("source", "source_id"), add=("profile_id",), how="left")
        .with_columns((pl.col("score") - 0.5).abs().alias("uncertainty"))
        .sort("uncertainty", *PAIR_KEY)
    )
    picked: list[int] = []
    seen_contacts: set[tuple[str, str]] = set()
    seen_profiles: set[tuple[str, str]] = set()
    cols = [*PAIR_KEY, "profile_id_l", "profile_id_r"]
    for i, (sl, il, sr, ir, pa, pb) in enumerate(pairs.select(cols).iter_rows()):
        a, b = (sl, il), (sr, ir)
        profiles = (min(str(pa), str(pb)), max(str(pa), str(pb)))
        if a in seen_contacts or b in seen_contacts or profiles in seen_profiles:
            continue
        picked.append(i)
        seen_contacts |= {a, b}
        seen_profiles.add(profiles)
        if len(picked) >= size:
            break
    return pairs[picked]


def append_answers(path: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    """Append (source_l, source_id_l, source_r, source_id_r, label) rows to a labels CSV in the
    format ``read_labels`` reads, writing the header when the file is new. The file is
    rewritten atomically: an interrupted answer never leaves half a line."""
    old = path.read_bytes() if path.exists() else b""
    out = io.StringIO()
    w = csv.writer(out)
    if not old.strip():
        old = b""
        w.writerow(LABEL_COLUMNS)
    elif not old.endswith(b"\n"):
        old += b"\n"
    w.writerows(rows)
    write_atomic(path, old + out.getvalue().encode("utf-8"))
