"""The explanation tables of a snapshot: the contacts as the model saw them, and every kept
pair's reasons keyed by contact, so that `edin explain`, `edin label` and the review app read
the snapshot alone (never the warehouse)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from resolution.contract import (
    PAIR_REASONS,
    REASON_PREFIX,
    SNAPSHOT_CONTACTS,
    conform,
    conform_reasons,
)
from resolution.pairs import ids_to_keys


def snapshot_contacts(contacts: pl.DataFrame, match_records: dict[int, Any]) -> pl.DataFrame:
    """The published contacts table (contract SNAPSHOT_CONTACTS) from ``normalized_contacts``
    and the model's records of them, sorted by key."""
    ids = contacts["record_id"].to_list()
    recs = [json.dumps(match_records[i], ensure_ascii=False, sort_keys=True) for i in ids]
    out = contacts.select(
        "source",
        "source_id",
        "display_name",
        pl.col("phones_display").alias("phones"),
        pl.col("emails_display").alias("emails"),
        pl.col("handles_display").alias("handles"),
        "city",
        "created_at",
        "flags",
    ).with_columns(pl.Series("match_record", recs, pl.String))
    return conform(out.sort("source", "source_id"), SNAPSHOT_CONTACTS, "contacts")


def published_reasons(reasons: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """scored_pair_reasons keyed by (source, source_id) on each side, sorted (contract
    PAIR_REASONS plus the contribution columns)."""
    out = ids_to_keys(reasons, contacts)
    cols = [c for c in reasons.columns if c.startswith(REASON_PREFIX)]
    out = out.select(*PAIR_REASONS, *cols).sort(
        "source_l", "source_id_l", "source_r", "source_id_r"
    )
    return conform_reasons(out, PAIR_REASONS, "pair_reasons")


def parse_record(text: str) -> dict[str, Any]:
    """A ``match_record`` JSON back into a dedupe record (lists as tuples, as ``records`` makes)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(text).items()}
