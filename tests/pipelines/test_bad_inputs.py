"""Inputs that used to lose contacts or stop a run, run the way a user runs them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from edin.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "newline"),
    [("bare CR (old Mac)", "\r"), ("CRLF", "\r\n"), ("mixed", None)],
)
def test_line_endings_lose_no_contact(tmp_path, name, newline) -> None:
    rows = ["source,source_id,name", "vk,1,Иван", "vk,2,Олег", "vk,3,Анна", "vk,4,Пётр", "vk,5,Ия"]
    if newline is None:
        text = "\r\n".join(rows[:3]) + "\r" + "\n".join(rows[3:]) + "\n"
    else:
        text = newline.join(rows) + newline
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "contacts.csv").write_bytes(text.encode("utf-8"))
    from resolution.files import read_file

    assert read_file(tmp_path / "in" / "contacts.csv").height == 5, name


def test_contacts_without_a_creation_time_still_train(tmp_path) -> None:
    """A few contacts lacking created_at once made training fail (an 'Exists' blocking rule
    that cannot be saved)."""
    contacts = pl.read_csv(ROOT / "data" / "sample" / "contacts.csv", infer_schema=False)
    contacts = contacts.with_columns(
        pl.when(pl.int_range(pl.len()) % 50 == 0)
        .then(None)
        .otherwise(pl.col("created_at"))
        .alias("created_at")
    )
    (tmp_path / "in").mkdir()
    contacts.write_csv(tmp_path / "in" / "contacts.csv")
    assert main(["run", str(tmp_path / "in"), "--home", str(tmp_path / "home")]) == 0
    members = pl.read_parquet(tmp_path / "home" / "current" / "members.parquet")
    assert members.height == contacts.height
