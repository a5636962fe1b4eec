"""The labelled-precision check (``resolution.publishing.precision``): of the operator-labelled
pairs a run puts into one profile, the share labelled "same person"; below the floor, no
publish."""

from __future__ import annotations

import polars as pl
import pytest

from resolution.publishing.precision import (
    LABELLED_SCHEMA,
    MIN_LABELLED_PAIRS,
    labelled_precision,
)

MEMBERS = pl.DataFrame(
    {
        "profile_id": ["p1", "p1", "p1", "p2", "p3"],
        "source": ["vk", "tg", "mail", "vk", "vk"],
        "source_id": ["1", "2", "3", "4", "5"],
    }
)


def labels(*rows: tuple[str, str, str]) -> pl.DataFrame:
    """(left source_id, right source_id, label) on the contacts of MEMBERS."""
    source = dict(zip(MEMBERS["source_id"], MEMBERS["source"], strict=True))
    return pl.DataFrame(
        [(source.get(a, "vk"), a, source.get(b, "vk"), b, label) for a, b, label in rows],
        schema=LABELLED_SCHEMA,
        orient="row",
    )


@pytest.mark.parametrize(
    ("rows", "labelled", "merged", "correct"),
    [
        ([], 0, 0, 0),
        ([("1", "2", "match")], 1, 1, 1),
        ([("1", "2", "match"), ("1", "3", "distinct")], 2, 2, 1),
        ([("1", "4", "distinct"), ("4", "5", "match")], 2, 0, 0),  # apart: not merged
        ([("1", "9", "match")], 0, 0, 0),  # an unknown contact: not counted
        ([("1", "2", "distinct"), ("1", "2", "match")], 1, 1, 0),  # the first label of a pair
        ([("1", "2", "unsure")], 0, 0, 0),
    ],
)
def test_labelled_precision(rows, labelled, merged, correct) -> None:
    got = labelled_precision(MEMBERS, labels(*rows))
    assert (got.labelled, got.merged, got.correct) == (labelled, merged, correct)


def test_the_floor_stops_a_run_only_on_enough_pairs() -> None:
    few = labelled_precision(MEMBERS, labels(("1", "2", "distinct")))
    assert few.precision == 0.0 and few.problems(0.9) == []  # one pair says too little
    many = MEMBERS.join(pl.DataFrame({"n": list(range(MIN_LABELLED_PAIRS))}), how="cross")
    many = many.with_columns(pl.format("{}-{}", "source_id", "n").alias("source_id"))
    wrong = (
        many.filter(pl.col("profile_id") == "p1")
        .group_by("n")
        .agg(
            pl.col("source").first().alias("source_l"),
            pl.col("source_id").first().alias("source_id_l"),
            pl.col("source").last().alias("source_r"),
            pl.col("source_id").last().alias("source_id_r"),
        )
    )
    pairs = wrong.select(*list(LABELLED_SCHEMA)[:4]).with_columns(pl.lit("distinct").alias("label"))
    got = labelled_precision(many.drop("n"), pairs)
    assert got.merged == MIN_LABELLED_PAIRS and got.precision == 0.0
    (problem,) = got.problems(0.9)
    assert "below the floor 0.9" in problem and "min_labelled_precision" in problem
    assert got.problems(0.0) == []
