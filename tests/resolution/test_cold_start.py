"""Cold-start mechanisms: blocking budget, hard negatives among blocked neighbours, unsure seeds."""

from __future__ import annotations

import polars as pl

from resolution.config import default_config
from resolution.matching.fields import field_specs
from resolution.training.blocking_rules import rule_budget
from resolution.training.labels import UNSURE
from resolution.training.seeds import conflicting_neighbours, seed_labels


def contacts(rows):
    return pl.DataFrame(
        rows,
        schema={
            "record_id": pl.Int64,
            "name_key": pl.String,
            "given_key": pl.String,
            "surname_key": pl.String,
            "phones": pl.List(pl.String),
            "emails": pl.List(pl.String),
            "handles": pl.List(pl.String),
        },
        orient="row",
    )


ROWS = [
    (1, "ivan ivanov", "ivan", "ivanov", ["+79161111111"], [], ["vk:ivan"]),
    (2, "petr sidorov", "petr", "sidorov", ["+79162222222"], [], ["vk:petr"]),
    (3, "ivan ivanov", "ivan", "ivanov", ["+79163333333"], [], ["ig:ivan"]),  # namesake of 1
    (4, "olga ivanova", "olga", "ivanov", ["+79164444444"], [], []),
    (5, "anna kotova", "anna", "kotov", ["+79161111111"], [], []),  # shares 1's phone
]


def test_rule_budget_scales_with_the_sample_share():
    assert rule_budget(2000, 2000) == 10 * 2000
    assert rule_budget(2000, 20000) == 10 * 2000**2 / 20000


def test_conflicting_neighbours_keep_only_conflicting_ids_and_names():
    specs = field_specs(default_config())
    pairs = pl.DataFrame({"l": [1, 1, 1], "r": [2, 3, 5]})
    got = conflicting_neighbours(contacts(ROWS), specs, pairs, max_pairs=10, seed=1)
    # 1-3 have one name (not a conflict of names); 1-5 share a phone; 1-2 conflict on both.
    assert got.select("l", "r").rows() == [(1, 2)]
    assert got["label"].to_list() == ["distinct"]


def test_shared_identifier_with_other_name_and_namesakes_are_unsure():
    specs = field_specs(default_config())
    seeds = seed_labels(contacts(ROWS), specs, max_pairs=100, seed=1)
    labels = {(a, b): lab for a, b, lab in seeds.select("l", "r", "label").iter_rows()}
    assert labels[(1, 5)] == UNSURE  # a shared phone under another name: family or typo
    # namesakes 1 and 3 conflict on phones; their VK and Instagram handles are no conflict
    assert labels[(1, 3)] == UNSURE
