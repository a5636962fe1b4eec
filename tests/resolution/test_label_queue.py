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
