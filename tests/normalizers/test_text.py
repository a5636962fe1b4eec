"""clean_text, text_flags, fix_mojibake: (input, expected) tables."""

from __future__ import annotations

import pytest

from normalizers.text import clean_text, fix_mojibake, is_mixed_script, text_flags, to_cyrillic

IVAN_PETROV = "Иван Петров"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Иван", "Иван"),
        ("  Иван   Петров  ", IVAN_PETROV),
        ("Иван\u00a0Петров", IVAN_PETROV),  # NBSP
        ("Иван\u2009Петров", IVAN_PETROV),  # thin space
        ("Иван\u3000Петров", IVAN_PETROV),  # ideographic space
        ("Иван\tПетров\n", IVAN_PETROV),
        ("\u200bИван\u200d Петров\ufeff", IVAN_PETROV),  # zero-width, BOM
        ("\u202eИван\u202c Петров", IVAN_PETROV),  # BiDi override
        ("\u2066Иван\u2069 Петров", IVAN_PETROV),  # BiDi isolates
        ("Иван\x00 Петров\x07", IVAN_PETROV),  # control characters
        ("И\u0306ван", "Йван"),  # NFD й → NFC
        ("Й", "Й"),
        ("８９１６", "8916"),  # full-width digits
        ("ＩＶＡＮ", "IVAN"),
        ("Ð˜Ð²Ð°Ð½", "Иван"),  # UTF-8 read as cp1252
        ("Èâàí Ïåòðîâ", IVAN_PETROV),  # cp1251 read as latin-1
        ("", None),
        ("   ", None),
        ("\u200b", None),
        ("null", None),
        ("NULL", None),
        ("None", None),
        ("N/A", None),
        ("n/a", None),
        ("NaN", None),
        ("na", None),
        ("-", None),
        ("—", None),
        ("--", None),
        ("?", None),
        ("...", None),
        ("нет", None),
        ("Нет", None),
        ("не указан", None),
        ("Не указано", None),
        ("н/д", None),
        (None, None),
        (float("nan"), None),
        (12345, "12345"),
        (3.5, "3.5"),
        (b"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "Иван"),  # bytes are decoded
        ("x" * 1000, "x" * 1000),
        ("x" * 1001, None),  # over the cap
        ("x" * 1_000_000, None),
        ("🙂", "🙂"),
        ('=HYPERLINK("http://x","y")', '=HYPERLINK("http://x","y")'),
        ("café", "café"),
        ("Müller", "Müller"),
    ],
)
def test_clean_text(raw: object, expected: str | None) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Иван", set()),
        ("\u200bИван", {"zero_width"}),
        ("\u202eИван", {"bidi"}),
        ("Иван\u00a0Петров", {"unicode_space", "nfkc"}),
        ("Ð˜Ð²Ð°Ð½", {"mojibake"}),
        ("x" * 1001, {"too_long"}),
        ("x" * 1_000_000, {"too_long"}),
        ("null", {"null"}),
        (None, {"null"}),
        ("Иван 🙂", {"emoji"}),
        ('=HYPERLINK("http://x")', {"formula"}),
        ("=1+1", {"formula"}),
        ("+SUM(A1)", {"formula"}),
        ("+7 916 342-78-15", set()),  # a phone is not a formula
        ("８９", {"nfkc"}),
        ("a\x00b", {"control"}),
    ],
)
def test_text_flags(raw: object, expected: set[str]) -> None:
    assert expected <= text_flags(raw)
    if not expected:
        assert text_flags(raw) == frozenset()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ð˜Ð²Ð°Ð½", "Иван"),
        ("Ð˜Ð²Ð°Ð½ ÐŸÐµÑ‚Ñ€Ð¾Ð²", IVAN_PETROV),
        ("Ð\x98Ð²Ð°Ð½", "Иван"),  # latin-1 variant keeps a C1 control
        ("РџСЂРёРІРµС‚", "Привет"),  # UTF-8 read as cp1251
        ("Èâàí", "Иван"),  # cp1251 read as cp1252
        ("Ìîñêâà", "Москва"),
        ("Иван", "Иван"),  # already fine
        ("Ivan", "Ivan"),
        ("café", "café"),  # real accents stay
        ("Müller", "Müller"),
        ("Renée Zellweger", "Renée Zellweger"),
        ("Ångström", "Ångström"),
        ("", ""),
    ],
)
def test_fix_mojibake(raw: str, expected: str) -> None:
    assert fix_mojibake(raw) == expected


@pytest.mark.parametrize(
    ("word", "mixed", "cyrillic"),
    [
        ("Иванoв", True, "Иванов"),
        ("Иванов", False, "Иванов"),
        ("Ivanov", False, None),
        ("Cepгей", True, "Сергей"),
    ],
)
def test_homoglyph_helpers(word: str, mixed: bool, cyrillic: str | None) -> None:
    assert is_mixed_script(word) is mixed
    assert to_cyrillic(word) == cyrillic


def test_plain_ascii_shortcut_gives_the_general_answer() -> None:
    import random

    from normalizers.text import _clean_uncached

    rng = random.Random(7)
    alphabet = "ab Z09 .,-=+@()_'\\\"  "
    samples = [
        "",
        " ",
        "  N/A ",
        "-",
        "=SUM(A1)",
        "+cmd(1)",
        "ivan  petrov ",
        "---",
        "...",
        "a" * 1001,
    ]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15))) for _ in range(3000)
    ]
    for s in samples:
        assert s.isascii() and s.isprintable()
        # A zero-width space sends the same text down the general path.
        general = _clean_uncached(s + "\u200b")
        assert _clean_uncached(s) == (general[0], general[1] - {"zero_width", "nfkc"}), repr(s)
