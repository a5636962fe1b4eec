"""Daily drops add to what a home knows; only a full export, a delete list or erasure removes.

Before drops existed, a run on a drop of 198 new contacts told every CRM sync that 1,571
profiles were erased. The sample's contacts are split here into three drops fed one after
another into one home, and compared with one run over their union.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from resolution import evaluate
from tests.conftest import current_table as current
from tests.conftest import edin, write_drop
from tests.conftest import edin_ok as ok

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
KEY = ["source", "source_id"]


@pytest.fixture(scope="module")
def sample() -> tuple[pl.DataFrame, pl.DataFrame]:
    return (
        pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False),
        pl.read_csv(SAMPLE / "interactions.csv", infer_schema=False),
    )


@pytest.fixture(scope="module")
def three_drops(sample, tmp_path_factory) -> tuple[Path, list[set[tuple[str, str]]]]:
    """A home fed three drops (1,800, 500 and 198 contacts); the keys published after each."""
    contacts, interactions = sample
    tmp = tmp_path_factory.mktemp("drops")
    home = tmp / "home"
    published = []
    for n, (start, stop) in enumerate(((0, 1800), (1800, 2300), (2300, contacts.height))):
        drop = write_drop(tmp / f"drop{n}", contacts.slice(start, stop - start), interactions)
        ok("run", str(drop), "--home", str(home))
        published.append({tuple(k) for k in current(home, "members").select(KEY).rows()})
    return home, published


def test_every_snapshot_holds_every_contact_ever_ingested(sample, three_drops) -> None:
    contacts, _ = sample
    home, published = three_drops
    keys = [tuple(k) for k in contacts.select(KEY).rows()]
    assert published[0] == set(keys[:1800])
    assert published[1] == set(keys[:2300])
    assert published[2] == set(keys)
    events = current(home, "changes")
    assert events.filter(pl.col("event") == "erased").height == 0


def test_three_drops_resolve_about_as_well_as_one_full_run(sample, three_drops, tmp_path) -> None:
    home, _ = three_drops
    ok("run", str(SAMPLE), "--home", str(tmp_path / "full"))
    truth = pl.read_csv(SAMPLE / "truth.csv", infer_schema=False)
    by_drops = evaluate(truth, current(home, "members"))
    full = evaluate(truth, current(tmp_path / "full", "members"))
    # the drops' model was trained on the first 1,800 contacts and reused (retrain_growth)
    assert abs(by_drops.pairwise_f1 - full.pairwise_f1) < 0.05
    assert current(home, "history").height == current(tmp_path / "full", "history").height


def test_a_drop_of_interactions_for_known_contacts_is_kept(sample, tmp_path) -> None:
    contacts, interactions = sample
    home = tmp_path / "home"
    ok(
        "run",
        str(write_drop(tmp_path / "first", contacts, interactions.clear())),
        "--home",
        str(home),
    )
    later = tmp_path / "later"
    later.mkdir()
    contacts.clear().write_csv(later / "contacts.csv")
    interactions.write_csv(later / "interactions.csv")
    ok("run", str(later), "--home", str(home))
    assert current(home, "history").height == interactions.height
    assert current(home, "quarantine").height == 0


def test_a_contact_sent_again_replaces_the_older_version(sample, tmp_path) -> None:
    contacts, interactions = sample
    home = tmp_path / "home"
    ok("run", str(SAMPLE), "--home", str(home))
    changed = contacts.head(1).with_columns(pl.lit("Изменённое Имя").alias("name"))
    ok("run", str(write_drop(tmp_path / "again", changed, interactions)), "--home", str(home))
    raw = current(home, "raw_contacts")
    assert raw.height == contacts.height
    key = changed.select(KEY).row(0)
    assert raw.filter((pl.col("source") == key[0]) & (pl.col("source_id") == key[1]))[
        "name"
    ].to_list() == ["Изменённое Имя"]


def test_a_drop_mistaken_for_a_full_export_never_reaches_current(sample, tmp_path) -> None:
    contacts, interactions = sample
    home = tmp_path / "home"
    ok("run", str(SAMPLE), "--home", str(home))
    before = os.readlink(home / "current")
    drop = write_drop(tmp_path / "drop", contacts.tail(198), interactions)
    proc = edin("run", str(drop), "--home", str(home), "--full-export")
    assert proc.returncode == 2
    assert "--accept-mass-change" in proc.stderr and "Traceback" not in proc.stderr
    assert os.readlink(home / "current") == before
    # the contacts publish staged before its checks failed are not left in the home
    assert not list((home / "snapshots").glob("*.partial"))
    ok("run", str(drop), "--home", str(home), "--full-export", "--accept-mass-change")
    assert current(home, "members").height == 198
    assert current(home, "changes").filter(pl.col("event") == "erased").height > 1000


def test_a_delete_list_removes_contacts_and_their_history(sample, tmp_path) -> None:
    contacts, interactions = sample
    home = tmp_path / "home"
    ok("run", str(SAMPLE), "--home", str(home))
    gone = contacts.head(3).select(KEY)
    gone.write_csv(tmp_path / "delete.csv")
    empty = write_drop(tmp_path / "empty", contacts.clear(), interactions)
    ok("run", str(empty), "--home", str(home), "--delete", str(tmp_path / "delete.csv"))
    members = current(home, "members")
    assert members.height == contacts.height - 3
    assert members.join(gone, on=KEY, how="semi").height == 0
    assert current(home, "history").join(gone, on=KEY, how="semi").height == 0
    assert current(home, "raw_contacts").join(gone, on=KEY, how="semi").height == 0


def test_status_lists_the_runs_of_the_home(three_drops) -> None:
    home, _ = three_drops
    out = ok("status", "--home", str(home)).stdout
    runs = [line for line in out.splitlines() if line[:1] in ("*", " ") and "T" in line[:20]]
    assert len(runs) == 3 and runs[-1].startswith("*")
    assert "2,498" in runs[-1] and "erased" in out


def test_a_drop_added_in_place_publishes_what_a_whole_merge_does(sample, tmp_path) -> None:
    """The warehouse holding the published snapshot's inputs, a drop is added to them in place
    (DELETE + INSERT of its keys); without that basis the inputs are read from the snapshot and
    merged whole. Both publish the same tables, row for row."""
    contacts, interactions = sample
    first = write_drop(tmp_path / "d0", contacts.slice(0, 2000), interactions)
    # 200 new contacts, and 50 known ones sent again (changed) with their interactions
    again = contacts.slice(100, 50).with_columns(pl.lit("Казань").alias("city"))
    second = write_drop(
        tmp_path / "d1", pl.concat([contacts.slice(2000, 200), again]), interactions
    )
    in_place, whole = tmp_path / "in_place", tmp_path / "whole"
    ok("run", str(first), "--home", str(in_place))
    shutil.copytree(in_place, whole, symlinks=True)
    con = duckdb.connect(str(whole / "warehouse.duckdb"))
    con.execute("DROP TABLE known_basis")  # fails if the first run did not keep it
    con.close()
    logs = {home: ok("run", str(second), "--home", str(home)) for home in (in_place, whole)}
    assert "in_place=True" in logs[in_place].stdout + logs[in_place].stderr
    assert "in_place=False" in logs[whole].stdout + logs[whole].stderr
    for table in (
        "raw_contacts",
        "raw_interactions",
        "quarantine",
        "members",
        "profiles",
        "history",
        "contacts",
        "pair_reasons",
        "kept_apart",
    ):
        assert_frame_equal(current(in_place, table), current(whole, table))
    resent = current(in_place, "raw_contacts").join(again.select(KEY), on=KEY)
    assert resent.height == 50 and (resent["city"] == "Казань").all()
    # the next drop is added in place again
    third = write_drop(tmp_path / "d2", contacts.slice(2200, 20), interactions)
    out = ok("run", str(third), "--home", str(in_place))
    assert "in_place=True" in out.stdout + out.stderr
