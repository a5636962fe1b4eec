"""The queues as pure functions: namesake groups, groups held for review, pair statuses,
filters, the uncertain-pair queue."""

from __future__ import annotations

import polars as pl
import pytest

from review.queues import (
    Filters,
    namesake_groups,
    pair_item,
    pair_statuses,
    parse_pair_item,
    review_groups,
    uncertain_pairs,
)

# (source, source_id, display_name, name_key, profile_id)
CONTACTS = [
    ("vk", "1", "Иван Иванов", "ivan ivanov", "p1"),
    ("tg", "2", "Ваня Иванов", "ivan ivanov", "p1"),
    ("email", "3", "Ivan Ivanov", "ivan ivanov", "p2"),
    ("phone", "4", "Иван Иванов", "ivan ivanov", "p3"),
    ("vk", "5", "Пётр Петров", "petr petrov", "p4"),
    ("vk", "6", "Пётр Петров", "petr petrov", "p4"),  # one profile: no question
    ("vk", "7", "Иван", "ivan", "p5"),  # a first name alone is not a full name
    ("vk", "8", "Иван", "ivan", "p6"),
    ("vk", "9", "Анна Смирнова", "anna smirnova", "p7"),
    ("tg", "10", "Anna Smirnova", "anna smirnova", "p8"),
]


def frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=["source", "source_id", "display_name", "name_key", "profile_id"],
        orient="row",
    )


def test_namesake_groups_are_full_names_over_several_profiles_biggest_first():
    groups = namesake_groups(frame(CONTACTS))
    assert [(g.name_key, len(g.keys), g.profiles) for g in groups] == [
        ("ivan ivanov", 4, 3),
        ("anna smirnova", 2, 2),
    ]
    first = groups[0]
    assert first.display == "Иван Иванов"  # the most frequent written form
    assert first.keys == (("email", "3"), ("phone", "4"), ("tg", "2"), ("vk", "1"))
    assert first.gid == namesake_groups(frame(list(reversed(CONTACTS))))[0].gid  # stable


def test_review_groups_come_back_from_the_strong_pairs():
    contacts = pl.DataFrame(
        [("vk", str(i)) for i in range(6)], schema=["source", "source_id"], orient="row"
    )
    pairs = pl.DataFrame(
        [
            ("vk", "0", "vk", "1", 0.9),
            ("vk", "1", "vk", "2", 0.6),
            ("vk", "3", "vk", "4", 0.4),  # below the threshold
            ("vk", "4", "x", "9", 0.99),  # a contact outside the held ones
        ],
        schema=["source_l", "source_id_l", "source_r", "source_id_r", "score"],
        orient="row",
    )
    groups = review_groups(contacts, pairs, threshold=0.5)
    assert [g.keys for g in groups] == [(("vk", "0"), ("vk", "1"), ("vk", "2"))]
    assert review_groups(contacts.head(0), pairs, 0.5) == []


def test_pair_statuses():
    a, b, c = ("vk", "1"), ("tg", "2"), ("email", "3")
    profile_of = {a: "p1", b: "p1", c: "p2"}
    got = pair_statuses(
        [a, b, c],
        profile_of,
        scores={(c, a): 0.42},
        decided={(c, b): "distinct"},
        skipped=set(),
    )
    table = {(s.a, s.b): (s.same_profile, s.score, s.decided, s.open) for s in got}
    assert table == {
        (c, b): (False, None, "distinct", False),
        (c, a): (False, 0.42, None, True),
        (b, a): (True, None, None, False),
    }
    skipped = pair_statuses([a, c], profile_of, {}, {}, {pair_item(c, a)})
    assert skipped[0].skipped and not skipped[0].open


@pytest.mark.parametrize(
    ("a", "b"),
    [(("vk", "1"), ("tg", "2")), (("email", "ivan@mail.ru"), ("crm", "a:b"))],
)
def test_a_pair_item_reads_back_in_order(a, b):
    assert parse_pair_item(pair_item(a, b)) == tuple(sorted((a, b)))
    assert pair_item(a, b) == pair_item(b, a)
    assert parse_pair_item("namesakes:abc") is None


REASONS = pl.DataFrame(
    [
        ("vk", "1", "tg", "2", 0.51, "Москва", ["message"], None, ["call"]),
        ("vk", "3", "tg", "4", 0.30, "Казань", ["call"], "Казань", []),
        ("vk", "5", "email", "6", 0.95, None, [], None, []),
        ("vk", "1", "email", "6", 0.49, "Москва", ["message"], None, []),
    ],
    schema={
        "source_l": pl.String,
        "source_id_l": pl.String,
        "source_r": pl.String,
        "source_id_r": pl.String,
        "score": pl.Float64,
        "city_l": pl.String,
        "channels_l": pl.List(pl.String),
        "city_r": pl.String,
        "channels_r": pl.List(pl.String),
    },
    orient="row",
)
MEMBERS = pl.DataFrame(
    [(f"p{i}", s, str(i)) for i, s in enumerate(["", "vk", "tg", "vk", "tg", "vk", "email"])][1:],
    schema=["profile_id", "source", "source_id"],
    orient="row",
)


def ids(queue: pl.DataFrame) -> list[tuple[str, str]]:
    """The queue's pairs as (smaller id, larger id), in asking order."""
    return [
        (min(a, b), max(a, b))
        for a, b in zip(queue["source_id_l"], queue["source_id_r"], strict=True)
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # a contact is asked about once: 1-2 and 5-6 wait for 1-6's answer
        (Filters(), [("1", "6"), ("3", "4")]),
        (Filters(source="email"), [("1", "6")]),
        (Filters(city="Казань"), [("3", "4")]),
        (Filters(channel="call"), [("1", "2"), ("3", "4")]),
        (Filters(score_min=0.9), [("5", "6")]),
        (Filters(score_max=0.5), [("1", "6"), ("3", "4")]),
    ],
)
def test_uncertain_pairs_most_uncertain_first_within_filters(filters, expected):
    got = uncertain_pairs(REASONS, MEMBERS, {}, [], filters, 10)
    assert ids(got) == expected


def test_decided_and_skipped_pairs_leave_the_queue():
    decided = {(("email", "6"), ("vk", "1")): "distinct"}
    skipped = [(("tg", "4"), ("vk", "3"))]
    got = uncertain_pairs(REASONS, MEMBERS, decided, skipped, Filters(), 10)
    assert ids(got) == [("1", "2"), ("5", "6")]


def test_filters_as_a_query():
    assert Filters(source="vk", score_min=0.25).query() == "source=vk&score_min=0.25"
    assert Filters().query() == ""
