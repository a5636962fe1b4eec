"""Publishing: checks guard the snapshot, and current/ only ever moves in one atomic step."""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType

import duckdb
import polars as pl
import pytest

from resolution.contract import HISTORY, ID_MAP, MEMBERS, PROFILES, QUARANTINE
from resolution.home import Home
from resolution.publishing.current import switch_current
from resolution.publishing.snapshot import check_snapshot, write_snapshot


def tables(members: int = 2) -> dict[str, pl.DataFrame]:
    m = pl.DataFrame(
        {
            "profile_id": ["p1"] * members,
            "source": ["vk"] * members,
            "source_id": [str(i) for i in range(members)],
            "confidence": [1.0] * members,
        },
        schema=MEMBERS,
    )
    given = {
        "profile_id": ["p1"],
        "display_name": ["Иван"],
        "emails": [[]],
        "phones": [[]],
        "handles": [[]],
        "contacts": [members],
        "interactions": [0],
        "channels": [["vk"]],
        "status": ["published"],
    }
    p = pl.DataFrame({c: given.get(c, [None]) for c in PROFILES}, schema=PROFILES)
    return {
        "members": m,
        "profiles": p,
        "history": pl.DataFrame(schema=HISTORY),
        "quarantine": pl.DataFrame(schema=QUARANTINE),
    }


def test_consistent_snapshot_passes():
    assert check_snapshot(tables(), input_contacts=2, input_interactions=0) == []


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        (3, "3 input contacts but 2 members"),
    ],
)
def test_lost_contact_fails_the_checks(inputs, problem):
    assert any(problem in p for p in check_snapshot(tables(), inputs, 0))


def id_map(*rows: tuple[str, str | None, str]) -> pl.DataFrame:
    """id_map rows (profile_id, current_id, status) of one run."""
    return pl.DataFrame(
        [(pid, cur, status, "r1", "r1") for pid, cur, status in rows], schema=ID_MAP, orient="row"
    )


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ([("p1", "p1", "live"), ("p0", "p1", "merged")], []),
        ([("p0", "p1", "merged")], ["1 profile(s) not live in id_map, 0 live id_map row(s)"]),
        (
            [("p1", "p1", "live"), ("p2", "p2", "live")],
            [
                "0 profile(s) not live in id_map, 1 live id_map row(s) without a profile",
                "1 id_map row(s) resolve to no published profile",
            ],
        ),
        (
            [("p1", "p1", "live"), ("p0", "p9", "merged"), ("p8", None, "erased")],
            ["1 id_map row(s) resolve to no published profile"],
        ),
        ([("p1", "p1", "live"), ("p1", "p1", "live")], ["duplicate profile_id in id_map"]),
    ],
)
def test_every_published_id_resolves(rows, problems):
    got = check_snapshot({**tables(), "id_map": id_map(*rows)}, 2, 0)
    assert len(got) == len(problems)
    assert all(want in p for want, p in zip(problems, got, strict=True))


def test_switch_is_atomic_and_keeps_old_snapshot(tmp_path: Path):
    first = write_snapshot(tmp_path, "run1", tables(), {})
    switch_current(tmp_path, first)
    assert Home(tmp_path).current_run_id() == "run1"
    second = write_snapshot(tmp_path, "run2", tables(), {})
    switch_current(tmp_path, second)
    assert Home(tmp_path).current_run_id() == "run2"
    assert (tmp_path / "snapshots" / "run1" / "members.parquet").exists()
    assert os.path.islink(tmp_path / "current")
    assert pl.read_parquet(tmp_path / "current" / "members.parquet").height == 2


def test_a_snapshot_lets_go_of_each_frame_once_written_and_bounds_its_database(tmp_path: Path):
    """Given a dict, write_snapshot takes each frame out of it once written (publish hands the
    frames over so that none is held while the next is written); the same files either way,
    the database made within the memory limit given."""
    given = tables()
    kept = write_snapshot(tmp_path, "run1", MappingProxyType(tables()), {})
    handed = write_snapshot(tmp_path, "run2", given, {}, memory_limit="64MB")
    assert given == {}
    assert (
        handed.counts == kept.counts == {"members": 2, "profiles": 1, "history": 0, "quarantine": 0}
    )
    for name in ("members", "profiles"):
        assert (kept.path / f"{name}.parquet").read_bytes() == (
            handed.path / f"{name}.parquet"
        ).read_bytes()
    con = duckdb.connect(str(handed.path / "profiles.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM members").fetchone() == (2,)
    con.close()


def _changes(run_id: str, erased: int, merged: int, created: int = 0) -> pl.DataFrame:
    events = ["erased"] * erased + ["merged"] * merged + ["created"] * created
    return pl.DataFrame({"run_id": [run_id] * len(events), "event": events})


@pytest.mark.parametrize(
    ("erased", "merged", "live_before", "refused"),
    [
        (0, 0, 1000, False),
        (150, 0, 1000, False),  # 15 % of the live profiles: below the 20 % share
        (150, 60, 1000, True),  # erased and merged together: 21 %
        (1571, 0, 1765, True),  # a drop of 198 mistaken for a full export
        (1, 0, 2, False),  # below the floor: an operator's merge in a tiny home
        (19, 0, 20, False),
        (20, 0, 20, True),
    ],
)
def test_a_run_that_loses_too_many_profiles_is_refused(erased, merged, live_before, refused):
    from resolution.publishing.snapshot import mass_change

    changes = pl.concat(
        [_changes("old", 0, 0, created=live_before), _changes("new", erased, merged, created=5)]
    )
    problems = mass_change(changes, "new", live_before, 0.2)
    assert bool(problems) == refused
    if refused:
        assert "--accept-mass-change" in problems[0]
