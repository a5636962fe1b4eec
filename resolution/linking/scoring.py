"""The scoring stage: every candidate pair scored in chunks, with each field's reasons.

Scores come from the one scoring path (``resolution.matching.scoring.score_pairs``); the reasons
are each field's contribution to the log-odds, computed from the same distance features as the
score (one extra small matrix product per chunk, no second pass over the pairs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from resolution._typing import Record
from resolution.contract import SCORED_PAIR_REASONS, SCORED_PAIRS, conform, conform_reasons
from resolution.linking.blocking import HELD_TABLE
from resolution.matching.comparison import RecordColumns
from resolution.matching.explanation import contributions, field_weights, reasons_frame
from resolution.matching.fields import NAME_COUNT
from resolution.matching.guard import NameWeights, name_only_pairs
from resolution.matching.model import MatchModel
from resolution.matching.scoring import score_pairs

log = logging.getLogger("edin")

# Pairs scoring below this are not kept: they can never join a cluster at any sane threshold.
# Nor are the pairs the name-only guard holds down: nothing but a name links them, no answer
# can move them, and they were four in five of the pairs scored at a million contacts (and
# three quarters of the clustering time) while changing no pairwise F1 by more than 0.003.
KEEP_SCORE = 0.05

NAME_ONLY_GUARD = "name_only_guard"
"""The reason column of the name-only guard (``resolution.matching.guard``)."""

_CANDIDATES_SQL = (
    "SELECT record_id_l, record_id_r FROM candidate_pairs ORDER BY record_id_l, record_id_r"
)


@dataclass(frozen=True)
class ScoredCandidates:
    """The kept pairs (``scored_pairs``), their reasons (``scored_pair_reasons``) and how many
    candidate pairs the name-only guard held (and so were not kept)."""

    scored: pl.DataFrame
    reasons: pl.DataFrame
    held_by_guard: int


def score_chunk(
    model: MatchModel,
    table: RecordColumns,
    left: np.ndarray,
    right: np.ndarray,
    matrix: np.ndarray,
    fields: list[str],
) -> tuple[pl.DataFrame, int]:
    """The pairs (left[i], right[i]) scored, those kept (at least KEEP_SCORE and not only a
    name connects them: ``name_only_pairs``) as a reasons frame, and how many the guard held.
    ``matrix`` and ``fields`` are ``field_weights(model)``, the fields followed by
    NAME_ONLY_GUARD. The DuckDB path and the Spark engine (``resolution.spark``) both keep
    pairs through here."""
    cols = model.columns(table.pairs(left, right))
    got = score_pairs(model, cols)
    # Every pair only a name connects is held, whatever its score: the DuckDB engine's blocking
    # never makes them candidates (``linkable_sql``), and both engines keep the same pairs.
    held = name_only_pairs(cols, model.specs, NameWeights.of_model(model))
    keep = (got.score >= KEEP_SCORE) & ~held
    contrib = np.column_stack([contributions(got.features[keep], matrix), got.guard[keep]])
    frame = reasons_frame(left[keep], right[keep], got.score[keep], contrib, fields)
    return frame, int(held.sum())


def _held_by_blocking(con: duckdb.DuckDBPyConnection) -> int:
    """How many blocked pairs ``candidate_pairs`` left out as held by the name-only guard."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND NOT temporary",
        {"t": HELD_TABLE},
    ).fetchall()
    if not exists[0][0]:
        return 0
    rows = con.execute(f"SELECT held FROM {HELD_TABLE}").fetchall()
    return int(rows[0][0]) if rows else 0


def score_candidates(
    con: duckdb.DuckDBPyConnection, model: MatchModel, records: Mapping[int, Record], chunk: int
) -> ScoredCandidates:
    """Score every row of table ``candidate_pairs``, keeping the pairs scoring above the floor
    and not held by the name-only guard (``edin explain`` re-scores those on demand)."""
    candidates = con.sql(_CANDIDATES_SQL).pl()
    table = RecordColumns(records, [*(s.name for s in model.specs), NAME_COUNT])
    fields, matrix = field_weights(model)
    fields = [*fields, NAME_ONLY_GUARD]
    kept: list[pl.DataFrame] = []
    held = 0
    started = time.monotonic()
    for done in range(0, candidates.height, chunk):
        rows = candidates.slice(done, chunk)
        left, right = rows["record_id_l"].to_numpy(), rows["record_id_r"].to_numpy()
        frame, n_held = score_chunk(model, table, left, right, matrix, fields)
        kept.append(frame)
        held += n_held
        log.info(
            "scored %d / %d pairs (%.0f pairs/s)",
            done + rows.height,
            candidates.height,
            (done + rows.height) / max(time.monotonic() - started, 1e-9),
        )
    # The pairs the blocking stage already held (only a name connects them) were never candidates.
    held += _held_by_blocking(con)
    log.info("%d pairs held below the threshold by the name-only guard, not kept", held)
    if not kept:
        empty = reasons_frame(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros((0, len(fields))),
            fields,
        )
        return ScoredCandidates(pl.DataFrame(schema=SCORED_PAIRS), empty, held)
    reasons = conform_reasons(pl.concat(kept), SCORED_PAIR_REASONS, "scored_pair_reasons")
    return ScoredCandidates(conform(reasons, SCORED_PAIRS, "scored_pairs"), reasons, held)
