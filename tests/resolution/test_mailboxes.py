"""Namesakes' mailboxes: an equal e-mail local part on two mailboxes weighs as the name does."""

from __future__ import annotations

import polars as pl
import pytest

from resolution.linking.mailboxes import namesake_mailbox_holds, namesake_mailbox_pairs

COLUMNS = ("phones", "emails", "handles", "nicknames")
RARE_NAME = 3  # a name borne by more contacts than this cannot be told apart by its context


def home(rows: list[tuple[str | None, str, list[str]]], namesakes: int = 0) -> pl.DataFrame:
    """Contacts (name_key, e-mail, phones), record ids in order, then ``namesakes`` more
    contacts named ``nikita smirnov`` with no e-mail (they only make the name common)."""
    rows = rows + [("nikita smirnov", "", [])] * namesakes
    emails = [[r[1]] if r[1] else [] for r in rows]
    return pl.DataFrame(
        {
            "record_id": list(range(len(rows))),
            "name_key": [r[0] for r in rows],
            "given_key": [r[0].split()[0] if r[0] else None for r in rows],
            "email_local": [r[1].split("@")[0] if r[1] else None for r in rows],
            "phones": [r[2] for r in rows],
            "emails": emails,
            "handles": [[] for _ in rows],
            "nicknames": [[] for _ in rows],
        },
        schema_overrides={c: pl.List(pl.String) for c in COLUMNS} | {"record_id": pl.Int64},
    )


def scored(*pairs: tuple[int, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id_l": [a for a, _ in pairs],
            "record_id_r": [b for _, b in pairs],
            "score": [0.8] * len(pairs),
        },
        schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64, "score": pl.Float64},
    )


NIKITA_MAIL = ("nikita smirnov", "nikita.smirnov@mail.ru", [])
NIKITA_YANDEX = ("nikita smirnov", "nikita.smirnov@yandex.ru", [])


@pytest.mark.parametrize(
    ("rows", "namesakes", "held"),
    [
        pytest.param([NIKITA_MAIL, NIKITA_YANDEX], 0, [], id="a rare name: the edge stays"),
        pytest.param(
            [NIKITA_MAIL, NIKITA_YANDEX], 2, [(0, 1)], id="a common name: namesakes' mailboxes"
        ),
        pytest.param(
            [NIKITA_MAIL, NIKITA_YANDEX], 1, [], id="exactly rare_name contacts: still rare"
        ),
        pytest.param(
            [NIKITA_MAIL, ("nikita smirnov", "nikita.smirnov@mail.ru", [])],
            5,
            [],
            id="one mailbox: an identifier, not a local part",
        ),
        pytest.param(
            [
                ("nikita smirnov", "nikita.smirnov@mail.ru", ["+79161234567"]),
                ("nikita smirnov", "nikita.smirnov@yandex.ru", ["+79161234567"]),
            ],
            5,
            [],
            id="a shared phone besides: not the local part's to decide",
        ),
        pytest.param(
            [NIKITA_MAIL, ("ivan petrov", "ivan.petrov@yandex.ru", [])],
            5,
            [],
            id="different local parts: not this rule's pair",
        ),
        pytest.param(
            [NIKITA_MAIL, ("nikita smirnov", "nikita.smirnov@mail.ry", [])],
            5,
            [],
            id="a mistyped domain: one mailbox",
        ),
        pytest.param(
            [NIKITA_MAIL, (None, "nikita.smirnov@gmial.com", [])],
            5,
            [],
            id="a nameless side: no second bearer of the name",
        ),
    ],
)
def test_namesake_mailbox_pairs(rows, namesakes, held):
    contacts = home(rows, namesakes)
    out = namesake_mailbox_pairs(contacts, scored((0, 1)), COLUMNS, rare_name=RARE_NAME)
    assert [tuple(r) for r in out.iter_rows()] == held


@pytest.mark.parametrize(("namesakes", "people"), [(2, 4), (7, 9)])
def test_namesake_mailbox_holds_count_the_names_bearers(namesakes, people):
    contacts = home([NIKITA_MAIL, NIKITA_YANDEX], namesakes)
    out = namesake_mailbox_holds(contacts, scored((0, 1)), COLUMNS, rare_name=RARE_NAME)
    assert out.rows() == [(0, 1, people)]


def test_only_scored_pairs_are_considered():
    contacts = home([NIKITA_MAIL, NIKITA_YANDEX], 5)
    assert namesake_mailbox_pairs(contacts, scored(), COLUMNS, rare_name=RARE_NAME).height == 0
