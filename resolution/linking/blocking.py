"""Candidate pairs: the trained model's fingerprinter writes block keys, SQL makes distinct pairs.

This is dedupe's "big dedupe" pattern with DuckDB in place of PostgreSQL: blocks never live in
Python memory as pair lists, and a block too large to compare (a very common name) is skipped
and counted rather than exploding the pair count. A pair only a name connects (the name-only
guard, ``resolution.matching.guard``) can never merge, and was three quarters of the pairs at
half a million contacts. When every field the guard reads is a contact field (no configured
string field), the pairs something other than a name links are found first, by a join on shared
evidence (a phone, an e-mail, a handle, ..., one rare full name), and only those sharing a block
are kept: the namesake pairs of large name blocks are never made (16.7M pairs sharing a block
at a million contacts, 0.59M of them candidates), and their number is estimated (HyperLogLog).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from resolution._typing import Record
from resolution.config import EXTRA_PREFIX
from resolution.matching.fields import (
    CUSTOM_COMPARATORS,
    NAME_COUNT,
    FieldSpec,
    FrameRecords,
    sorted_columns,
)
from resolution.matching.guard import (
    CONTEXT_FIELDS,
    DEFAULT_WEIGHTS,
    NAME_FIELDS,
    NameWeights,
    linkable_sql,
)
from resolution.matching.model import MatchModel

log = logging.getLogger("edin")


EXACT_HELD_UP_TO = 2_000_000
"""Pairs sharing a block (with repeats) up to which the held pairs are counted, not estimated."""

HELD_TABLE = "candidate_pairs_held"
"""One row, column ``held``: the blocked pairs the name-only guard holds (not candidates)."""

_BLOCKED_SQL = """
CREATE OR REPLACE TEMP TABLE blocked_pairs AS
WITH sized AS (
    SELECT block_key, record_id, count(*) OVER (PARTITION BY block_key) AS n FROM block_keys
)
SELECT DISTINCT a.record_id AS record_id_l, b.record_id AS record_id_r
FROM sized a JOIN sized b ON a.block_key = b.block_key AND a.record_id < b.record_id
WHERE a.n <= $max_block
"""


_SMALL_BLOCKS = """
WITH sized AS (
    SELECT block_key, record_id, count(*) OVER (PARTITION BY block_key) AS n FROM block_keys
)
SELECT block_key, record_id FROM sized WHERE n <= $max_block
"""


def _evidence_sql(specs: list[FieldSpec], weights: NameWeights = DEFAULT_WEIGHTS) -> str | None:
    """A query of (record_id, field, value): each value of a field other than a name that two
    records agree on when equal (a set's elements one by one), and the full name of a record
    whose full name few enough contacts bear that context may let it through
    (``weights.rare_name``).
    Two records share a row's (field, value) when ``linkable_sql`` may hold for them (exactly,
    but for the weighing of a shared name, which ``_linked_pairs`` then applies). ``None`` when
    a configured string field is among the fields: ``linkable_sql`` lets every pair with two
    values of it through, which no join on values finds."""
    parts = []
    for i, spec in enumerate(specs):
        if spec.name in NAME_FIELDS:
            continue
        if spec.name.startswith(EXTRA_PREFIX):
            return None
        col = '"' + spec.name.replace('"', '""') + '"'
        value = f"unnest({col})" if spec.type == "Set" else col
        parts.append(f"SELECT record_id, {i} AS field, {value} AS value FROM guard_records")
    rare = f"contains(name, ' ') AND \"{NAME_COUNT}\" <= {weights.rare_name}"
    parts.append(f"SELECT record_id, -1 AS field, name AS value FROM guard_records WHERE {rare}")
    return " UNION ALL ".join(f"({q})" for q in parts)


# An incremental run's evidence: the rows of the values a dirty contact holds (a pair with a
# dirty side shares one of them), and its small blocks: those holding a dirty contact (a pair
# with a dirty side shares one of them), each counted whole.
_DIRTY_EVIDENCE = """
CREATE OR REPLACE TEMP TABLE evidence AS
WITH mine AS (
    SELECT DISTINCT field, value FROM ({evidence})
    WHERE value IS NOT NULL AND record_id IN (SELECT record_id FROM dirty_contacts)
)
SELECT DISTINCT e.record_id, e.field, e.value
FROM ({evidence}) e SEMI JOIN mine USING (field, value)
"""

_DIRTY_SMALL_BLOCKS = """
CREATE OR REPLACE TEMP TABLE small_blocks AS
WITH touched AS (
    SELECT DISTINCT block_key FROM block_keys
    WHERE record_id IN (SELECT record_id FROM dirty_contacts)
), sized AS (
    SELECT k.block_key, k.record_id, count(*) OVER (PARTITION BY k.block_key) AS n
    FROM block_keys k SEMI JOIN touched USING (block_key)
)
SELECT block_key, record_id FROM sized WHERE n <= $max_block
"""


def _evidence_tables(
    con: duckdb.DuckDBPyConnection, evidence: str, max_block: int, *, dirty: bool = False
) -> None:
    """Temp tables ``evidence`` (the rows of ``_evidence_sql``) and ``small_blocks`` (the
    block keys of blocks of at most ``max_block`` records). With ``dirty`` (an incremental
    run), only the rows and blocks a pair with a side in table ``dirty_contacts`` can share:
    the same pairs come out of ``_linked_sql``, without going through the whole home's."""
    if dirty:
        con.execute(_DIRTY_EVIDENCE.format(evidence=evidence))
        con.execute(_DIRTY_SMALL_BLOCKS, {"max_block": max_block})
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE evidence AS SELECT DISTINCT record_id, field, value"
        f" FROM ({evidence}) WHERE value IS NOT NULL"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE small_blocks AS {_SMALL_BLOCKS}", {"max_block": max_block}
    )


def _linked_sql(
    specs: list[FieldSpec], dirty: bool, weights: NameWeights = DEFAULT_WEIGHTS
) -> list[str]:
    """candidate_pairs from the temp tables of ``_evidence_tables`` and ``guard_records``: the
    pairs sharing some evidence and a small block that ``linkable_sql`` lets through; with
    ``dirty``, only those with a side in table ``dirty_contacts`` (an incremental run).

    Three statements, each with one order its joins can take: written as one, DuckDB's join
    order optimizer now and then joined ``small_blocks`` with itself on the block key first,
    the 16M namesake pairs of a million contacts that this join exists not to make (the same
    statement took 1.7 s or 85 s from one run to the next on one warehouse)."""
    if dirty:
        linked = """
            SELECT DISTINCT least(a.record_id, b.record_id) AS l,
                   greatest(a.record_id, b.record_id) AS r
            FROM evidence a JOIN evidence b
              ON a.field = b.field AND a.value = b.value AND a.record_id <> b.record_id
            WHERE a.record_id IN (SELECT record_id FROM dirty_contacts)"""
    else:
        linked = """
            SELECT DISTINCT a.record_id AS l, b.record_id AS r
            FROM evidence a JOIN evidence b
              ON a.field = b.field AND a.value = b.value AND a.record_id < b.record_id"""
    return [
        f"CREATE OR REPLACE TEMP TABLE linked_pairs AS {linked}",
        # each linked pair with the blocks of its left side (a join on the contact alone)
        """
        CREATE OR REPLACE TEMP TABLE linked_blocks AS
        SELECT p.l, p.r, a.block_key
        FROM linked_pairs p JOIN small_blocks a ON a.record_id = p.l
        """,
        # kept when its right side is in one of those blocks and the guard lets it through
        f"""
        CREATE OR REPLACE TABLE candidate_pairs AS
        SELECT DISTINCT k.l AS record_id_l, k.r AS record_id_r
        FROM linked_blocks k
        JOIN small_blocks b ON b.record_id = k.r AND b.block_key = k.block_key
        JOIN guard_records gl ON gl.record_id = k.l
        JOIN guard_records gr ON gr.record_id = k.r
        WHERE {linkable_sql(specs, "gl", "gr", weights=weights)}
        ORDER BY record_id_l, record_id_r
        """,
        "DROP TABLE linked_pairs",
        "DROP TABLE linked_blocks",
    ]


def _drop_evidence_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE evidence")
    con.execute("DROP TABLE small_blocks")


def _linked_pairs(
    con: duckdb.DuckDBPyConnection,
    evidence: str,
    max_block: int,
    exact_up_to: int,
    specs: list[FieldSpec],
    weights: NameWeights = DEFAULT_WEIGHTS,
) -> None:
    """Tables candidate_pairs (the pairs sharing some evidence, ``_evidence_sql``, and a block
    of at most ``max_block`` records) and blocked_pairs_estimate (how many distinct pairs share
    such a block: counted when the blocks hold at most ``exact_up_to`` pairs with repeats,
    else estimated by HyperLogLog, within a few per cent, without keeping them)."""
    _evidence_tables(con, evidence, max_block)
    for sql in _linked_sql(specs, dirty=False, weights=weights):
        con.execute(sql)
    slots = con.execute(
        "SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM"
        " (SELECT count(*) AS n FROM small_blocks GROUP BY block_key)"
    ).fetchall()[0][0]
    count = "count(DISTINCT" if slots <= exact_up_to else "approx_count_distinct("
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE blocked_pairs_estimate AS
        SELECT {count} a.record_id * 4294967296 + b.record_id) AS n
        FROM small_blocks a JOIN small_blocks b
          ON a.block_key = b.block_key AND a.record_id < b.record_id
        """
    )
    _drop_evidence_tables(con)


def dirty_candidate_pairs(
    con: duckdb.DuckDBPyConnection,
    specs: list[FieldSpec],
    records: Mapping[int, Record],
    max_block_size: int,
    weights: NameWeights = DEFAULT_WEIGHTS,
) -> bool:
    """Table candidate_pairs of an incremental run: the pairs ``candidate_pairs`` makes that
    have a side in table ``dirty_contacts``, from table ``block_keys`` as it stands (the
    namesake pairs of a dirty contact's name blocks are never made, as in a full run). False,
    and nothing written, when the evidence join does not apply (a configured string field):
    the caller then makes every blocked pair with a dirty side, and scoring holds them."""
    evidence = _evidence_sql(specs, weights)
    if evidence is None:
        return False
    con.register("guard_records", guard_frame(records, specs))
    try:
        _evidence_tables(con, evidence, max_block_size, dirty=True)
        for sql in _linked_sql(specs, dirty=True, weights=weights):
            con.execute(sql)
        _drop_evidence_tables(con)
    finally:
        con.unregister("guard_records")
    return True


def _pairs_sql(specs: list[FieldSpec], weights: NameWeights = DEFAULT_WEIGHTS) -> str:
    """candidate_pairs: the blocked pairs that something other than a name may link."""
    return f"""
CREATE OR REPLACE TABLE candidate_pairs AS
SELECT p.record_id_l, p.record_id_r
FROM blocked_pairs p
JOIN guard_records l ON l.record_id = p.record_id_l
JOIN guard_records r ON r.record_id = p.record_id_r
WHERE {linkable_sql(specs, "l", "r", weights=weights)}
ORDER BY p.record_id_l, p.record_id_r
"""


@dataclass(frozen=True)
class BlockingStats:
    block_keys: int
    blocks: int
    skipped_blocks: int  # larger than max_block_size
    skipped_records: int  # record slots in skipped blocks
    pairs: int  # candidate pairs: distinct pairs sharing a block, less those held
    held_by_guard: int = 0  # pairs sharing a block that only a name connects: not candidates


def _list_column(values: list[Any]) -> pa.ListArray:
    """Tuples of strings (or None) as one Arrow list column, built from one flat array: polars
    converts a Python list of tuples an element at a time, ten times slower."""
    lengths = np.fromiter((0 if v is None else len(v) for v in values), np.int32, len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    flat = pa.array(list(itertools.chain.from_iterable(v for v in values if v)), pa.string())
    missing = pa.array(np.fromiter((v is None for v in values), bool, len(values)))
    return pa.ListArray.from_arrays(pa.array(offsets), flat, mask=missing)


def guard_frame(records: Mapping[int, Record], specs: list[FieldSpec]) -> pa.Table:
    """The records as the table ``linkable_sql`` reads: record_id, the name count and the
    guard's fields (sets as lists), values exactly as the records hold them."""
    names = {"name", *CONTEXT_FIELDS, *(s.name for s in specs if s.name not in NAME_FIELDS)}
    fields = [*(s.name for s in specs if s.name in names), NAME_COUNT]
    ids, columns = _record_columns(records, fields, {s.name for s in specs if s.type == "Set"})
    frame = pl.DataFrame([ids, *columns.values()])
    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())


def _record_columns(
    records: Mapping[int, Record], fields: list[str], sets: set[str]
) -> tuple[pl.Series, dict[str, pl.Series]]:
    """The record ids in ascending order and each field's values in that order, as polars
    columns (null for None, sets as lists, the name count as Int64): from the record frame's
    columns when the records are ``FrameRecords``, else from the records."""
    if isinstance(records, FrameRecords):
        return records.id_series(), {f: records.series(f) for f in fields}
    ids, values = sorted_columns(records, fields)
    columns = {
        f: pl.Series(
            f,
            pa.array(v, pa.int64())
            if f == NAME_COUNT
            else _list_column(v)
            if f in sets
            else pa.array(v, pa.float64())
            if f in CUSTOM_COMPARATORS  # numbers (creation times in days)
            else pa.array(v, pa.string()),
        )
        for f, v in values.items()
    }
    return pl.Series("record_id", ids, dtype=pl.Int64), columns


def block_key_frames(model: MatchModel, records: Mapping[int, Record]) -> Iterator[pl.DataFrame]:
    """(block_key, record_id) of every block a record falls into: the rows of
    ``model.blocks``, one frame per blocking rule. Each rule's predicate runs once per distinct
    value of its fields (found by polars over the field columns); the keys reach the records by
    a join, not a Python loop per record and key."""
    fields_used = list(dict.fromkeys(p.field for pred in model.predicates for p in pred))
    sets = {s.name for s in model.specs if s.type == "Set"}
    record_ids, columns = _record_columns(records, fields_used, sets)

    def column(field: str) -> pl.Series:
        return columns[field]

    for i, pred in enumerate(model.predicates):
        suffix = f":{i}"
        fields = list(dict.fromkeys(p.field for p in pred))  # a field may serve two predicates
        frame = pl.DataFrame([column(f) for f in fields]).with_columns(record_ids)
        distinct = frame.select(fields).unique(maintain_order=True).with_row_index("code")
        key_codes: list[int] = []
        keys: list[str] = []
        for code, *values in distinct.iter_rows():
            record = {
                f: tuple(v) if f in sets and v is not None else v
                for f, v in zip(fields, values, strict=True)
            }
            for key in sorted(pred(record)):
                key_codes.append(code)
                keys.append(key + suffix)
        by_value = pl.DataFrame(
            {"code": key_codes, "block_key": keys},
            schema={"code": pl.UInt32, "block_key": pl.String},
        )
        yield (
            frame.join(distinct, on=fields, how="inner", nulls_equal=True)
            .join(by_value, on="code", how="inner")
            .select("block_key", "record_id")
        )


def candidate_pairs(
    con: duckdb.DuckDBPyConnection,
    model: MatchModel,
    records: Mapping[int, Record],
    max_block_size: int,
    exact_held_up_to: int = EXACT_HELD_UP_TO,
) -> BlockingStats:
    """Fill tables ``block_keys`` and ``candidate_pairs`` (record_id_l < record_id_r) in ``con``.
    The pairs the guard holds are counted exactly up to ``exact_held_up_to`` pairs sharing a
    block (with repeats), estimated above."""
    con.execute("CREATE OR REPLACE TABLE block_keys (block_key VARCHAR, record_id BIGINT)")
    for batch in block_key_frames(model, records):
        con.register("batch", batch)
        con.execute("INSERT INTO block_keys SELECT block_key, record_id FROM batch")
        con.unregister("batch")
    specs = list(model.specs)
    weights = NameWeights.of_model(model)
    evidence = _evidence_sql(specs, weights)
    con.register("guard_records", guard_frame(records, specs))
    if evidence is None:
        con.execute(_BLOCKED_SQL, {"max_block": max_block_size})
        con.execute(_pairs_sql(specs, weights))
        blocked = "(SELECT count(*) FROM blocked_pairs)"
    else:
        _linked_pairs(con, evidence, max_block_size, exact_held_up_to, specs, weights)
        blocked = "(SELECT n FROM blocked_pairs_estimate)"
    con.unregister("guard_records")
    con.execute(
        f"CREATE OR REPLACE TABLE {HELD_TABLE} AS SELECT"
        f" greatest({blocked} - (SELECT count(*) FROM candidate_pairs), 0) AS held"
    )
    row = con.execute(
        """
        SELECT (SELECT count(*) FROM block_keys),
               count(*), count(*) FILTER (WHERE n > $max_block),
               coalesce(sum(n) FILTER (WHERE n > $max_block), 0),
               (SELECT count(*) FROM candidate_pairs), (SELECT held FROM candidate_pairs_held)
        FROM (SELECT count(*) AS n FROM block_keys GROUP BY block_key)
    """,
        {"max_block": max_block_size},
    ).fetchall()[0]
    con.execute("DROP TABLE IF EXISTS blocked_pairs")
    con.execute("DROP TABLE IF EXISTS blocked_pairs_estimate")
    stats = BlockingStats(*map(int, row))
    if stats.skipped_blocks:
        log.warning(
            "blocking: %d block(s) larger than %d records skipped (%d record slots); "
            "raise [resolution] max_block_size to compare them",
            stats.skipped_blocks,
            max_block_size,
            stats.skipped_records,
        )
    log.info(
        "blocking: %d block keys, %d candidate pairs, %d more held by the name-only guard",
        stats.block_keys,
        stats.pairs,
        stats.held_by_guard,
    )
    return stats
