"""Shared fixtures: small input folders written on the fly."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]


def edin(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI of this checkout as users run it: a new process, which sets its own hash seed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "edin", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


CONTACT_HEADER = ["source", "source_id", "name", "email", "phone", "handle", "city", "created_at"]
INTERACTION_HEADER = [
    "source",
    "source_id",
    "interaction_id",
    "started_at",
    "channel",
    "subject",
    "rating",
    "operator",
]


def edin_ok(*args: str) -> subprocess.CompletedProcess[str]:
    """``edin`` that must succeed (its stderr's end in the failure)."""
    proc = edin(*args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def write_drop(folder: Path, contacts: pl.DataFrame, interactions: pl.DataFrame) -> Path:
    """A drop folder: the contacts, and the interactions of those contacts only."""
    key = ["source", "source_id"]
    folder.mkdir(parents=True, exist_ok=True)
    contacts.write_csv(folder / "contacts.csv")
    interactions.join(contacts.select(key), on=key).write_csv(folder / "interactions.csv")
    return folder


def current_table(home: Path, table: str) -> pl.DataFrame:
    """One table of the home's published snapshot."""
    return pl.read_parquet(home / "current" / f"{table}.parquet")


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def write_inputs(tmp_path: Path):
    """Write contacts (and optionally interactions) CSVs into a fresh input folder."""

    def _write(contacts: list[list[str]], interactions: list[list[str]] | None = None) -> Path:
        folder = tmp_path / "in"
        write_csv(folder / "contacts.csv", CONTACT_HEADER, contacts)
        if interactions is not None:
            write_csv(folder / "interactions.csv", INTERACTION_HEADER, interactions)
        return folder

    return _write
