"""Stable profile IDs and the change feed, on small labelled cluster tables.

Contacts are written ``source:source_id``; a run is a list of clusters (lists of contacts).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.properties  # noqa: F401  (the shared hypothesis profile)
from resolution.publishing.changes import change_events, events_since, stamp
from resolution.publishing.identity import assign_ids, profile_id, stamp_id_map
from resolution.publishing.profiles import build_members

MEMBER_SCHEMA = {"profile_id": pl.String, "source": pl.String, "source_id": pl.String}


class Home:
    """The published state between runs: members, id_map and the cumulative change feed."""

    def __init__(self) -> None:
        self.members: pl.DataFrame | None = None
        self.id_map: pl.DataFrame | None = None
        self.changes: pl.DataFrame | None = None
        self.runs = 0

    def run(self, clusters: list[list[str]]) -> pl.DataFrame:
        """Assign IDs for ``clusters`` as a run would; return this run's events."""
        self.runs += 1
        run_id = f"2026010{self.runs}T000000Z-run{self.runs}"
        keys = pl.DataFrame(
            [(i, *c.split(":")) for i, cluster in enumerate(clusters) for c in cluster],
            schema={"cluster_id": pl.Int64, "source": pl.String, "source_id": pl.String},
            orient="row",
        )
        got = assign_ids(keys, self.members, self.id_map)
        members = (
            keys.join(got.ids, on="cluster_id").select(*MEMBER_SCHEMA).sort("source", "source_id")
        )
        profiles = members.group_by("profile_id").len().rename({"len": "contacts"})
        events = change_events(got, self.members, None, members, profiles)
        feed = events if self.changes is None else pl.concat([self.changes, events])
        self.changes = stamp(feed, run_id, datetime(2026, 1, self.runs, tzinfo=UTC))
        self.members, self.id_map = members, stamp_id_map(got.id_map, run_id)
        return self.changes.filter(pl.col("run_id") == run_id)

    def ids(self) -> dict[str, str]:
        assert self.members is not None
        return {f"{s}:{i}": p for p, s, i in self.members.iter_rows()}

    def resolve(self, pid: str) -> str | None:
        assert self.id_map is not None
        row = self.id_map.filter(pl.col("profile_id") == pid)
        return row["current_id"].item() if row.height else "unknown"


def summary(events: pl.DataFrame, ids: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """Events with profile IDs written as the smallest contact they name (readable asserts)."""
    names = {}
    for contact, pid in sorted(ids.items(), reverse=True):
        names[pid] = contact
    return [
        (e, names.get(p, p), names.get(o, o) if o else None)
        for e, p, o in events.select("event", "profile_id", "other_id").iter_rows()
    ]


def test_first_run_ids_come_from_the_smallest_member_key():
    home = Home()
    events = home.run([["vk:2", "tg:9"], ["vk:1"]])
    ids = home.ids()
    assert ids["vk:2"] == ids["tg:9"] == profile_id("tg", "9")
    assert ids["vk:1"] == profile_id("vk", "1")
    assert events["event"].to_list() == ["created", "created"]


def test_unchanged_clusters_keep_their_ids_and_emit_nothing():
    home = Home()
    home.run([["vk:1", "vk:2"], ["vk:3"]])
    before = home.ids()
    events = home.run([["vk:3"], ["vk:2", "vk:1"]])  # other order, other cluster numbers
    assert home.ids() == before
    assert events.height == 0


@pytest.mark.parametrize("older_first", [True, False])
def test_merge_keeps_the_oldest_id_and_maps_the_other(older_first):
    home = Home()
    first, second = (["vk:1"], ["vk:2"]) if older_first else (["vk:2"], ["vk:1"])
    home.run([first])
    home.run([first, second])
    oldest = home.ids()[first[0]]
    other = home.ids()[second[0]]
    events = home.run([["vk:1", "vk:2"]])
    assert set(home.ids().values()) == {oldest}
    assert home.resolve(other) == oldest
    assert summary(events, {first[0]: oldest, second[0]: other}) == [
        ("merged", first[0], second[0]),
        ("updated", first[0], None),
    ]


def test_merge_of_ids_first_published_together_keeps_the_smaller():
    home = Home()
    home.run([["vk:1"], ["vk:2"]])
    a, b = home.ids()["vk:1"], home.ids()["vk:2"]
    home.run([["vk:1", "vk:2"]])
    assert set(home.ids().values()) == {min(a, b)}
    assert home.resolve(max(a, b)) == min(a, b)


def test_split_biggest_part_keeps_the_id():
    home = Home()
    home.run([["vk:1", "vk:2", "vk:3"]])
    p = home.ids()["vk:1"]
    events = home.run([["vk:1"], ["vk:2", "vk:3"]])
    ids = home.ids()
    assert ids["vk:2"] == ids["vk:3"] == p != ids["vk:1"]
    assert [(e, o) for e, _, o in events.select("event", "profile_id", "other_id").iter_rows()] == [
        ("split", ids["vk:1"]),
        ("updated", None),
    ]
    assert events.filter(pl.col("event") == "split")["profile_id"].item() == p


def test_a_profile_whose_biggest_part_joined_an_older_one_keeps_its_id_on_the_rest():
    home = Home()
    home.run([["vk:9"]])
    home.run([["vk:9"], ["vk:1", "vk:2", "vk:3"]])
    old, p = home.ids()["vk:9"], home.ids()["vk:1"]
    events = home.run([["vk:1", "vk:2", "vk:9"], ["vk:3"]])
    ids = home.ids()
    assert ids["vk:1"] == ids["vk:9"] == old
    assert ids["vk:3"] == p
    assert sorted(events["event"].to_list()) == ["split", "updated", "updated"]


def test_merge_then_unmerge_gives_back_the_original_ids():
    home = Home()
    home.run([["vk:1", "vk:2"], ["tg:5", "tg:6"]])
    original = home.ids()
    home.run([["vk:1", "vk:2", "tg:5", "tg:6"]])
    assert len(set(home.ids().values())) == 1
    events = home.run([["vk:1", "vk:2"], ["tg:5", "tg:6"]])
    assert home.ids() == original
    assert events["event"].to_list() == ["split", "updated"]
    assert all(home.resolve(p) == p for p in original.values())


def test_erased_profile_resolves_to_nothing_and_every_other_id_resolves():
    home = Home()
    home.run([["vk:1"], ["vk:2"], ["vk:3"]])
    home.run([["vk:1", "vk:2"], ["vk:3"]])
    published = set(home.id_map["profile_id"])  # type: ignore[index]
    gone = home.ids()["vk:3"]
    events = home.run([["vk:1", "vk:2"]])
    assert summary(events, {}) == [("erased", gone, None)]
    assert home.resolve(gone) is None
    live = set(home.ids().values())
    for pid in published - {gone}:
        assert home.resolve(pid) in live


def test_chained_merges_resolve_to_the_last_survivor():
    home = Home()
    home.run([["vk:1"]])
    home.run([["vk:1"], ["vk:2"]])
    home.run([["vk:1"], ["vk:2"], ["vk:3"]])
    a, b, c = (home.ids()[k] for k in ("vk:1", "vk:2", "vk:3"))
    home.run([["vk:1"], ["vk:2", "vk:3"]])
    assert home.resolve(c) == b
    home.run([["vk:1", "vk:2", "vk:3"]])
    assert home.resolve(c) == home.resolve(b) == a


def test_new_id_never_reuses_a_live_one():
    """vk:1's own hash is taken by the biggest part of the old profile, so it gets a salted one."""
    home = Home()
    home.run([["vk:1", "vk:2", "vk:3"]])
    p = home.ids()["vk:1"]
    assert p == profile_id("vk", "1")
    home.run([["vk:1"], ["vk:2", "vk:3"]])
    assert home.ids()["vk:2"] == p
    assert home.ids()["vk:1"] == profile_id("vk", "1", salt=1)


def test_feed_is_cumulative_and_numbered():
    home = Home()
    home.run([["vk:1"]])
    home.run([["vk:1"], ["vk:2"]])
    assert home.changes is not None
    assert home.changes["seq"].to_list() == [0, 1]
    assert events_since(home.changes, "20260101T000000Z-run1")["seq"].to_list() == [1]


def test_build_members_without_ids_is_a_first_run():
    contacts = pl.DataFrame({"record_id": [0, 1], "source": ["vk", "vk"], "source_id": ["1", "2"]})
    clusters = pl.DataFrame(
        {
            "record_id": [0, 1],
            "cluster_id": [0, 0],
            "confidence": [0.9, 0.9],
            "status": ["clustered"] * 2,
        }
    )
    members = build_members(contacts, clusters)
    assert members["profile_id"].to_list() == [profile_id("vk", "1")] * 2


# ------------------------------------------- unchanged clusters settled before the rules run

CONTACTS = [f"vk:{i}" for i in range(10)]
# a run: each contact's cluster (None: not in this run)
runs_of_clusters = st.lists(
    st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=10, max_size=10),
    min_size=2,
    max_size=6,
)


def keys_of(run: list[int | None]) -> pl.DataFrame:
    rows = [(c, *CONTACTS[i].split(":")) for i, c in enumerate(run) if c is not None]
    return pl.DataFrame(
        rows,
        schema={"cluster_id": pl.Int64, "source": pl.String, "source_id": pl.String},
        orient="row",
    )


@given(runs=runs_of_clusters, stable=st.integers(0, 9), data=st.data())
def test_settling_unchanged_clusters_first_gives_the_assignment_of_the_rules(runs, stable, data):
    """Run after run (merges, splits, revived and erased IDs), settling the clusters that are
    exactly a previous profile first gives what the rules give over every cluster."""
    members = id_map = profiles = None
    for n, run in enumerate(runs):
        run = [stable if i == 0 else c for i, c in enumerate(run)]  # some cluster lasts
        keys = keys_of(run)
        settled = assign_ids(keys, members, id_map)
        plain = assign_ids(keys, members, id_map, settle_unchanged=False)
        assert settled.ids.equals(plain.ids)
        assert settled.id_map.equals(plain.id_map)
        assert settled.flows.equals(plain.flows)
        assert settled.merged_into == plain.merged_into
        assert (settled.erased, settled.new_ids) == (plain.erased, plain.new_ids)
        # and the change feed, comparing only what may have changed
        now = keys.join(plain.ids, on="cluster_id").select(*MEMBER_SCHEMA)
        # a golden field that may change while the contacts stay (a contact's new name)
        names = data.draw(st.lists(st.sampled_from("ab"), min_size=10, max_size=10))
        named = now.join(
            pl.DataFrame({"source_id": [str(i) for i in range(10)], "name": names}),
            on="source_id",
        )
        golden = named.group_by("profile_id").agg(
            pl.len().cast(pl.Int64).alias("contacts"), pl.col("name").max()
        )
        same_rows = (
            golden.join(profiles, on=golden.columns, how="semi").select("profile_id")
            if profiles is not None
            else None
        )
        assert change_events(settled, members, profiles, now, golden, same_rows).equals(
            change_events(plain, members, profiles, now, golden)
        )
        members, profiles = now, golden
        id_map = stamp_id_map(plain.id_map, f"2026010{n + 1}T000000Z-run")


def test_a_settled_profile_keeps_its_id_and_its_id_map_rows():
    home = Home()
    home.run([["vk:1", "vk:2"], ["vk:3"], ["vk:4"]])
    before = home.ids()
    home.run([["vk:1", "vk:2"], ["vk:3", "vk:4"]])  # vk:4's profile merged into vk:3's
    events = home.run([["vk:1", "vk:2"], ["vk:3"], ["vk:4"]])  # and split again: revived
    assert home.ids() == before
    assert sorted(events["event"].to_list()) == ["split", "updated"]  # vk:3's lost vk:4
    assert before["vk:1"] not in events["profile_id"].to_list()  # settled: no event
    assert home.resolve(before["vk:1"]) == before["vk:1"]
    assert home.resolve(before["vk:4"]) == before["vk:4"]  # revived
