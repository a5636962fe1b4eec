"""The warehouse: one DuckDB file written only by the pipeline. Tables in, polars frames out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file (or any DuckDB file) with timestamps in UTC."""
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")  # timestamps come back as UTC whatever the machine's zone
    return con


def _checked(name: str) -> str:
    """``name`` if it is a plain table name: names are spliced into SQL, values never are."""
    if not _NAME.match(name):
        raise ValueError(f"invalid table name {name!r}")  # a bug in the caller, not user input
    return name


def write_table(con: duckdb.DuckDBPyConnection, name: str, df: pl.DataFrame) -> None:
    """Replace table ``name`` with the frame's rows (column types carried over via Arrow)."""
    view = f"_incoming_{_checked(name)}"
    con.register(view, df)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse holds table ``name`` (temporary tables included)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $n", {"n": name}
        ).fetchall()[0][0]
    )


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    return con.sql(f"SELECT * FROM {_checked(name)}").pl()


# DuckDB's row-group size: the chunks in which ``.pl()`` hands a table over, so the row groups
# ``write_parquet`` makes of ``read_table``'s frame.
ROW_GROUP = 122_880


def copy_to_parquet(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, order_by: Sequence[str] = ()
) -> int:
    """Write table ``name`` to ``path`` as ``read_table(con, name).write_parquet(path,
    compression="zstd", statistics=True)`` would, byte for byte, without holding the table:
    DuckDB hands it over in batches that polars streams into ``path`` in row groups of
    ``ROW_GROUP`` rows (so a table DuckDB holds in uneven row groups, written from a frame in
    pieces, gives the same file as one written whole). Before: a scratch Parquet file written
    by DuckDB and read back by polars, 1.3 s more for 2.7M interactions. With ``order_by``
    (column names), the rows in that order. Returns the rows."""
    order = f" ORDER BY {', '.join(map(_checked, order_by))}" if order_by else ""
    con.sql(f"SELECT * FROM {_checked(name)}{order}").pl(lazy=True).sink_parquet(
        path, compression="zstd", statistics=True, row_group_size=ROW_GROUP
    )
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())
