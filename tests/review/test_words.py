"""A pair's reasons in an operator's words: the sign of a field's contribution and whether
its values are equal choose the sentence; no log-odds reach the page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from review.words import (
    APART_WORDS,
    MESSAGES,
    counted,
    kept_apart,
    local_time,
    plural_form,
    reason,
    reasons,
    translator,
    verdict,
)

IVAN = {"name": "ivan ivanov", "given": "ivan", "surname": "ivanov", "_name_count": 9}
IVAN2 = {"name": "ivan ivanov", "given": "ivan", "surname": "ivanov", "_name_count": 9}
PETR = {"name": "petr ivanov", "given": "petr", "surname": "ivanov"}


@pytest.mark.parametrize(
    ("field", "weight", "left", "right", "ru", "en"),
    [
        (
            "phones",
            7.6,
            {"phones": ("+7916",)},
            {"phones": ("+7916",)},
            "тот же телефон",
            "same phone",
        ),
        (
            "phones",
            -2.0,
            {"phones": ("+7916",)},
            {"phones": ("+7926",)},
            "разные телефоны",
            "different phones",
        ),
        (
            "name",
            -0.4,
            IVAN,
            IVAN2,
            "имя совпадает, но оно частое (его носят 9 контактов)",
            "the name matches, but it is common (9 contacts bear it)",
        ),
        (
            "given",
            -0.4,
            IVAN,
            IVAN2,
            "имя совпадает, но оно частое",
            "the first name matches, but it is common",
        ),
        ("given", 1.5, IVAN, IVAN2, "то же имя", "same first name"),
        ("given", -3.5, IVAN, PETR, "разные имена", "different first names"),
        ("surname", 2.0, IVAN, PETR, "та же фамилия", "same surname"),
        (
            "name",
            1.0,
            {"name": "ivan ivanov"},
            {"name": "ivan ivanof"},
            "похожие имя и фамилия",
            "similar full name",
        ),
        (
            "emails",
            5.0,
            {"emails": ("a@b.ru",)},
            {"emails": ("a@b.ru", "c@d.ru")},
            "тот же e-mail",
            "same e-mail",
        ),
        (
            "handles",
            4.0,
            {"handles": ("tg:ivan",)},
            {"handles": ("tg:ivan",)},
            "тот же аккаунт в соцсети",
            "same social account",
        ),
        ("city", -0.8, {"city": "moskva"}, {"city": "kazan"}, "разные города", "different cities"),
        (
            "created",
            0.7,
            {"created": 1.0},
            {"created": 2.0},
            "созданы почти в одно время",
            "created close in time",
        ),
        (
            "created",
            -1.3,
            {"created": 1.0},
            {"created": 900.0},
            "созданы в разное время",
            "created far apart in time",
        ),
        (
            "name_only_guard",
            -4.0,
            IVAN,
            IVAN2,
            "их связывает только имя, а его носят многие: этого мало, чтобы объединить",
            "only the name links them, and many people bear it: not enough to merge",
        ),
        (
            "x_birth_date",
            2.0,
            {"x_birth_date": "1990"},
            {"x_birth_date": "1990"},
            "birth_date: совпадает",
            "birth_date: agrees",
        ),
    ],
)
def test_reasons_in_words(field, weight, left, right, ru, en):
    assert reason(field, weight, left, right, "ru").text == ru
    assert reason(field, weight, left, right, "en").text == en


def test_strength_and_direction():
    strong = reason("phones", 7.6, {}, {}, "ru")
    assert (strong.strength, strong.supports, strong.bar) == ("сильный довод за", True, 91)
    weak = reason("city", -0.3, {"city": "a"}, {"city": "b"}, "ru")
    assert (weak.strength, weak.supports, weak.bar) == ("слабый довод против", False, 4)


def test_repeated_sentences_are_said_once():
    got = reasons([("phones", 5.0), ("handles", 3.0), ("phones", 1.0)], {}, {}, "ru")
    assert [r.text for r in got] == ["тот же телефон", "тот же аккаунт в соцсети"]


@pytest.mark.parametrize(
    ("score", "ru"),
    [
        (0.97, "модель уверена: один человек"),
        (0.6, "модель склоняется: один человек"),
        (0.45, "модель не уверена"),
        (0.06, "модель считает: разные люди"),
    ],
)
def test_verdicts(score, ru):
    assert verdict(score, 0.5, "ru") == ru


@pytest.mark.parametrize(
    ("value", "tz", "shown"),
    [
        (datetime(2026, 12, 6, 21, 30, tzinfo=UTC), "Europe/Moscow", "07.12.2026 00:30"),
        (datetime(2026, 12, 6, 21, 30), "Europe/Moscow", "07.12.2026 00:30"),  # naive is UTC
        ("2026-12-06T21:30:00+00:00", "Asia/Vladivostok", "07.12.2026 07:30"),
        (None, "Europe/Moscow", "—"),
    ],
)
def test_times_in_the_operators_zone(value, tz, shown):
    assert local_time(value, tz) == shown


def test_both_languages_say_everything():
    assert set(MESSAGES["ru"]) == set(MESSAGES["en"])


def _kept(rule: str, why: str | None, bearers: int, shared: int | None) -> dict:
    return {"rule": rule, "why": why, "bearers": bearers, "shared": shared}


@pytest.mark.parametrize(
    ("row", "same", "ru", "en"),
    [
        (
            _kept("household", "given_names", 3, 1),
            False,
            "Не объединены автоматически: их связывает только телефон, которым пользуются 3 "
            "человека; имена разные: общий телефон семьи сам по себе не делает людей одним "
            "человеком.",
            "Not merged automatically: they share only a phone line that 3 people use; their "
            "first names differ: a family's shared line alone does not make them one person.",
        ),
        (
            _kept("household", "unnamed", 2, 2),
            False,
            "Не объединены автоматически: их связывают только телефоны (2), каждым из которых "
            "пользуются 2 человека и больше; у одного из контактов нет имени, и не видно, кто "
            "из пользующихся телефоном это.",
            "Not merged automatically: they share only phone lines (2), each used by 2 people "
            "or more; one contact has no name, and nothing tells which of the line's users it "
            "is.",
        ),
        (
            _kept("namesake_mailbox", None, 25, None),
            True,
            "Связь этой пары не учтена: одинаковое имя почтового ящика у разных почтовых "
            "сервисов, а имя частое (его носят 25 контактов): так совпадают адреса тёзок. "
            "В один профиль их свели другие контакты или решение.",
            "This pair's own link was set aside: the same mailbox name at two different mail "
            "services, and the name is common (25 contacts bear it): namesakes' addresses look "
            "alike. Other contacts or a decision put them in one profile.",
        ),
    ],
)
def test_a_pair_a_rule_kept_apart_in_words(row, same, ru, en):
    assert kept_apart(row, same, "ru") == ru
    assert kept_apart(row, same, "en") == en


def test_both_languages_tell_the_rules():
    assert set(APART_WORDS["ru"]) == set(APART_WORDS["en"])


@pytest.mark.parametrize(
    ("n", "ru", "en"),
    [
        (0, "0 контактов", "0 contacts"),
        (1, "1 контакт", "1 contact"),
        (2, "2 контакта", "2 contacts"),
        (4, "4 контакта", "4 contacts"),
        (5, "5 контактов", "5 contacts"),
        (11, "11 контактов", "11 contacts"),
        (12, "12 контактов", "12 contacts"),
        (14, "14 контактов", "14 contacts"),
        (21, "21 контакт", "21 contacts"),
        (22, "22 контакта", "22 contacts"),
        (25, "25 контактов", "25 contacts"),
        (101, "101 контакт", "101 contacts"),
        (111, "111 контактов", "111 contacts"),
        (1684, "1684 контакта", "1684 contacts"),
    ],
)
def test_a_number_takes_the_noun_form_its_language_wants(n, ru, en):
    assert translator("ru")("n_contacts", n=n) == ru
    assert translator("en")("n_contacts", n=n) == en


def test_every_noun_has_a_form_for_every_plural_class():
    assert counted("ru", 1).keys() == counted("en", 1).keys()
    for lang, classes in (("ru", {0, 1, 2}), ("en", {0, 1})):
        assert {plural_form(n, lang) for n in range(200)} == classes
        assert all(all(counted(lang, n).values()) for n in range(200))


def test_people_and_profiles_in_russian():
    assert counted("ru", 2)["people"] == "человека"
    assert counted("ru", 5)["people"] == "человек"
    assert translator("ru")("in_profiles", n=2) == "в 2 профилях"
    assert translator("ru")("in_profiles", n=21) == "в 21 профиле"
    assert translator("ru")("n_profiles", n=1685) == "1685 профилей"
    assert (
        translator("ru")("namesake_line", n=4, name="Иван Иванов")
        == "4 контакта с именем Иван Иванов"
    )
