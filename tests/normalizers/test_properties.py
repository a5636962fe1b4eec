"""Property-based tests: every normalizer takes any cell (any text, number, None or other
object) and gives its documented type, never an exception (DESIGN.md: junk in → None or a
flagged value)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.properties  # noqa: F401  (the shared hypothesis profile)
from normalizers import (
    EmailKey,
    HandleKey,
    NameKey,
    PhoneKey,
    clean_text,
    fix_mojibake,
    name_from_identifier,
    name_skeleton,
    normalize_city,
    normalize_email,
    normalize_handle,
    normalize_name,
    normalize_phone,
    normalize_phones,
    phone_flags,
    platform_of,
    text_flags,
)

# Text that looks like what the normalizers meet, and anything at all.
PIECES = st.sampled_from(
    [
        "8",
        "+7",
        "916",
        "123-45-67",
        "доб.",
        "@",
        "mail.ru",
        "gmail.com",
        ".",
        "+",
        "vk.com/",
        "id",
        "t.me/",
        "https://",
        "Иван",
        "Петров",
        "ович",
        "ё",
        "й",
        "\u200b",
        "\u202e",
        " ",
        "\u00a0",
        ";",
        ",",
        "E+10",
        "7.91612",
        "xn--",
        "почта.рф",
        "Ð˜",
        "😀",
        "\x00",
        "\r\n",
        "８",
        "=",
        "instagram.com/",
        "wa.me/",
        "?id=",
        "%D0%98",
        "0" * 12,
    ]
)
TEXT = st.one_of(st.text(), st.lists(PIECES, max_size=12).map("".join))
CELL = st.one_of(
    st.none(),
    TEXT,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.binary(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
)


def _optional(kind: type) -> Callable[[Any], bool]:
    return lambda v: v is None or isinstance(v, kind)


# normalizer, what its answer must be
CASES: list[tuple[str, Callable[[Any], Any], Callable[[Any], bool]]] = [
    ("normalize_phone", normalize_phone, _optional(PhoneKey)),
    (
        "normalize_phones",
        normalize_phones,
        lambda v: isinstance(v, list) and all(isinstance(p, PhoneKey) for p in v),
    ),
    ("phone_flags", phone_flags, lambda v: isinstance(v, frozenset)),
    ("normalize_email", normalize_email, _optional(EmailKey)),
    ("normalize_handle", normalize_handle, _optional(HandleKey)),
    ("normalize_name", normalize_name, _optional(NameKey)),
    ("normalize_city", normalize_city, _optional(str)),
    ("clean_text", clean_text, _optional(str)),
    ("text_flags", text_flags, lambda v: isinstance(v, frozenset)),
]


@pytest.mark.parametrize(("name", "normalizer", "valid"), CASES, ids=[c[0] for c in CASES])
@given(cell=CELL)
def test_any_cell_gives_the_documented_type(name, normalizer, valid, cell) -> None:
    assert valid(normalizer(cell)), name


# Cells the property tests once found raising (kept so they are tried on every run).
FOUND = [".A[", "http://[x", b".A[", "vk.com/[", "t.me/]"]


@pytest.mark.parametrize(("name", "normalizer", "valid"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("cell", FOUND)
def test_cells_found_by_the_property_tests(name, normalizer, valid, cell) -> None:
    assert valid(normalizer(cell)), name


@given(text=TEXT)
def test_text_only_normalizers_take_any_text(text: str) -> None:
    assert isinstance(fix_mojibake(text), str)
    assert isinstance(name_skeleton(text), str)
    assert _optional(NameKey)(name_from_identifier(text))
    assert _optional(str)(platform_of(text))
    assert _optional(HandleKey)(normalize_handle(text, platform_hint="vk"))
    assert _optional(EmailKey)(normalize_email(text, provider_rules=True))


@given(text=TEXT)
def test_a_phone_is_valid_e164_and_flags_agree(text: str) -> None:
    phones = normalize_phones(text)
    flags = phone_flags(text)
    for p in phones:
        assert p.e164.startswith("+") and p.e164[1:].isdigit()
    assert normalize_phone(text) == (phones[0] if phones else None)
    if "excel_scientific" in flags:
        assert phones == []  # an Excel-mangled number is never guessed


@given(mantissa=st.integers(1, 9_999_999), exponent=st.integers(9, 14))
def test_excel_scientific_never_becomes_a_number(mantissa: int, exponent: int) -> None:
    digits = str(mantissa).rstrip("0") or "0"
    text = f"{digits[0]}.{digits[1:] or '0'}E+{exponent}"
    assert normalize_phones(text) == []
    assert "excel_scientific" in phone_flags(text)


@given(text=TEXT)
def test_normalizing_twice_changes_nothing(text: str) -> None:
    once = clean_text(text)
    assert once is None or clean_text(once) == once
