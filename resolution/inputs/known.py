"""What a home knows: every contact and interaction ever ingested and not deleted.

A run's input is a *drop*: new and changed contacts (and their interactions) to add to what the
home already holds, keyed by ``(source, source_id)`` for contacts and ``(source,
interaction_id)`` for interactions; a newer version replaces the older. A contact leaves only
when asked: a delete list, or ``--full-export`` (the input is then the whole universe, and what
is missing from it is gone, with ``erased`` events). The known state travels with each published
snapshot (``raw_contacts.parquet``, ``raw_interactions.parquet``, the cumulative quarantine), so
a failed run changes nothing and the next run starts from what was last published.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from resolution.errors import InputError
from resolution.files import read_file
from resolution.home import Home
from resolution.inputs.ingest import Ingested
from resolution.warehouse import has_table

log = logging.getLogger("edin")

CONTACT_KEY = ["source", "source_id"]
INTERACTION_KEY = ["source", "interaction_id"]


@dataclass(frozen=True)
class Known:
    """The accumulated inputs of a home (the tables ``ingest`` returns, for all drops)."""

    contacts: pl.DataFrame
    interactions: pl.DataFrame
    quarantine: pl.DataFrame


@dataclass(frozen=True)
class Merged:
    """The home's inputs after a drop, and what the drop did."""

    known: Known
    new: int  # contacts the home did not hold
    replaced: int  # contacts the drop sent again (the drop's version is kept)
    deleted: int  # contacts removed by the delete list
    dropped: int  # contacts of the previous state not in a full export


def read_deletes(path: Path) -> pl.DataFrame:
    """A delete list: a CSV/Parquet/JSONL file with columns source, source_id."""
    df = read_file(Path(path))
    missing = [c for c in CONTACT_KEY if c not in df.columns]
    if missing:
        raise InputError(
            f"delete list {path} lacks column(s) {missing}; expected source, source_id "
            "(one row per contact to remove)"
        )
    return (
        df.select(
            pl.col("source").str.strip_chars().str.to_lowercase(),
            pl.col("source_id").str.strip_chars(),
        )
        .drop_nulls()
        .unique()
    )


def merge_drop(
    known: Known | None,
    drop: Ingested,
    *,
    full_export: bool = False,
    deletes: pl.DataFrame | None = None,
) -> Merged:
    """The home's inputs with ``drop`` added (or, with ``full_export``, replaced by it), minus
    the contacts in ``deletes`` and their interactions."""
    if known is None or full_export:
        base = Known(drop.contacts.clear(), drop.interactions.clear(), drop.quarantine.clear())
        dropped = (
            0
            if known is None
            else known.contacts.join(
                drop.contacts.select(CONTACT_KEY), on=CONTACT_KEY, how="anti"
            ).height
        )
    else:
        base, dropped = known, 0
    replaced = base.contacts.join(
        drop.contacts.select(CONTACT_KEY), on=CONTACT_KEY, how="semi"
    ).height
    contacts = pl.concat(
        [
            base.contacts.join(drop.contacts.select(CONTACT_KEY), on=CONTACT_KEY, how="anti"),
            drop.contacts,
        ],
        how="diagonal_relaxed",
    )
    interactions = pl.concat(
        [
            base.interactions.join(
                drop.interactions.select(INTERACTION_KEY), on=INTERACTION_KEY, how="anti"
            ),
            drop.interactions,
        ],
        how="diagonal_relaxed",
    )
    deleted = 0
    if deletes is not None and deletes.height:
        before = contacts.height
        contacts = contacts.join(deletes, on=CONTACT_KEY, how="anti")
        deleted = before - contacts.height
    if deleted:
        # interactions follow their contact out (those of contacts missing from a full export
        # were never in ``base``; the drop's own belong to its contacts or to known ones)
        interactions = interactions.join(contacts.select(CONTACT_KEY), on=CONTACT_KEY, how="semi")
    quarantine = pl.concat([base.quarantine, drop.quarantine], how="diagonal_relaxed")

    new = drop.contacts.height - replaced
    log.info(
        "drop: %d new contact(s), %d replaced, %d deleted, %d gone from a full export; "
        "the home holds %d",
        new,
        replaced,
        deleted,
        dropped,
        contacts.height,
    )
    return Merged(
        known=Known(
            contacts=_sorted(contacts, CONTACT_KEY),
            interactions=_sorted(interactions, ["source", "source_id", "interaction_id"]),
            quarantine=quarantine.sort("kind", "input_file", "input_row"),
        ),
        new=new,
        replaced=replaced,
        deleted=deleted,
        dropped=dropped,
    )


def _sorted(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``df`` sorted by ``keys`` (unique, never null), not sorted again when it already is: a
    first run's drop comes from ``ingest`` in this order (millions of interactions)."""
    if df.height < 2:
        return df
    before, after = pl.lit(False), pl.lit(True)  # strictly before / equal so far
    for k in keys:
        following = pl.col(k).shift(-1)
        before = before | (after & (pl.col(k) < following))
        after = after & (pl.col(k) == following)
    in_order = df.select(before.head(df.height - 1).all()).item()
    return df if in_order else df.sort(keys)


STATE_FILES = {
    "contacts": "raw_contacts.parquet",
    "interactions": "raw_interactions.parquet",
    "quarantine": "quarantine.parquet",
}


def read_known(home: Path) -> Known | None:
    """The inputs the current snapshot was resolved from, or None when nothing is published.

    A snapshot published before drops existed holds no inputs: its home needs one run with
    ``--full-export`` (the whole export), since a drop alone would erase everyone else."""
    path = Home(home).current_target()
    if path is None or not (path / "members.parquet").exists():
        return None
    missing = [f for f in STATE_FILES.values() if not (path / f).exists()]
    if missing:
        raise InputError(
            f"{path} was published by an earlier edin and holds no inputs ({', '.join(missing)}):"
            " a drop cannot be added to it. Run once on the whole export with --full-export"
        )
    return Known(**{k: pl.read_parquet(path / f) for k, f in STATE_FILES.items()})


# The run ID of the snapshot whose inputs the warehouse's raw_contacts, raw_interactions and
# quarantine are (written once that snapshot is published, dropped before a run changes them):
# the next drop is then added to them in place instead of the home's inputs being read from the
# snapshot and written whole again.
KNOWN_BASIS = "known_basis"
_KNOWN_TABLES = ("raw_contacts", "raw_interactions", "quarantine")
# The order the home's inputs are kept and published in (``merge_drop``).
CONTACT_ORDER = CONTACT_KEY
INTERACTION_ORDER = ["source", "source_id", "interaction_id"]


@dataclass(frozen=True)
class Added:
    """The home's inputs after a drop added in the warehouse: their counts, the quarantine
    (small: held) and what the drop did."""

    contacts: int
    interactions: int
    quarantine: pl.DataFrame
    new: int
    replaced: int


def warehouse_known(con: duckdb.DuckDBPyConnection, home: Path) -> bool:
    """Whether the warehouse's raw tables are the inputs of the snapshot ``current`` points at."""
    path = Home(home).current_target()
    if path is None or not all(has_table(con, t) for t in (KNOWN_BASIS, *_KNOWN_TABLES)):
        return False
    return con.execute(f"SELECT run_id FROM {KNOWN_BASIS}").fetchall() == [(path.name,)]


def forget_known(con: duckdb.DuckDBPyConnection) -> None:
    """The raw tables are about to change: until a publish, they are no snapshot's inputs."""
    con.execute(f"DROP TABLE IF EXISTS {KNOWN_BASIS}")


def remember_known(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The warehouse's raw tables are the inputs of snapshot ``run_id`` (just published)."""
    con.execute(f"CREATE OR REPLACE TABLE {KNOWN_BASIS} AS SELECT $r AS run_id", {"r": run_id})


def _fits(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame) -> bool:
    """Whether ``df``'s rows go into ``table`` as ``merge_drop``'s concat would put them: no
    column the table lacks, none of another type (an all-null column fits any)."""
    schema = con.sql(f"SELECT * FROM {table} LIMIT 0").pl().schema
    return all(
        name in schema and (dtype == schema[name] or dtype == pl.Null)
        for name, dtype in df.schema.items()
    )


def drop_fits(con: duckdb.DuckDBPyConnection, drop: Ingested) -> bool:
    """Whether ``add_drop`` can take ``drop`` (else the home is merged whole, ``merge_drop``)."""
    return all(
        _fits(con, table, df)
        for table, df in (
            ("raw_contacts", drop.contacts),
            ("raw_interactions", drop.interactions),
        )
    )


def add_drop(con: duckdb.DuckDBPyConnection, drop: Ingested) -> Added:
    """``merge_drop(known, drop)`` done in the warehouse whose raw tables are ``known``
    (``warehouse_known``; ``drop_fits``): the drop's contacts and interactions replace the
    rows with their keys (DELETE + INSERT), so a drop costs in proportion to its size. The
    tables are then in no particular order: read them ordered by ``CONTACT_ORDER`` and
    ``INTERACTION_ORDER`` (the order ``merge_drop`` gives)."""
    forget_known(con)
    con.register("_drop_contacts", drop.contacts)
    con.register("_drop_interactions", drop.interactions)
    try:
        (replaced,) = con.execute(
            "SELECT count(*) FROM raw_contacts SEMI JOIN _drop_contacts USING (source, source_id)"
        ).fetchall()[0]
        con.execute(
            "DELETE FROM raw_contacts WHERE (source, source_id) IN "
            "(SELECT source, source_id FROM _drop_contacts)"
        )
        con.execute("INSERT INTO raw_contacts BY NAME SELECT * FROM _drop_contacts")
        con.execute(
            "DELETE FROM raw_interactions WHERE (source, interaction_id) IN "
            "(SELECT source, interaction_id FROM _drop_interactions)"
        )
        con.execute("INSERT INTO raw_interactions BY NAME SELECT * FROM _drop_interactions")
    finally:
        con.unregister("_drop_contacts")
        con.unregister("_drop_interactions")
    base = con.sql("SELECT * FROM quarantine").pl()
    quarantine = pl.concat([base, drop.quarantine], how="diagonal_relaxed").sort(
        "kind", "input_file", "input_row"
    )
    contacts, interactions = con.execute(
        "SELECT (SELECT count(*) FROM raw_contacts), (SELECT count(*) FROM raw_interactions)"
    ).fetchall()[0]
    new = drop.contacts.height - int(replaced)
    log.info(
        "drop: %d new contact(s), %d replaced, %d deleted, %d gone from a full export; "
        "the home holds %d",
        new,
        replaced,
        0,
        0,
        contacts,
    )
    return Added(
        contacts=int(contacts),
        interactions=int(interactions),
        quarantine=quarantine,
        new=new,
        replaced=int(replaced),
    )
