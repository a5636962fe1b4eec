"""Cold-start seed labels and labelled-pair files."""

from __future__ import annotations

import polars as pl
import pytest

from resolution.config import default_config
from resolution.errors import InputError
from resolution.matching.fields import field_specs
from resolution.training.labels import combine, read_labels
from resolution.training.seeds import seed_labels

L = pl.List(pl.String)


def contacts(rows: list[tuple[str | None, str | None, str | None, list[str]]]) -> pl.DataFrame:
    """rows of (name_key, given_key, surname_key, phones) → a minimal normalized_contacts."""
    n = len(rows)
    return pl.DataFrame(
        {
            "record_id": list(range(n)),
            "source": ["vk"] * n,
            "source_id": [str(i) for i in range(n)],
            "name_key": [r[0] for r in rows],
            "given_key": [r[1] for r in rows],
            "surname_key": [r[2] for r in rows],
            "phones": [r[3] for r in rows],
            "emails": [[] for _ in rows],
            "handles": [[] for _ in rows],
        },
        schema_overrides={"phones": L, "emails": L, "handles": L},
    )


def label_of(seeds: pl.DataFrame, left: int, right: int) -> str | None:
    hit = seeds.filter((pl.col("l") == left) & (pl.col("r") == right))
    return hit["label"][0] if hit.height else None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # same phone, same person written two ways → match
        (
            ("ivan ivanov", "ivan", "ivanov", ["+79163427815"]),
            ("ivan ivanov", "ivan", "ivanov", ["+79163427815"]),
            "match",
        ),
        # same phone, diminutive resolved to the same given name → match
        (
            ("ivan ivanov", "ivan", "ivanov", ["+79163427815"]),
            ("ivan", "ivan", None, ["+79163427815"]),
            "match",
        ),
        # a shared phone under another given name: a family phone, or one person typed badly →
        # unsure (the first model decides from the other fields)
        (
            ("ivan ivanov", "ivan", "ivanov", ["+79163427815"]),
            ("olga ivanova", "olga", "ivanov", ["+79163427815"]),
            "unsure",
        ),
        # namesakes whose phones conflict: two people, or one with a second phone → unsure
        (
            ("ivan ivanov", "ivan", "ivanov", ["+79163427815"]),
            ("ivan ivanov", "ivan", "ivanov", ["+79261112233"]),
            "unsure",
        ),
        # nothing but a given name in common → distinct
        (("olga", "olga", None, []), ("olga", "olga", None, []), "distinct"),
    ],
)
def test_seed_rules(a, b, expected):
    filler = [(f"person{i} other{i}", f"person{i}", f"other{i}", []) for i in range(6)]
    seeds = seed_labels(
        contacts([a, b, *filler]), field_specs(default_config()), max_pairs=100, seed=1
    )
    assert label_of(seeds, 0, 1) == expected


def test_labelled_pairs_override_seeds(tmp_path):
    df = contacts(
        [
            ("ivan ivanov", "ivan", "ivanov", ["+79163427815"]),
            ("ivan ivanov", "ivan", "ivanov", ["+79163427815"]),
            ("petr petrov", "petr", "petrov", []),
        ]
    )
    seeds = seed_labels(df, field_specs(default_config()), max_pairs=100, seed=1)
    assert label_of(seeds, 0, 1) == "match"
    path = tmp_path / "labels.csv"
    path.write_text(
        "source_l,source_id_l,source_r,source_id_r,label\nvk,1,vk,0,distinct\nvk,0,vk,404,match\n",
        encoding="utf-8",
    )
    labelled = read_labels(path, df)
    assert labelled.height == 1  # the pair naming an unknown contact is skipped
    assert label_of(combine(seeds, labelled), 0, 1) == "distinct"


def test_labels_file_with_bad_label_is_an_error(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        "source_l,source_id_l,source_r,source_id_r,label\nvk,1,vk,0,maybe\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="match/distinct"):
        read_labels(path, contacts([("a", "a", None, []), ("b", "b", None, [])]))


def test_operator_decisions_become_training_labels_that_outrank_the_file() -> None:
    from resolution.training.labels import DECIDED, LABELLED, combine, decision_labels

    contacts = pl.DataFrame(
        {"record_id": [0, 1, 2], "source": ["vk", "vk", "tg"], "source_id": ["1", "2", "3"]}
    )
    decisions = pl.DataFrame(
        {
            "source_l": ["vk", "tg"],
            "source_id_l": ["2", "3"],
            "source_r": ["vk", "vk"],
            "source_id_r": ["1", "9"],  # vk:9 is no longer in the input
            "label": ["distinct", "match"],
        }
    )
    decided = decision_labels(decisions, contacts)
    assert decided.rows() == [(0, 1, "distinct", DECIDED)]
    from_file = pl.DataFrame({"l": [0], "r": [1], "label": ["match"], "reason": [LABELLED]})
    assert combine(from_file, decided).rows() == [(0, 1, "distinct", DECIDED)]
