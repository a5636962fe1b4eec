"""Reading one table file (CSV, Parquet, JSON lines) as it is: every column a string.

Input exports, labelled-pair files and truth files are all read here, so they accept the same
formats and fail with the same clear messages.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import polars as pl

from resolution.errors import InputError

log = logging.getLogger("edin")

SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")


def read_file(path: Path) -> pl.DataFrame:
    """Read one file as all-string columns. cp1251 CSVs are detected and decoded."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix!r}; use {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise InputError(f"{path} does not exist (or is not a file)")
    if path.stat().st_size == 0:
        raise InputError(
            f"{path} is empty (0 bytes): the export looks broken; re-export it "
            "or remove it from the input"
        )
    try:
        if suffix == ".csv":
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1251")
                log.warning("%s is not UTF-8; read it as cp1251 (Windows Cyrillic)", path)
            df = pl.read_csv(io.StringIO(text), infer_schema=False)
        elif suffix == ".parquet":
            df = pl.read_parquet(path)
        else:
            df = pl.read_ndjson(path, infer_schema_length=None)
    except InputError:
        raise
    except Exception as exc:  # polars raises several error types for broken files
        raise InputError(f"{path}: cannot read it as {suffix[1:]}: {exc}") from None
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    return df.with_columns(pl.all().cast(pl.String))
