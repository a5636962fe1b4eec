"""The small SQLite stores of a home (decisions, review accounts and notes, API tokens).

Each is written by people (operators, admins) while the pipeline may read it, so each runs in
WAL mode: readers never wait for a writer, and a crash mid-write leaves the last commit.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def open_store(path: Path, schema: str, *, private: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the store at ``path`` (created with ``schema`` on first use, WAL mode),
    committed when the block ends without an error. ``private``: the file is created readable
    by its owner only, before SQLite opens it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if private and not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(schema)
        yield con
        con.commit()
    finally:
        con.close()
