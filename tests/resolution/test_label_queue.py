"""The label queue: most uncertain first, diverse, deterministic, answered pairs left out; and
answers are training labels read back by read_labels."""

from __future__ import annotations

import polars as pl

from resolution.feedback.label_queue import append_answers, label_queue, read_answered
from resolution.training import labels as labels_mod

# (left, right, score); contacts are ("vk", "a") …; profiles: a,b → P1; c → P2; d,e → P3; f → P4
PAIRS = [
    ("a", "b", 0.97),
    ("a", "c", 0.52),
    ("b", "c", 0.49),
    ("c", "d", 0.55),
    ("d", "e", 0.45),
    ("e", "f", 0.30),
    ("b", "f", 0.60),
    ("a", "f", 0.08),
]
PROFILE = {"a": "P1", "b": "P1", "c": "P2", "d": "P3", "e": "P3", "f": "P4"}


def reasons() -> pl.DataFrame:
    return pl.DataFrame(
        [("vk", left, "vk", right, s, 0.1) for left, right, s in PAIRS],
        schema={
            "source_l": pl.String,
            "source_id_l": pl.String,
            "source_r": pl.String,
            "source_id_r": pl.String,
            "score": pl.Float64,
            "w_name": pl.Float32,
        },
        orient="row",
    )


def members() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "profile_id": list(PROFILE.values()),
            "source": ["vk"] * 6,
            "source_id": list(PROFILE),
            "confidence": [1.0] * 6,
        }
    )


def names(queue: pl.DataFrame) -> list[tuple[str, str]]:
    return list(queue.select("source_id_l", "source_id_r").iter_rows())


def test_most_uncertain_first_and_one_question_per_contact():
    queue = label_queue(reasons(), members(), size=10)
    # b~c (0.49) first; a~c shares c; c~d shares c; d~e (0.45) next; b~f shares b; e~f shares e
    assert names(queue) == [("b", "c"), ("d", "e"), ("a", "f")]
    assert queue["uncertainty"].is_sorted()


def test_queue_is_deterministic_whatever_the_row_order():
    shuffled = reasons().sample(fraction=1.0, shuffle=True, seed=4)
    swapped = reasons().select(
        pl.col("source_r").alias("source_l"),
        pl.col("source_id_r").alias("source_id_l"),
        pl.col("source_l").alias("source_r"),
        pl.col("source_id_l").alias("source_id_r"),
        "score",
        "w_name",
    )
    expected = label_queue(reasons(), members(), size=3)
    assert label_queue(shuffled, members(), size=3).equals(expected)
    assert label_queue(swapped, members(), size=3).equals(expected)


def test_answered_pairs_are_not_asked_again(tmp_path):
    labels = tmp_path / "labels.csv"
    append_answers(labels, [("vk", "c", "vk", "b", "match")])  # either order
    queue = label_queue(reasons(), members(), read_answered(labels, tmp_path / "none.csv"), 10)
    assert ("b", "c") not in names(queue)
    assert names(queue)[0] == ("a", "c")


def test_answers_round_trip_through_read_labels_into_training_labels(tmp_path):
    labels = tmp_path / "labels.csv"
    append_answers(labels, [("vk", "a", "vk", "c", "match")])
    append_answers(labels, [("vk", "d", "vk", "e", "distinct")])
    contacts = pl.DataFrame(
        {"record_id": [1, 2, 3, 4, 5, 6], "source": ["vk"] * 6, "source_id": list("abcdef")}
    )
    got = labels_mod.read_labels(labels, contacts).sort("l", "r")
    assert got.select("l", "r", "label").rows() == [(1, 3, "match"), (4, 5, "distinct")]
    seeds = pl.DataFrame(
        {"l": [4, 1], "r": [5, 2], "label": ["match", "match"], "reason": ["shared identifier"] * 2}
    )
    combined = labels_mod.combine(seeds, got)
    as_dict = {(r["l"], r["r"]): r["label"] for r in combined.iter_rows(named=True)}
    assert as_dict == {(1, 3): "match", (4, 5): "distinct", (1, 2): "match"}


def test_spread_targets_fill_the_scores_evenly():
    from resolution.feedback.label_queue import spread_target

    assert [spread_target(k) for k in range(3)] == [0.5, 0.25, 0.75]
    # the first 2^m - 1 targets are exactly the multiples of 2^-m: no score range left out
    assert sorted(spread_target(k) for k in range(15)) == [i / 16 for i in range(1, 16)]


def crowded() -> pl.DataFrame:
    """Forty pairs of forty distinct contacts, most scoring near 0.5, one near 0.9 and one
    near 0.1 (each contact its own profile)."""
    scores = [0.5 + i / 1000 for i in range(38)] + [0.91, 0.12]
    return pl.DataFrame(
        {
            "source_l": ["vk"] * 40,
            "source_id_l": [f"l{i:02d}" for i in range(40)],
            "source_r": ["vk"] * 40,
            "source_id_r": [f"r{i:02d}" for i in range(40)],
            "score": scores,
        }
    )


def own_profiles(pairs: pl.DataFrame) -> pl.DataFrame:
    ids = pairs["source_id_l"].to_list() + pairs["source_id_r"].to_list()
    return pl.DataFrame({"profile_id": ids, "source": ["vk"] * len(ids), "source_id": ids})


def test_spread_queue_asks_across_the_scores_not_only_near_one_half():
    pairs = crowded()
    uncertain = label_queue(pairs, own_profiles(pairs), size=3)
    spread = label_queue(pairs, own_profiles(pairs), size=3, spread=True)
    assert all(abs(s - 0.5) < 0.01 for s in uncertain["score"])
    # targets 0.5, 0.25, 0.75: the pair nearest each, in asking order
    assert spread["score"].to_list() == [0.5, 0.12, 0.91]


def test_spread_queue_continues_where_the_answers_left_off(tmp_path):
    pairs = crowded()
    labels = tmp_path / "labels.csv"
    append_answers(labels, [("vk", "l00", "vk", "r00", "distinct")])
    queue = label_queue(
        pairs, own_profiles(pairs), read_answered(labels, tmp_path / "none.csv"), 2, spread=True
    )
    # one pair answered: the next targets are 0.25 and 0.75
    assert queue["score"].to_list() == [0.12, 0.91]
    shuffled = pairs.sample(fraction=1.0, shuffle=True, seed=3)
    again = label_queue(
        shuffled, own_profiles(pairs), read_answered(labels, tmp_path / "none.csv"), 2, spread=True
    )
    assert again.equals(queue)


def test_spread_queue_keeps_one_question_per_contact():
    queue = label_queue(reasons(), members(), size=10, spread=True)
    contacts = [c for pair in names(queue) for c in pair]
    assert len(contacts) == len(set(contacts))
    # target 0.5: b~c (0.49) before a~c (0.52); 0.25: e~f (0.30); every other pair shares
    # a contact with these two (the uncertainty queue asks d~e and a~f instead)
    assert names(queue) == [("b", "c"), ("e", "f")]
