"""Operator decisions: stored in SQLite (WAL), latest per pair wins, enforced over the model's
clusters whatever it scores."""

from __future__ import annotations

import sqlite3

import polars as pl
import pytest

from resolution.errors import DecisionError
from resolution.feedback.decisions import (
    decision_history,
    pair_decisions,
    parse_contact,
    record_distinct,
    record_merge,
    record_unmerge,
    revoke_decision,
)
from resolution.linking.clustering import cluster_records
from resolution.linking.decisions import drop_pairs, enforce_decisions
from resolution.publishing.current import switch_current
from resolution.publishing.snapshot import write_snapshot
from tests.resolution.test_publish import tables

PAIR = {"record_id_l": pl.Int64, "record_id_r": pl.Int64}


def pairs(*rows: tuple[int, int]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=PAIR, orient="row")


def scored(*rows: tuple[int, int, float]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={**PAIR, "score": pl.Float64}, orient="row")


def groups(clusters: pl.DataFrame) -> list[list[int]]:
    return sorted(
        sorted(g) for g in clusters.group_by("cluster_id").agg("record_id")["record_id"].to_list()
    )


# 0-1-2 strongly linked, 3-4 linked, 5 alone.
SCORES = scored((0, 1, 0.99), (1, 2, 0.98), (0, 2, 0.97), (3, 4, 0.95))


@pytest.mark.parametrize(
    ("must", "cannot", "expected"),
    [
        ((), (), [[0, 1, 2], [3, 4], [5]]),
        ((), ((1, 2),), [[0, 1], [2], [3, 4], [5]]),  # 2 goes; 0 stays with 1 (first)
        ((), ((0, 2), (1, 2)), [[0, 1], [2], [3, 4], [5]]),  # unmerge 2 from {0, 1}
        (((2, 5),), (), [[0, 1, 2, 5], [3, 4]]),  # same person: clusters joined
        (((2, 3),), ((0, 4),), [[0, 1, 2, 3], [4], [5]]),  # 2=3 joins; 4 cannot be with 0
        (((0, 2), (2, 5)), ((0, 5),), [[0, 1, 2], [3, 4], [5]]),  # contradiction: 2=5 skipped
        (((0, 2),), ((1, 2),), [[0, 2], [1], [3, 4], [5]]),  # must-linked 0-2 stay one unit
    ],
)
def test_decisions_outrank_the_model(must, cannot, expected):
    ids = pl.Series("record_id", range(6), dtype=pl.Int64)
    edges = drop_pairs(SCORES, pairs(*cannot))
    clusters = cluster_records(ids, edges, threshold=0.5, max_cluster_size=50)
    got = enforce_decisions(
        clusters, edges, must_link=pairs(*must), cannot_link=pairs(*cannot), threshold=0.5
    )
    assert groups(got) == expected
    assert got["record_id"].to_list() == list(range(6))
    sizes = dict(got.group_by("cluster_id").len().iter_rows())
    for row in got.iter_rows(named=True):
        assert row["cluster_id"] == next(min(g) for g in expected if row["record_id"] in g)
        assert row["status"] == ("clustered" if sizes[row["cluster_id"]] > 1 else "singleton")


@pytest.fixture
def published(tmp_path):
    """A snapshot with one profile p1 of three vk contacts (0, 1, 2)."""
    snap = write_snapshot(tmp_path, "run1", tables(members=3), {})
    switch_current(tmp_path, snap)
    return tmp_path


def test_unmerge_records_cannot_links_against_the_rest_of_the_profile(published):
    got = record_unmerge(published, [("vk", "2")], operator="olga")
    assert got.profile_ids == ("p1",) and got.pairs == 2
    decided = pair_decisions(published)
    assert decided.rows() == [
        ("vk", "0", "vk", "2", "distinct"),
        ("vk", "1", "vk", "2", "distinct"),
    ]
    con = sqlite3.connect(published / "decisions.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_latest_decision_on_a_pair_wins(published):
    record_merge(published, [("vk", "0"), ("vk", "2")])
    record_unmerge(published, [("vk", "2")])
    assert ("vk", "0", "vk", "2", "distinct") in pair_decisions(published).rows()
    record_merge(published, [("vk", "2"), ("vk", "0")])
    assert ("vk", "0", "vk", "2", "match") in pair_decisions(published).rows()


@pytest.mark.parametrize(
    ("contacts", "message"),
    [
        ([("vk", "9")], "not in the published snapshot"),
        ([("vk", "0"), ("vk", "1"), ("vk", "2")], "whole profile"),
    ],
)
def test_impossible_unmerge_says_why(published, contacts, message):
    with pytest.raises(DecisionError, match=message):
        record_unmerge(published, contacts)


def test_contact_syntax():
    assert parse_contact("email:ivan@mail.ru") == ("email", "ivan@mail.ru")
    assert parse_contact("crm:a:b") == ("crm", "a:b")
    with pytest.raises(DecisionError, match="SOURCE:SOURCE_ID"):
        parse_contact("808301380")


def test_no_database_means_no_decisions(tmp_path):
    assert pair_decisions(tmp_path).height == 0


def test_distinct_records_only_the_pairs_named(published):
    got = record_distinct(published, [("vk", "2"), ("vk", "0")], operator="olga")
    assert got.kind == "unmerge" and got.pairs == 1
    assert pair_decisions(published).rows() == [("vk", "0", "vk", "2", "distinct")]
    with pytest.raises(DecisionError, match="at least two"):
        record_distinct(published, [("vk", "0"), ("vk", "0")])


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # (decision, revoke it?) in order → what pair vk:0 ~ vk:2 counts as
        ([("merge", True)], []),
        ([("merge", False), ("distinct", True)], ["match"]),  # undo gives the earlier back
        ([("merge", True), ("distinct", False)], ["distinct"]),
        ([("distinct", False), ("merge", False)], ["match"]),
    ],
)
def test_a_revoked_decision_counts_nowhere(published, steps, expected):
    record = {"merge": record_merge, "distinct": record_distinct}
    for kind, revoke in steps:
        got = record[kind](published, [("vk", "0"), ("vk", "2")])
        if revoke:
            assert revoke_decision(published, got.decision_id, operator="olga")
            assert not revoke_decision(published, got.decision_id)  # already revoked
    labels = [r[4] for r in pair_decisions(published).rows()]
    assert labels == expected
    assert [d.label for d in decision_history(published)] == [
        "match" if kind == "merge" else "distinct" for kind, revoke in steps if not revoke
    ]


def test_revoking_an_unknown_decision_says_so(published):
    with pytest.raises(DecisionError, match="no decision #9"):
        revoke_decision(published, 9)


def test_a_database_from_before_revocations_still_reads(published):
    record_merge(published, [("vk", "0"), ("vk", "2")])
    con = sqlite3.connect(published / "decisions.sqlite")
    con.execute("DROP TABLE revocations")
    con.commit()
    con.close()
    assert [r[4] for r in pair_decisions(published).rows()] == ["match"]
    assert len(decision_history(published)) == 1
