"""Exports of a published snapshot for CRM syncs: Parquet, JSONL or CSV.

CSV cells are made safe for spreadsheets: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return would run as a formula in Excel or LibreOffice (``=HYPERLINK(…)``),
so it gets a leading single quote (OWASP's advice). That includes phone numbers (``+7…``).
Lists (e-mails, phones, handles, channels) become one cell joined with ``"; "``; timestamps are
ISO 8601 in UTC.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from resolution.errors import OutputError
from resolution.files import atomic_path

FORMATS = ("parquet", "jsonl", "csv")
EXPORT_TABLES = ("profiles", "members", "changes")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "


def escape_formula(value: str | None) -> str | None:
    """``value`` with a leading ``'`` if a spreadsheet would run it as a formula."""
    if value is not None and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _escaped(col: pl.Expr) -> pl.Expr:
    return pl.when(col.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + col).otherwise(col)


def csv_safe(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` flattened for CSV (lists joined, timestamps as text) with formulas escaped."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            col = col.cast(pl.List(pl.String)).list.join(LIST_SEPARATOR)
        elif isinstance(dtype, pl.Datetime):
            col = col.dt.strftime(
                "%Y-%m-%dT%H:%M:%S%.6fZ" if dtype.time_zone else "%Y-%m-%dT%H:%M:%S%.6f"
            )
        elif dtype != pl.String:
            exprs.append(col)
            continue
        exprs.append(_escaped(col).alias(name))
    return df.select(exprs)


def write_export(df: pl.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write ``df`` as Parquet, JSONL or CSV (the format from ``fmt`` or the file's suffix)."""
    fmt = fmt or path.suffix.lstrip(".").lower()
    fmt = {"ndjson": "jsonl", "json": "jsonl"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise OutputError(
            f"cannot export to {path}: use a .parquet, .jsonl or .csv file "
            f"(or --format {'|'.join(FORMATS)})"
        )
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            df.write_parquet(tmp, compression="zstd", statistics=True)
        elif fmt == "jsonl":
            df.write_ndjson(tmp)
        else:
            csv_safe(df).write_csv(tmp)
    return path


def export_tables(tables: dict[str, pl.DataFrame], out: Path, fmt: str) -> list[Path]:
    """Write each table into ``out/<name>.<fmt>``; returns the paths."""
    return [write_export(df, out / f"{name}.{fmt}", fmt) for name, df in tables.items()]
