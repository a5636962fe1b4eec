"""The explanation tables of a snapshot: the contacts as the model saw them, and every kept
pair's reasons keyed by contact, so that `edin explain`, `edin label` and the review app read
the snapshot alone (never the warehouse)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from resolution.contract import (
    PAIR_REASONS,
    PUBLISHED_KEPT_APART,
    REASON_PREFIX,
    SNAPSHOT_CONTACTS,
    conform,
    conform_reasons,
)
from resolution.pairs import ids_to_keys

if TYPE_CHECKING:
    from resolution.matching.fields import FieldSpec

log = logging.getLogger("edin")

KEY = ["source", "source_id"]
# The rows ``match_records_json`` makes the JSON of at a time
JSON_ROWS = 500_000
# The seed of ``record_hashes`` (kept in the warehouse's ``published_records``; a change of it,
# or of polars' hash, only means every match_record is made again once).
RECORD_SEED = 29


def match_record_json(record: dict[str, Any]) -> str:
    """A model record as ``match_record`` publishes it."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def snapshot_contacts(contacts: pl.DataFrame, match_records: dict[int, Any]) -> pl.DataFrame:
    """The published contacts table (contract SNAPSHOT_CONTACTS) from ``normalized_contacts``
    and the model's records of them, sorted by key."""
    ids = contacts["record_id"].to_list()
    recs = [match_record_json(match_records[i]) for i in ids]
    return snapshot_contacts_json(
        contacts, pl.DataFrame({"record_id": ids, "match_record": recs}, schema=_JSON_SCHEMA)
    )


_JSON_SCHEMA = {"record_id": pl.Int64, "match_record": pl.String}


def snapshot_contacts_json(contacts: pl.DataFrame, match_json: pl.DataFrame) -> pl.DataFrame:
    """``snapshot_contacts`` with the records already as JSON: ``match_json`` is
    (record_id, match_record), one row per contact."""
    out = contacts.select(
        "record_id",
        "source",
        "source_id",
        "display_name",
        pl.col("phones_display").alias("phones"),
        pl.col("emails_display").alias("emails"),
        pl.col("handles_display").alias("handles"),
        "city",
        "created_at",
        "flags",
    ).join(match_json, on="record_id", how="left")
    return conform(out.sort("source", "source_id"), SNAPSHOT_CONTACTS, "contacts")


def record_hashes(frame: pl.DataFrame) -> pl.Series:
    """Per row of a ``record_frame``, a hash of its record without the name count: equal
    hashes, equal match_records but for the count (``match_records_json`` puts it back)."""
    rest = frame.select(
        pl.exclude("record_id", "name_freq"),
        pl.col("name_freq").struct.field("key").alias("_name"),
    )
    return rest.hash_rows(seed=RECORD_SEED).reinterpret(signed=True).alias("record_hash")


def match_records_json(
    frame: pl.DataFrame,
    specs: Iterable[FieldSpec],
    keys: pl.DataFrame,
    published: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """(record_id, match_record, record_hash) of every row of a ``record_frame``.

    ``keys`` is (record_id, source, source_id) of the rows. ``published`` is (source,
    source_id, record_hash, match_record) of the snapshot published before: a contact whose
    record hash is unchanged takes its match_record from there with the name count put
    back, so only new and changed contacts go through ``frame_records`` and JSON (the name
    counts of most contacts move with every drop; their other fields rarely do)."""
    # not at the top: the readers of snapshots (API, review app) need no dedupe
    from resolution.matching.fields import NAME_COUNT

    specs = list(specs)
    prefix = '{"' + NAME_COUNT + '": '  # every match_record starts with the name count
    hashes = keys.select("record_id", *KEY).with_columns(record_hashes(frame))
    count = frame.select(
        "record_id",
        pl.col("name_freq").struct.field("n").cast(pl.String).fill_null("null").alias("_n"),
    )
    reused = pl.DataFrame(schema={**_JSON_SCHEMA, "record_hash": pl.Int64})
    # reuse relies on the name count sorting first among the record's keys
    if published is not None and published.height and all(s.name > NAME_COUNT for s in specs):
        rest = pl.col("match_record").str.strip_prefix(prefix)
        reused = (
            hashes.join(published, on=[*KEY, "record_hash"])
            .filter(pl.col("match_record").str.starts_with(prefix))
            .join(count, on="record_id")
            .select(
                "record_id",
                pl.concat_str(
                    pl.lit(prefix),
                    pl.col("_n"),
                    pl.lit(", "),
                    rest.str.splitn(", ", 2).struct.field("field_1"),
                ).alias("match_record"),
                "record_hash",
            )
            # a record of the name count alone has no ", " after it: made anew
            .drop_nulls("match_record")
        )
    todo = frame.join(reused.select("record_id"), on="record_id", how="anti")
    # a slice of rows at a time: the JSON fragments of every field of every contact at once
    # were gigabytes at 5M contacts (each row's record depends on that row alone)
    made = pl.concat(
        [
            records_json(todo.slice(start, JSON_ROWS), specs)
            for start in range(0, max(todo.height, 1), JSON_ROWS)
        ]
    )
    fresh = made.join(hashes.select("record_id", "record_hash"), on="record_id")
    log.info("match records: %d made, %d from the published snapshot", fresh.height, reused.height)
    return pl.concat([reused, fresh])


def records_json(frame: pl.DataFrame, specs: Iterable[FieldSpec]) -> pl.DataFrame:
    """(record_id, match_record) of the rows of a ``record_frame``: ``match_record_json`` of
    ``frame_records``, made as columns. Rows whose values JSON or ``str.split`` treat in a way
    the columns do not (control characters, unusual whitespace in a name, a null in a list)
    and fields of a type not listed below go through ``frame_records`` one by one."""
    from resolution.matching.fields import NAME_COUNT, frame_records

    specs = list(specs)
    values = frame.columns[2:]  # frame_records reads the fields in spec order from here
    fragments = {NAME_COUNT: _count_json(pl.col("name_freq").struct.field("n"))}
    odd: list[pl.Expr] = []
    floats: dict[str, str] = {}
    for spec, column in zip(specs, values, strict=True):
        dtype, col = frame.schema[column], pl.col(column)
        if spec.type == "Custom" and dtype == pl.Float64:
            floats[spec.name] = column  # repr in Python: float formatting is Python's
            continue
        if spec.type == "Set" and dtype == pl.List(pl.String):
            elements = col.list.eval(_quoted(pl.element())).list.join(", ")
            fragments[spec.name] = (
                pl.when(col.list.len().fill_null(0) > 0)
                .then(pl.concat_str(pl.lit("["), elements, pl.lit("]")))
                .otherwise(pl.lit("null"))
            )
            odd.append(
                col.list.eval(
                    pl.element().is_null() | pl.element().str.contains(_UNESCAPED)
                ).list.any()
            )
            continue
        if spec.type in ("Set", "Custom") or dtype != pl.String:
            return _records_json_by_row(frame, specs)
        text = col
        if spec.name == "name":  # its words sorted (``str.split`` on single spaces only)
            text = col.str.split(" ").list.sort().list.join(" ")
            odd.append(col.str.contains(_split_whitespace()) | col.str.contains("  ", literal=True))
            odd.append(col.str.starts_with(" ") | col.str.ends_with(" "))
        fragments[spec.name] = (
            pl.when(col.is_not_null() & (col != "")).then(_quoted(text)).otherwise(pl.lit("null"))
        )
        odd.append(col.str.contains(_UNESCAPED))
    parts = frame.select(
        "record_id",
        (pl.any_horizontal(*odd).fill_null(False) if odd else pl.lit(False)).alias("_odd"),
        *(e.alias(f"_v{i}") for i, e in enumerate(fragments.values())),
    )
    names = {name: f"_v{i}" for i, name in enumerate(fragments)}
    for name, column in floats.items():
        parts = parts.with_columns(
            pl.Series(names.setdefault(name, f"_f{name}"), _floats_json(frame[column]), pl.String)
        )
    pieces: list[pl.Expr] = []
    for name in sorted(names):
        pieces.append(
            pl.lit(("{" if not pieces else ", ") + json.dumps(name, ensure_ascii=False) + ": ")
        )
        pieces.append(pl.col(names[name]))
    made = parts.select("record_id", "_odd", pl.concat_str(*pieces, pl.lit("}")).alias("j"))
    by_row = frame.join(made.filter("_odd").select("record_id"), on="record_id", how="semi")
    odd_rows = frame_records(by_row, specs)
    log.debug("%d of %d match records made one by one", by_row.height, frame.height)
    return pl.concat(
        [
            made.filter(~pl.col("_odd")).select("record_id", pl.col("j").alias("match_record")),
            pl.DataFrame(
                {
                    "record_id": list(odd_rows),
                    "match_record": [match_record_json(r) for r in odd_rows.values()],
                },
                schema=_JSON_SCHEMA,
            ),
        ]
    )


def _records_json_by_row(frame: pl.DataFrame, specs: list[FieldSpec]) -> pl.DataFrame:
    from resolution.matching.fields import frame_records

    made = frame_records(frame, specs)
    return pl.DataFrame(
        {"record_id": list(made), "match_record": [match_record_json(r) for r in made.values()]},
        schema=_JSON_SCHEMA,
    )


# Characters JSON escapes as \u00XX (those with a short escape are replaced in ``_quoted``).
_UNESCAPED = r"[\x00-\x07\x0b\x0e-\x1f]"


# The whitespace ``str.split`` splits on (``str.isspace``), but the space: a table, not a scan
# of all 1.1 million code points on every run (0.1 s); tests/test_startup.py pins it to that scan.
SPLIT_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


@cache
def _split_whitespace() -> str:
    """A character class of the whitespace ``str.split`` splits on, but the space."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SPLIT_WHITESPACE) + "]"


def _quoted(text: pl.Expr) -> pl.Expr:
    """A string as ``json.dumps(..., ensure_ascii=False)`` writes it (but the characters of
    ``_UNESCAPED``, left to the rows made one by one)."""
    for char, escaped in (
        ("\\", "\\\\"),
        ('"', '\\"'),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\t", "\\t"),
        ("\x08", "\\b"),
        ("\x0c", "\\f"),
    ):
        text = text.str.replace_all(char, escaped, literal=True)
    return pl.concat_str(pl.lit('"'), text, pl.lit('"'))


def _count_json(n: pl.Expr) -> pl.Expr:
    return n.cast(pl.String).fill_null("null")


def _floats_json(values: pl.Series) -> list[str]:
    """Floats as JSON writes them (``float.__repr__``; NaN and infinities as JSON spells them)."""
    out = []
    for v in values.to_list():
        if v is None:
            out.append("null")
        elif v != v:
            out.append("NaN")
        elif v in (math.inf, -math.inf):
            out.append("Infinity" if v > 0 else "-Infinity")
        else:
            out.append(float.__repr__(v))
    return out


def previous_match_records(
    snapshot: Path | None, hashes: pl.DataFrame | None
) -> pl.DataFrame | None:
    """(source, source_id, record_hash, match_record) of a published snapshot's contacts, from
    its contacts.parquet and the ``hashes`` (source, source_id, record_hash) kept when it was
    published; None when either is missing."""
    if snapshot is None or hashes is None or not (snapshot / "contacts.parquet").exists():
        return None
    published = pl.read_parquet(snapshot / "contacts.parquet", columns=[*KEY, "match_record"])
    return hashes.join(published, on=KEY)


def published_reasons(reasons: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """scored_pair_reasons keyed by (source, source_id) on each side, sorted (contract
    PAIR_REASONS plus the contribution columns)."""
    out = ids_to_keys(reasons, contacts)
    cols = [c for c in reasons.columns if c.startswith(REASON_PREFIX)]
    out = out.select(*PAIR_REASONS, *cols).sort(
        "source_l", "source_id_l", "source_r", "source_id_r"
    )
    return conform_reasons(out, PAIR_REASONS, "pair_reasons")


def published_kept_apart(kept: pl.DataFrame | None, contacts: pl.DataFrame) -> pl.DataFrame:
    """The warehouse's ``kept_apart`` (the pairs a cluster-stage rule dropped) keyed by
    (source, source_id) on each side, sorted (contract PUBLISHED_KEPT_APART); empty when the
    warehouse has none."""
    if kept is None:
        return pl.DataFrame(schema=PUBLISHED_KEPT_APART)
    out = ids_to_keys(kept, contacts).sort("source_l", "source_id_l", "source_r", "source_id_r")
    return conform(out, PUBLISHED_KEPT_APART, "kept_apart")


def parse_record(text: str) -> dict[str, Any]:
    """A ``match_record`` JSON back into a dedupe record (lists as tuples, as ``records`` makes)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(text).items()}
