"""Files: reading one table file (CSV, Parquet, JSON lines) as it is, every column a string,
and writing any file atomically.

Input exports, labelled-pair files and truth files are all read here, so they accept the same
formats and fail with the same clear messages. Every file the product writes goes through
``write_atomic`` or ``atomic_path``: a kill or a full disk never leaves half a file behind.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
            # old Mac (bare CR) and mixed line endings: polars reads a bare-CR file as one line
            text = text.replace("\r\n", "\n").replace("\r", "\n")
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


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that a reader (or the next run, after a crash or a full
    disk) sees the old file or the new one, never half of one: a temporary file in the same
    folder, flushed to disk, then renamed over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # a failed write() names no file: say which (a full disk)
        raise
    return path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that needs a file name (Parquet, CSV);
    renamed over ``path`` when the block ends without an error, removed otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
