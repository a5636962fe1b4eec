"""The bad-input catalogue (tests/fixtures/bad_inputs/manifest.csv) through the real `edin run`.

Every readable case is read in one `edin run` beside data/sample (a run needs enough contacts to
learn from); then, one test per case: every row of its files is a published contact, a history
row or a quarantine row (rows accounted == rows in), and what the manifest expects is there.
A case whose whole file cannot be read runs alone and must stop with exit 2 and one `edin:` line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import ROOT, edin

CASES = ROOT / "tests" / "fixtures" / "bad_inputs"
SAMPLE = ROOT / "data" / "sample"


def _manifest() -> list[dict[str, str]]:
    with (CASES / "manifest.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


MANIFEST = _manifest()
READABLE = [m for m in MANIFEST if not m["expect"].startswith("error:")]
UNREADABLE = [m for m in MANIFEST if m["expect"].startswith("error:")]


def _folder(case: dict[str, str]) -> Path:
    return CASES / case["group"] / case["case"]


def _expects(case: dict[str, str]) -> list[tuple[str, str]]:
    return [
        tuple(e.split(":", 1)) if ":" in e else (e, "")  # type: ignore[misc]
        for e in (x.strip() for x in case["expect"].split("|"))
        if e
    ]


def test_the_catalogue_is_complete() -> None:
    """At least the 88 inputs of issue 14 and REFERENCE.md's catalogue, each case once, and
    its files where the manifest says."""
    assert len(MANIFEST) >= 88
    assert len({m["case"] for m in MANIFEST}) == len(MANIFEST)
    for case in MANIFEST:
        for name in case["files"].split():
            assert (CASES / name).is_file(), name


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    home = tmp_path_factory.mktemp("bad_inputs") / "home"
    got = edin("run", str(SAMPLE), *(str(_folder(c)) for c in READABLE), "--home", str(home))
    assert got.returncode == 0, got.stderr[-3000:]
    assert "Traceback" not in got.stderr
    current = home / "current"
    return {
        name: pl.read_parquet(current / f"{name}.parquet")
        for name in ("members", "contacts", "history", "quarantine")
    }


def _of_case(df: pl.DataFrame, case: str, id_column: str) -> pl.DataFrame:
    return df.filter(pl.col(id_column).str.starts_with(f"{case}-") | (pl.col("source") == case))


@pytest.mark.parametrize("case", READABLE, ids=[c["case"] for c in READABLE])
def test_every_row_is_accounted_for(published: dict[str, pl.DataFrame], case: dict[str, str]):
    name = case["case"]
    folder = str(_folder(case))
    members = _of_case(published["members"], name, "source_id")
    history = published["history"].filter(pl.col("interaction_id").str.starts_with(f"{name}-"))
    quarantine = published["quarantine"].filter(pl.col("input_file").str.starts_with(folder + "/"))
    accounted = members.height + history.height + quarantine.height
    assert accounted == int(case["rows_in"]), (
        f"{members.height} contacts + {history.height} interactions + "
        f"{quarantine.height} quarantined for {case['rows_in']} rows"
    )
    contacts = _of_case(published["contacts"], name, "source_id")
    reasons = quarantine["reason"].to_list()
    for kind, value in _expects(case):
        if kind == "reason":
            assert any(value in r for r in reasons), reasons
        elif kind == "flag":
            assert value in set(contacts["flags"].explode().drop_nulls()), contacts["flags"]
        elif kind == "phone":
            assert value in set(contacts["phones"].explode().drop_nulls())
        elif kind == "email":
            assert value in set(contacts["emails"].explode().drop_nulls())
        elif kind == "name":
            assert value in set(contacts["display_name"].drop_nulls())
        elif kind == "nophone":
            assert contacts["phones"].list.len().sum() == 0
        else:
            raise AssertionError(f"unknown expectation {kind!r} in the manifest")
    # a quarantine payload never carries a cell longer than the cap (plus its mark)
    for payload in quarantine["payload"].to_list():
        cells = json.loads(payload).values()
        assert all(len(v) <= 1001 for v in cells if isinstance(v, str))


@pytest.mark.parametrize("case", UNREADABLE, ids=[c["case"] for c in UNREADABLE])
def test_an_unreadable_file_stops_the_run_saying_what_to_fix(tmp_path: Path, case: dict[str, str]):
    got = edin("run", str(_folder(case)), "--home", str(tmp_path / "home"))
    assert got.returncode == 2, got.stderr[-2000:]
    assert "Traceback" not in got.stderr
    errors = [line for line in got.stderr.splitlines() if line.startswith("edin:")]
    assert len(errors) == 1, got.stderr[-2000:]
    (kind, text), *_ = _expects(case)
    assert kind == "error"
    assert text in errors[0]
    assert not (tmp_path / "home" / "current").exists()
