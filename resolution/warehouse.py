"""The warehouse: one DuckDB file written only by the pipeline. Tables in, polars frames out."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")  # timestamps come back as UTC whatever the machine's zone
    return con


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid table name {name!r}")
    return name


def write_table(con: duckdb.DuckDBPyConnection, name: str, df: pl.DataFrame) -> None:
    """Replace table ``name`` with the frame's rows (column types carried over via Arrow)."""
    view = f"_incoming_{_checked(name)}"
    con.register(view, df)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    return con.sql(f"SELECT * FROM {_checked(name)}").pl()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = $n",
                      {"n": name}).fetchall()[0]
    return bool(row and row[0])
