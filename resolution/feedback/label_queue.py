"""The active-learning queue: the scored pairs an operator's answer would teach the model most.

Two orders, both built from the published snapshot (``pair_reasons``: every pair the blocking
rules proposed and the model kept), so the queue needs no warehouse and no lock, and both skip
pairs already labelled, skipped or decided:

- ``spread`` (``edin label``, whose answers train the model): dedupe's order once blocking covers
  the pairs, "uniformly across classifier confidence" (``spread_target``): the k-th question is
  the pair scoring nearest a target that sweeps the scores evenly, not nearest 0.5, where
  distinct pairs dominate and answers only lowered every score (fake_20000: 48 of 50 answers
  "distinct", pairwise F1 0.812 → 0.782).
- most uncertain first (the review app's queue, whose answers are decisions on the clusters):
  pairs ordered by how close their score is to 0.5.

Both are kept diverse (dedupe draws from several blocks for the same reason): a contact is asked
about at most once per queue, and at most one pair per pair of profiles, so ten answers are not
spent on one family sharing a phone. Pairs the name-only guard holds are never asked about: no
answer could move them, and scoring does not keep them (``resolution.linking.scoring``).

Answers are training labels (``--labels`` file, read by ``resolution.training.labels.read_labels``),
not operator decisions: a label teaches the model, and so may change other profiles; a decision
(``edin merge`` / ``unmerge``) pins these contacts together or apart whatever the model says.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
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
    *,
    spread: bool = False,
) -> pl.DataFrame:
    """The ``size`` most uncertain unanswered pairs, diverse, in asking order.

    With ``spread`` (the training queue of ``edin label``) the k-th question goes instead to
    the pair whose score is nearest ``spread_target(k)``, k counting the pairs ``answered``
    already (see ``spread_target``).

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
    if spread:
        pairs = pairs.sort("score", *PAIR_KEY)
        start = 0 if answered is None else answered.height
        return pairs[_spread_picks(pairs, size, start)]
    return pairs[_diverse_picks(pairs, range(pairs.height), size)]


class _Diversity:
    """A contact is asked about at most once per queue, and one pair per pair of profiles."""

    def __init__(self, pairs: pl.DataFrame) -> None:
        cols = [*PAIR_KEY, "profile_id_l", "profile_id_r"]
        self.rows = pairs.select(cols).rows()
        self.contacts: set[tuple[str, str]] = set()
        self.profiles: set[tuple[str, str]] = set()

    def take(self, i: int) -> bool:
        sl, il, sr, ir, pa, pb = self.rows[i]
        a, b = (sl, il), (sr, ir)
        profiles = (min(str(pa), str(pb)), max(str(pa), str(pb)))
        if a in self.contacts or b in self.contacts or profiles in self.profiles:
            return False
        self.contacts |= {a, b}
        self.profiles.add(profiles)
        return True


def _diverse_picks(pairs: pl.DataFrame, order: range, size: int) -> list[int]:
    diversity = _Diversity(pairs)
    picked: list[int] = []
    for i in order:
        if len(picked) >= size:
            break
        if diversity.take(i):
            picked.append(i)
    return picked


def spread_target(k: int) -> float:
    """The score the k-th training question (k = 0, 1, …) is asked nearest: the base-2 van der
    Corput sequence, 0.5, 0.25, 0.75, 0.125, 0.625, 0.375, 0.875, …

    dedupe's active learner, once blocking covers the pairs, asks about the pair nearest a
    random target score "uniformly across classifier confidence", not nearest 0.5, "because
    negative examples would dominate" (dedupe.labeler.DisagreementLearner.pop). They did here:
    on fake_20000 the cold-start model scores 20,680 kept pairs in [0.5, 0.6), 2% of them
    matches, and 48 of 50 answers nearest 0.5 were "distinct"; retrained on them the model
    lowered every score, matches too (pairwise recall 0.742 → 0.660, F1 0.812 → 0.782). This
    sequence spreads the questions evenly over the scores, as dedupe's random targets do on
    average, but deterministically, and every round of answers fills the gaps the earlier
    rounds left (k counts every pair already answered)."""
    x, denominator, n = 0.0, 1.0, k + 1
    while n:
        denominator *= 2
        n, bit = divmod(n, 2)
        x += bit / denominator
    return x


def _spread_picks(pairs: pl.DataFrame, size: int, start: int) -> list[int]:
    """Indices into ``pairs`` (sorted by score) nearest ``spread_target(start + i)`` each,
    diverse (``_Diversity``); a tie in distance goes to the lower score."""
    scores = pairs["score"].to_numpy()
    diversity = _Diversity(pairs)
    taken = np.zeros(len(scores), dtype=bool)
    picked: list[int] = []
    for k in range(start, start + size * SPREAD_TRIES):
        if len(picked) >= size or taken.all():
            break
        target = spread_target(k)
        hi = int(np.searchsorted(scores, target))
        lo = hi - 1
        while lo >= 0 or hi < len(scores):
            below = target - scores[lo] if lo >= 0 else np.inf
            above = scores[hi] - target if hi < len(scores) else np.inf
            i = lo if below <= above else hi
            if i == lo:
                lo -= 1
            else:
                hi += 1
            if taken[i]:
                continue
            taken[i] = True  # a pair diversity refuses is not tried again
            if diversity.take(i):
                picked.append(i)
                break
    return picked


# A target whose nearby pairs diversity refuses is followed by the next: at most this many
# targets per question asked.
SPREAD_TRIES = 4


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
