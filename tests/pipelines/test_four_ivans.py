"""Four different people called Иван Иванов, and two contacts no one can tell apart.

The helpdesk saying goes: "the system tells you there are four Ivan Ivanovs". The fixture
(``tests/fixtures/four_ivans``, run together with the sample data) has four Ivans in four
cities with their own phones, mailboxes and handles, two to four contacts each across channels,
and two web-chat guests called Иван Иванов with nothing else. The run must never merge two of
the four, must keep every Ivan's contacts that share an identifier together, must leave the
guests out of every Ivan, and must report the name as a namesake group for review.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from review.queues import namesake_groups

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "four_ivans"


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[pl.DataFrame, Path]:
    """(members of the fixture's contacts with their entity, home)."""
    tmp = tmp_path_factory.mktemp("ivans")
    inputs = tmp / "in"
    inputs.mkdir()
    sample = pl.read_csv(ROOT / "data" / "sample" / "contacts.csv", infer_schema=False)
    ivans = pl.read_csv(FIXTURE / "contacts.csv", infer_schema=False)
    pl.concat([sample, ivans]).write_csv(inputs / "contacts.csv")
    shutil.copy(ROOT / "data" / "sample" / "interactions.csv", inputs / "interactions.csv")
    home = tmp / "home"
    proc = subprocess.run(
        [sys.executable, "-m", "edin", "run", str(inputs), "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    members = pl.read_parquet(home / "current" / "members.parquet")
    truth = pl.read_csv(FIXTURE / "truth.csv", infer_schema=False)
    return truth.join(members, on=["source", "source_id"]), home


def test_two_ivans_are_never_one_profile(published) -> None:
    ivans, _ = published
    per_profile = ivans.group_by("profile_id").agg(pl.col("entity_id").unique())
    assert all(len(e) == 1 for e in per_profile["entity_id"].to_list()), per_profile


def test_the_guests_join_no_ivan(published) -> None:
    ivans, _ = published
    guests = ivans.filter(pl.col("entity_id").str.starts_with("?"))["profile_id"].to_list()
    named = ivans.filter(~pl.col("entity_id").str.starts_with("?"))["profile_id"].to_list()
    assert not set(guests) & set(named)


@pytest.mark.parametrize(
    ("entity", "keys"),
    [
        ("A", ["ivan-a-1", "ivan-a-2", "ivan-a-3"]),
        ("B", ["ivan-b-1", "ivan-b-2", "79262220002"]),
        ("C", ["ivan-c-1", "ivan-c-2"]),
        ("D", ["ivan-d-2", "ivan-d-3", "ivan-d-4"]),  # a phone joins them (+7 952 444-00-04)
    ],
)
def test_each_ivans_contacts_sharing_an_identifier_are_one_profile(published, entity, keys):
    ivans, _ = published
    got = ivans.filter(pl.col("source_id").is_in(keys))
    assert got.height == len(keys) and got["profile_id"].n_unique() == 1, got


def test_an_ivan_linked_only_by_name_and_city_joins_his_profile(published) -> None:
    """ivan-d-1 (VK, Новосибирск) shares nothing with D's other contacts but the name and the
    city, and D's is the only Ivan Ivanov profile in Новосибирск (resolution.linking.attach)."""
    ivans, _ = published
    d = ivans.filter(pl.col("entity_id") == "D")
    assert d["profile_id"].n_unique() == 1


def test_the_name_is_a_namesake_group_for_review(published) -> None:
    ivans, home = published
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    contacts = con.sql(
        "SELECT source, source_id, display_name, name_key FROM normalized_contacts"
    ).pl()
    con.close()
    members = pl.read_parquet(home / "current" / "members.parquet")
    groups = namesake_groups(contacts.join(members, on=["source", "source_id"]))
    keys = set(ivans.select("source", "source_id").rows())
    ivan_groups = [g for g in groups if keys & set(g.keys)]
    assert ivan_groups, "no namesake group holds the Ivans"
    assert max(g.profiles for g in ivan_groups) >= 6  # four Ivans (one split) and two guests
