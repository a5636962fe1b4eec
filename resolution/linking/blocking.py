"""Candidate pairs: the trained model's fingerprinter writes block keys, SQL makes distinct pairs.

This is dedupe's "big dedupe" pattern with DuckDB in place of PostgreSQL: blocks never live in
Python memory as pair lists, and a block too large to compare (a very common name) is skipped
and counted rather than exploding the pair count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import polars as pl

from resolution._typing import Record
from resolution.matching.model import MatchModel

log = logging.getLogger("edin")

BLOCK_BATCH = 500_000

_PAIRS_SQL = """
CREATE OR REPLACE TABLE candidate_pairs AS
WITH sized AS (
    SELECT block_key, record_id, count(*) OVER (PARTITION BY block_key) AS n FROM block_keys
)
SELECT DISTINCT a.record_id AS record_id_l, b.record_id AS record_id_r
FROM sized a JOIN sized b ON a.block_key = b.block_key AND a.record_id < b.record_id
WHERE a.n <= $max_block
ORDER BY record_id_l, record_id_r
"""


@dataclass(frozen=True)
class BlockingStats:
    block_keys: int
    blocks: int
    skipped_blocks: int  # larger than max_block_size
    skipped_records: int  # record slots in skipped blocks
    pairs: int


def _batches(model: MatchModel, records: dict[int, Record]) -> Iterator[pl.DataFrame]:
    keys: list[str] = []
    ids: list[int] = []
    for key, record_id in model.blocks(sorted(records.items())):
        keys.append(key)
        ids.append(record_id)
        if len(keys) >= BLOCK_BATCH:
            yield pl.DataFrame(
                {"block_key": keys, "record_id": ids},
                schema={"block_key": pl.String, "record_id": pl.Int64},
            )
            keys, ids = [], []
    yield pl.DataFrame(
        {"block_key": keys, "record_id": ids},
        schema={"block_key": pl.String, "record_id": pl.Int64},
    )


def candidate_pairs(
    con: duckdb.DuckDBPyConnection,
    model: MatchModel,
    records: dict[int, Record],
    max_block_size: int,
) -> BlockingStats:
    """Fill tables ``block_keys`` and ``candidate_pairs`` (record_id_l < record_id_r) in ``con``."""
    con.execute("CREATE OR REPLACE TABLE block_keys (block_key VARCHAR, record_id BIGINT)")
    for batch in _batches(model, records):
        con.register("batch", batch)
        con.execute("INSERT INTO block_keys SELECT block_key, record_id FROM batch")
        con.unregister("batch")
    con.execute(_PAIRS_SQL, {"max_block": max_block_size})
    row = con.execute(
        """
        SELECT (SELECT count(*) FROM block_keys),
               count(*), count(*) FILTER (WHERE n > $max_block),
               coalesce(sum(n) FILTER (WHERE n > $max_block), 0),
               (SELECT count(*) FROM candidate_pairs)
        FROM (SELECT count(*) AS n FROM block_keys GROUP BY block_key)
    """,
        {"max_block": max_block_size},
    ).fetchall()[0]
    stats = BlockingStats(*map(int, row))
    if stats.skipped_blocks:
        log.warning(
            "blocking: %d block(s) larger than %d records skipped (%d record slots); "
            "raise [resolution] max_block_size to compare them",
            stats.skipped_blocks,
            max_block_size,
            stats.skipped_records,
        )
    log.info("blocking: %d block keys, %d candidate pairs", stats.block_keys, stats.pairs)
    return stats
