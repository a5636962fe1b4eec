"""Household identifiers: a value several people bear joins no two of them by itself."""

from __future__ import annotations

import polars as pl
import pytest

from resolution.linking.clustering import cluster_records
from resolution.linking.households import (
    drop_household_pairs,
    household_holds,
    household_neighbours,
    household_pairs,
    people,
    same_given,
)
from resolution.linking.links import identifier_links

COLUMNS = ("phones", "emails", "handles")
FAMILY = "+74951234567"  # the Ivanovs' landline
IVAN = "+79161234567"  # Ivan's own mobile


def home(rows: list[tuple[str | None, list[str], list[str]]]) -> pl.DataFrame:
    """Contacts (given_key, phones, emails), record ids in order; a given key ``"a."`` stands
    for a name written with the initial only (``A. Ivanova``)."""
    return pl.DataFrame(
        {
            "record_id": list(range(len(rows))),
            "given_key": [None if r[0] and r[0].endswith(".") else r[0] for r in rows],
            "name_key": [f"{r[0][0]} ivanov" if r[0] else None for r in rows],
            "phones": [r[1] for r in rows],
            "emails": [r[2] for r in rows],
            "handles": [[] for _ in rows],
        },
        schema_overrides={c: pl.List(pl.String) for c in COLUMNS} | {"record_id": pl.Int64},
    )


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("ivan", "ivan", True),
        ("eugene", "evgeni", True),  # one person in two languages
        ("ciril", "kiril", True),  # c read as k
        ("piotr", "petr", True),
        ("natalie", "natalia", True),
        ("ivan", "irina", False),  # a family
        ("anton", "alena", False),
        ("gleb", "regina", False),
    ],
)
def test_same_given(a, b, same):
    assert same_given(a, b) is same
    assert same_given(b, a) is same


@pytest.mark.parametrize(
    ("givens", "expected"),
    [
        (["ivan"], 1),
        (["ivan", "ivan"], 1),
        (["eugene", "evgeni"], 1),
        (["ivan", "irina"], 2),
        (["ivan", "irina", "gleb", "evgeni", "eugene"], 4),
    ],
)
def test_people_counts_variants_once(givens, expected):
    assert len(people(givens)) == expected


# (rows, pairs held): rows are (given_key, phones, emails)
CASES = [
    pytest.param(
        [("ivan", [FAMILY], []), ("irina", [FAMILY], [])],
        [(0, 1)],
        id="a family phone: different given names stay apart",
    ),
    pytest.param(
        [("ivan", [IVAN], []), ("ivan", [IVAN], [])],
        [],
        id="a personal phone with a matching name joins",
    ),
    pytest.param(
        [("ivan", [FAMILY], []), ("irina", [FAMILY], []), ("ivan", [FAMILY], [])],
        [(0, 1), (1, 2)],
        id="a family phone: the same name on it still joins",
    ),
    pytest.param(
        [("eugene", [IVAN], []), ("evgeni", [IVAN], [])],
        [],
        id="one person's name in two languages is one bearer",
    ),
    pytest.param(
        [("ivan", [IVAN], []), (None, [IVAN], [])],
        [],
        id="a nameless contact on a one-person phone joins",
    ),
    pytest.param(
        [("ivan", [FAMILY], []), ("irina", [FAMILY], []), (None, [FAMILY], [])],
        [(0, 1), (0, 2), (1, 2)],
        id="a nameless contact on a two-person phone: odds 1, not above the threshold's",
    ),
    pytest.param(
        [("ivan", [FAMILY, IVAN], []), ("irina", [FAMILY], []), ("ivan", [FAMILY, IVAN], [])],
        [(0, 1), (1, 2)],
        id="a pair that also shares a one-person value is not held",
    ),
    pytest.param(
        [("ivan", [FAMILY], []), ("irina", [FAMILY], []), ("i.", [FAMILY], [])],
        [(0, 1), (0, 2), (1, 2)],
        id="an initial both bearers fit tells nothing",
    ),
    pytest.param(
        [("ivan", [FAMILY], []), ("maria", [FAMILY], []), ("m.", [FAMILY], [])],
        [(0, 1), (0, 2)],
        id="an initial one bearer fits joins that bearer and conflicts with the other",
    ),
    pytest.param(
        [("kiril", [FAMILY], []), ("maria", [FAMILY], []), ("c.", [FAMILY], [])],
        [(0, 1), (1, 2)],
        id="an initial c fits a name read with k",
    ),
    pytest.param(
        [
            ("ivan", [FAMILY], []),
            ("ivan", [FAMILY], []),
            ("irina", [FAMILY], []),
            (None, [FAMILY], []),
        ],
        [(0, 2), (1, 2), (2, 3)],
        id="a nameless contact is likelier the bearer with more of the value's contacts (2 of 3)",
    ),
    pytest.param(
        [
            ("ivan", [FAMILY], []),
            ("irina", [FAMILY], []),
            ("irina", [FAMILY], []),
            (None, [FAMILY], []),
        ],
        [(0, 1), (0, 2), (0, 3)],
        id="whichever bearer that is",
    ),
    pytest.param(
        [
            ("ivan", [FAMILY], []),
            ("ivan", [FAMILY], []),
            ("irina", [FAMILY], []),
            (None, [FAMILY], []),
            (None, [FAMILY], []),
        ],
        [(0, 2), (1, 2), (2, 3), (2, 4)],
        id="two nameless contacts are one bearer at 4/9 + 1/9 = 5/9: above one half",
    ),
    pytest.param(
        [("ivan", [], ["ivanovy@mail.ru"]), ("irina", [], ["ivanovy@mail.ru"])],
        [],
        id="a mailbox is one account's, not a household's",
    ),
    pytest.param(
        [("ivan", [FAMILY], ["ivanovy@mail.ru"]), ("irina", [FAMILY], ["ivanovy@mail.ru"])],
        [],
        id="a pair that shares a mailbox besides the family phone is not held",
    ),
]


@pytest.mark.parametrize(("rows", "held"), CASES)
def test_household_pairs(rows, held):
    out = household_pairs(home(rows), COLUMNS, threshold=0.5)
    assert [tuple(r) for r in out.iter_rows()] == held


# (rows, (record_id_l, record_id_r, why, people, values) of each held pair): why the rule
# holds a pair, which `edin explain` and the review app put into words
HOLDS = [
    pytest.param(
        [("ivan", [FAMILY], []), ("irina", [FAMILY], [])],
        [(0, 1, "given_names", 2, 1)],
        id="two given names",
    ),
    pytest.param(
        [("ivan", [FAMILY], []), ("maria", [FAMILY], []), ("m.", [FAMILY], [])],
        [(0, 1, "given_names", 2, 1), (0, 2, "initials", 2, 1)],
        id="an initial that fits not the other's name",
    ),
    pytest.param(
        [
            ("ivan", [FAMILY], []),
            ("irina", [FAMILY], []),
            ("gleb", [FAMILY], []),
            (None, [FAMILY], []),
        ],
        [
            (0, 1, "given_names", 3, 1),
            (0, 2, "given_names", 3, 1),
            (0, 3, "unnamed", 3, 1),
            (1, 2, "given_names", 3, 1),
            (1, 3, "unnamed", 3, 1),
            (2, 3, "unnamed", 3, 1),
        ],
        id="a nameless side on a three-person line",
    ),
    pytest.param(
        [
            ("ivan", [FAMILY, "+74957778899"], []),
            ("irina", [FAMILY, "+74957778899"], []),
            ("gleb", [FAMILY], []),
        ],
        [(0, 1, "given_names", 2, 2), (0, 2, "given_names", 3, 1), (1, 2, "given_names", 3, 1)],
        id="two lines shared: the fewest bearers of one",
    ),
]


@pytest.mark.parametrize(("rows", "holds"), HOLDS)
def test_household_holds_say_why(rows, holds):
    out = household_holds(home(rows), COLUMNS, threshold=0.5)
    assert [tuple(r) for r in out.iter_rows()] == holds
    assert household_pairs(home(rows), COLUMNS, threshold=0.5).rows() == [h[:2] for h in holds]


def test_threshold_sets_the_nameless_odds():
    rows = [("ivan", [FAMILY], []), ("irina", [FAMILY], []), (None, [FAMILY], [])]
    # at threshold 0.4 the odds 1 of one of two bearers are above 0.4's (2/3): the nameless
    # contact's pairs pass; the conflicting pair never does
    out = household_pairs(home(rows), COLUMNS, threshold=0.4)
    assert [tuple(r) for r in out.iter_rows()] == [(0, 1)]


def test_no_given_name_column_holds_nothing():
    df = home([("ivan", [FAMILY], []), ("irina", [FAMILY], [])]).drop("given_key")
    assert household_pairs(df, COLUMNS, threshold=0.5).height == 0


def test_a_family_phone_does_not_merge_two_people_but_a_personal_phone_does():
    """A small home: Ivan (two contacts sharing his mobile) and his wife Irina share the family
    landline with him; the model scores every pair sharing a phone high."""
    contacts = home(
        [
            ("ivan", [IVAN, FAMILY], []),  # 0: Ivan on WhatsApp
            ("ivan", [IVAN], []),  # 1: "Vanya" calling from his mobile
            ("irina", [FAMILY], []),  # 2: Irina calling from the landline
            ("irina", [FAMILY], ["irina.ivanova@mail.ru"]),  # 3: Irina by e-mail
        ]
    )
    linked = identifier_links(contacts, COLUMNS)
    scored = linked.with_columns(pl.lit(0.99).alias("score"))
    held = household_pairs(contacts, COLUMNS, threshold=0.5)
    clusters = cluster_records(
        contacts["record_id"],
        drop_household_pairs(scored, held),
        threshold=0.5,
        max_cluster_size=25,
        linked=linked,
    )
    cluster_of = dict(clusters.select("record_id", "cluster_id").iter_rows())
    assert cluster_of[0] == cluster_of[1]  # the personal phone with a matching name
    assert cluster_of[2] == cluster_of[3]  # Irina's two contacts: her name on the landline
    assert cluster_of[0] != cluster_of[2]  # the family phone joins no two people
    # without the household rule the landline merges the two
    merged = cluster_records(
        contacts["record_id"], scored, threshold=0.5, max_cluster_size=25, linked=linked
    )
    assert merged["cluster_id"].n_unique() == 1


@pytest.mark.parametrize(
    ("dirty", "expected"),
    [
        ([], []),
        ([2], [0, 1, 2]),  # Irina joins the family line: every contact on it is clustered again
        ([0], [0, 1, 2]),  # Ivan's own mobile is no household value, the family line is
        ([3], [3]),  # a phone no one else carries
        ([4], []),  # e-mails are one account's, not a household's
    ],
)
def test_household_neighbours_are_the_contacts_on_a_dirty_contacts_lines(dirty, expected):
    contacts = home(
        [
            ("ivan", [FAMILY, IVAN], []),
            (None, [FAMILY], []),
            ("irina", [FAMILY], []),
            ("oleg", ["+79031112233"], []),
            ("anna", [], ["anna@example.ru"]),
        ]
    )
    got = household_neighbours(
        contacts, pl.DataFrame({"record_id": dirty}, schema={"record_id": pl.Int64})
    )
    assert got["record_id"].to_list() == expected


@pytest.mark.parametrize(("rows", "holds"), HOLDS)
def test_holds_of_given_pairs_are_those_of_the_whole_home(rows, holds):
    """Weighing only some pairs (the cluster stage's scored pairs) gives those pairs' holds
    as weighing every pair does: the bearers are still counted over the whole home."""
    contacts = home(rows)
    every = household_holds(contacts, COLUMNS, threshold=0.5)
    n = contacts.height
    all_pairs = pl.DataFrame(
        [(a, b) for a in range(n) for b in range(a + 1, n)],
        schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64},
        orient="row",
    )
    for some in (all_pairs, all_pairs.head(1), all_pairs.tail(2), all_pairs.head(0)):
        got = household_holds(contacts, COLUMNS, threshold=0.5, pairs=some)
        expected = every.join(some, on=["record_id_l", "record_id_r"], how="semi")
        assert got.equals(expected)
