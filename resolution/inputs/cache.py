"""Normalized contacts kept between runs: a daily drop normalizes only its new and changed contacts.

``normalize_contacts`` makes each contact's row from that contact's raw row alone (and the
configuration, the normalizers and their dictionaries); only ``record_id`` depends on the other
contacts (the contacts' rank in ``(source, source_id)`` order). So the warehouse keeps every
normalized row, without its record_id, beside the hash of the raw row it came from
(``normalize_cache``). A run normalizes only the contacts whose ``(source, source_id, raw
hash)`` the cache lacks, takes the others' rows from it, and numbers them all as a full
normalization does: the table is the same, row for row.

The cache is valid for one *basis* (``normalize_basis``): the region and configured fields, the
source of the normalizers, of ``inputs/normalize.py`` and of the contract, the dictionaries, and
the versions of the libraries they use. Any change of it normalizes everything once. Entries
are keyed by content, so a failed run leaves nothing wrong behind; rows of contacts the home no
longer holds are deleted, and ``edin erase`` finds the rest by ``(source, source_id)``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
from pathlib import Path

import duckdb
import polars as pl

from resolution.config import EdinConfig
from resolution.inputs.normalize import normalize_contacts

log = logging.getLogger("edin")

CACHE = "normalize_cache"
BASIS = "normalize_basis"
KEY = ["source", "source_id"]
RAW_HASH = "raw_hash"
# Columns of raw_contacts that say where a row was read, not what it holds.
_PROVENANCE = ("input_file", "input_row")
_HASH_SEED = 29
_ROOT = Path(__file__).resolve().parents[2]
_CODE = (
    "normalizers/*.py",
    "resolution/inputs/normalize.py",
    "resolution/contract.py",
    "normalizers/dictionaries/*",
)
_LIBRARIES = ("polars", "phonenumbers", "email-validator", "anyascii", "pymorphy3")


def basis(config: EdinConfig) -> str:
    """What normalized rows depend on besides their raw row, as one digest."""
    h = hashlib.sha256()
    h.update(repr((config.resolution.default_region, config.fields)).encode())
    for pattern in _CODE:
        for path in sorted(_ROOT.glob(pattern)):
            h.update(path.relative_to(_ROOT).as_posix().encode())
            h.update(path.read_bytes())
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}={importlib.metadata.version(lib)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{lib}=-".encode())
    return h.hexdigest()


def raw_hashes(raw: pl.DataFrame) -> pl.Series:
    """Per raw contact, a hash of everything normalization reads of it."""
    return (
        raw.select(pl.exclude(*_PROVENANCE))
        .hash_rows(seed=_HASH_SEED)
        .reinterpret(signed=True)
        .alias(RAW_HASH)
    )


def normalize_cached(
    con: duckdb.DuckDBPyConnection, raw: pl.DataFrame, config: EdinConfig
) -> tuple[pl.DataFrame, int]:
    """``normalize_contacts(raw, config)``, with the rows the cache holds taken from it; the
    cache brought up to date. Also how many contacts were normalized in this run."""
    normalized = normalize_into(con, raw, config, _SCRATCH)
    try:
        return con.sql(f"SELECT * FROM {_SCRATCH}").pl(), normalized
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_SCRATCH}")


_SCRATCH = "_normalized_scratch"


def normalize_into(
    con: duckdb.DuckDBPyConnection, raw: pl.DataFrame, config: EdinConfig, table: str
) -> int:
    """Table ``table``: ``normalize_contacts(raw, config)``, row for row, with the rows the
    cache holds taken from it; the cache brought up to date. Returns how many contacts were
    normalized in this run.

    Only the new and changed contacts' rows move between DuckDB and Python: the others are
    numbered and copied inside DuckDB (a 1 % drop on a million contacts used to read the
    whole cache into polars, sort it and write it back)."""
    digest = basis(config)
    keyed = raw.select(*KEY).with_columns(raw_hashes(raw))
    if _basis(con) != digest:
        contacts = normalize_contacts(raw, config)
        _write_all(con, contacts, keyed, digest)
        _numbered(con, keyed, table, list(contacts.columns))
        return contacts.height
    con.register("_normalize_keys", keyed)
    try:
        # contacts the cache lacks for their raw row: new, changed, or cached before a failure
        missing = con.sql(
            f"SELECT k.source, k.source_id, k.{RAW_HASH} FROM _normalize_keys k "
            f"ANTI JOIN {CACHE} c USING (source, source_id, {RAW_HASH})"
        ).pl()
        # rows of contacts gone or changed since: their new rows are inserted below
        con.execute(
            f"DELETE FROM {CACHE} WHERE NOT EXISTS (SELECT 1 FROM _normalize_keys k WHERE "
            f"k.source = {CACHE}.source AND k.source_id = {CACHE}.source_id "
            f"AND k.{RAW_HASH} = {CACHE}.{RAW_HASH})"
        )
    finally:
        con.unregister("_normalize_keys")
    fresh = normalize_contacts(raw.join(missing.select(*KEY), on=KEY, how="semi"), config)
    fresh_rows = fresh.drop("record_id").join(missing, on=KEY, how="left")
    if fresh_rows.height:
        con.register("_normalize_fresh", fresh_rows)
        try:
            con.execute(f"INSERT INTO {CACHE} BY NAME SELECT * FROM _normalize_fresh")
        finally:
            con.unregister("_normalize_fresh")
    _numbered(con, keyed, table, list(fresh.columns))
    log.info(
        "normalized %d new or changed contact(s); %d taken from the cache",
        fresh.height,
        keyed.height - fresh.height,
    )
    return fresh.height


def _numbered(
    con: duckdb.DuckDBPyConnection, keyed: pl.DataFrame, table: str, columns: list[str]
) -> None:
    """Table ``table``: the cached rows of the contacts of ``keyed`` (key and raw hash),
    numbered by rank in key order as ``normalize_contacts`` numbers them (the keys alone sorted
    by polars), its ``columns`` in that order."""
    ids = keyed.sort(*KEY).with_columns(
        pl.int_range(0, pl.len(), dtype=pl.Int64).alias("record_id")
    )
    select = ", ".join(
        "k.record_id" if c == "record_id" else "c." + '"' + c.replace('"', '""') + '"'
        for c in columns
    )
    con.register("_normalize_ids", ids)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM {CACHE} c "
            f"JOIN _normalize_ids k USING (source, source_id, {RAW_HASH}) ORDER BY k.record_id"
        )
    finally:
        con.unregister("_normalize_ids")


def _basis(con: duckdb.DuckDBPyConnection) -> str | None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if CACHE not in tables or BASIS not in tables:
        return None
    rows = con.execute(f"SELECT basis FROM {BASIS}").fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def _write_all(
    con: duckdb.DuckDBPyConnection, contacts: pl.DataFrame, keyed: pl.DataFrame, digest: str
) -> None:
    rows = contacts.drop("record_id").join(keyed, on=KEY, how="left")
    con.register("_normalize_all", rows)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {CACHE} AS SELECT * FROM _normalize_all")
    finally:
        con.unregister("_normalize_all")
    con.execute(f"CREATE OR REPLACE TABLE {BASIS} AS SELECT $b AS basis", {"b": digest})
