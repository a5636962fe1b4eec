"""Shared fixtures: small input folders written on the fly."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

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
