"""normalize_phone / normalize_phones / phone_flags: (input, expected) tables."""

from __future__ import annotations

import pytest

from normalizers.phone import PhoneKey, normalize_phone, normalize_phones, phone_flags

MOBILE = "+79163427815"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 916 342-78-15", MOBILE),
        ("89163427815", MOBILE),
        ("79163427815", MOBILE),
        ("7 916 342 78 15", MOBILE),
        ("9163427815", MOBILE),
        ("+7(916)342-78-15", MOBILE),
        ("+7 (916) 342-78-15", MOBILE),
        ("8-916-342-78-15", MOBILE),
        ("8.916.342.78.15", MOBILE),
        ("８９１６３４２７８１５", MOBILE),  # full-width digits
        ("\u200b+7 916 342 78 15\u200e", MOBILE),  # invisible characters
        (79163427815, MOBILE),  # an int cell
        (79163427815.0, MOBILE),  # a float cell with every digit
        ("тел.: 8 916 342-78-15", MOBILE),  # free text
        ("звонить после 18: +7 916 342 78 15, Иван", MOBILE),
        ("8 916 342-78-15 доб. 123", MOBILE),  # extension split off
        ("+7 495 342-78-15 ext. 55", "+74953427815"),
        ("8 (495) 342-78-15", "+74953427815"),  # Moscow fixed line
        ("8 800 555-35-35", "+78005553535"),  # toll-free still parses
        ("+7 701 342 7815", "+77013427815"),  # Kazakhstan
        ("87013427815", "+77013427815"),
        ("810 49 30 3427815", "+49303427815"),  # 810: Russian international prefix
        ("00 49 30 3427815", "+49303427815"),  # 00 rewritten to +
        ("+380 67 342 7815", "+380673427815"),
        ("+375 29 342 78 15", "+375293427815"),
        ("+799912345678", None),  # too long: never truncated
        ("8 916 342 78 155", None),
        ("+7 916 342 78 1", None),  # too short
        ("7.91612E+10", None),  # Excel scientific: quarantine
        ("7,91612E+10", None),
        (7.91612e10, None),  # the float Excel left behind
        ("342-78-15", None),  # local only
        ("0000000000", None),
        ("нет", None),
        ("-", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        ("Иван", None),
        ("доб. 123", None),
    ],
)
def test_normalize_phone_e164(raw: object, expected: str | None) -> None:
    key = normalize_phone(raw)
    assert (key.e164 if key else None) == expected


@pytest.mark.parametrize(
    ("raw", "kind", "region", "extension", "generic"),
    [
        ("8 916 342-78-15", "mobile", "RU", None, False),
        ("8 (495) 342-78-15", "fixed", "RU", None, False),
        ("8 800 555-35-35", "toll_free", "RU", None, True),
        ("+7 701 342 7815", "mobile", "KZ", None, False),
        ("8 916 342-78-15 доб. 123", "mobile", "RU", "123", False),
        ("89999999999", "mobile", "RU", None, True),  # repeated digits
        ("+7 916 000-00-00", "mobile", "RU", None, True),  # placeholder subscriber number
        ("+7 916 123-45-67", "mobile", "RU", None, True),  # 1234567 sequence
        ("+7 999 765-43-21", "mobile", "RU", None, True),  # descending sequence
        ("+1 212 555 0134", "mobile", "US", None, False),  # NANP: fixed-or-mobile
    ],
)
def test_phone_key_fields(
    raw: str, kind: str, region: str, extension: str | None, generic: bool
) -> None:
    key = normalize_phone(raw)
    assert key is not None
    assert (key.kind, key.region, key.extension, key.generic) == (kind, region, extension, generic)
    assert key.e164 == normalize_phone(raw.split(" доб")[0]).e164  # extension not in e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8916 342 78 15; 8926 765 43 28", [MOBILE, "+79267654328"]),
        ("+7 916 342-78-15, +7 926 765-43-28", [MOBILE, "+79267654328"]),
        ("89163427815 / 89267654328", [MOBILE, "+79267654328"]),
        ("89163427815 89267654328", [MOBILE, "+79267654328"]),
        ("89163427815 или 89267654328", [MOBILE, "+79267654328"]),
        ("89163427815\n89267654328", [MOBILE, "+79267654328"]),
        ("89163427815; +7 916 342-78-15", [MOBILE]),  # deduplicated
        ("89267654328; 89163427815", ["+79267654328", MOBILE]),  # order kept
        ("89163427815; нет", [MOBILE]),
        ("89163427815; +799912345678", [MOBILE]),
        ("", []),
        ("нет", []),
        ("7.91612E+10", []),
    ],
)
def test_normalize_phones(raw: str, expected: list[str]) -> None:
    assert [k.e164 for k in normalize_phones(raw)] == expected


@pytest.mark.parametrize(
    ("raw", "present", "absent"),
    [
        ("7.91612E+10", {"excel_scientific"}, set()),
        (7.91612e10, {"excel_scientific"}, set()),
        ("+799912345678", {"invalid", "too_long"}, set()),
        ("342-78-15", {"local_only", "invalid"}, set()),
        ("8916 342 78 15; 8926 765 43 28", {"multiple"}, {"invalid"}),
        ("8 916 342-78-15 доб. 123", {"extension"}, set()),
        ("8 800 555-35-35", {"generic", "toll_free"}, set()),
        ("0000000000", {"generic", "invalid"}, set()),
        ("89999999999", {"generic"}, set()),
        ("+7 701 342 7815", {"foreign"}, set()),
        ("тел. 8 916 342-78-15", {"from_text"}, set()),
        ("8 916 342-78-15", set(), {"invalid", "generic", "multiple", "extension"}),
        ("нет", set(), {"invalid"}),
        ("Иван", set(), {"invalid"}),
    ],
)
def test_phone_flags(raw: object, present: set[str], absent: set[str]) -> None:
    flags = phone_flags(raw)
    assert present <= flags
    assert not absent & flags


def test_default_region() -> None:
    assert normalize_phone("8 701 342 7815", default_region="KZ").e164 == "+77013427815"
    assert normalize_phone("030 3427815", default_region="DE").e164 == "+49303427815"
    assert normalize_phone("9163427815", default_region="ru").e164 == MOBILE


def test_phone_key_is_frozen_and_hashable() -> None:
    key = normalize_phone(MOBILE)
    assert isinstance(key, PhoneKey)
    assert hash(key) == hash(normalize_phone("8 916 342 78 15"))
    with pytest.raises(AttributeError):
        key.e164 = "+7"  # type: ignore[misc]


# --- the fast path for plain Russian mobile numbers ---------------------------------------------
def _formats(national: str) -> list[str]:
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    return [
        f"+7{national}",
        f"8{national}",
        f"7{national}",
        national,
        f"+7 {a} {b}-{c}-{d}",
        f"8 ({a}) {b}-{c}-{d}",
        f"8-{a}-{b}-{c}-{d}",
        f"7 ({a}) {b} {c} {d}",
        f"({a}) {b}{c}{d}",
        f"+7({a}){b}{c}{d}",
        f"  8 {a} {b} {c} {d}  ",
        f"+8{national}",
        f"+{national}",
        f"{a}-{b}-{c}{d}",
        f"8{national}0",
        f"8{national[:-1]}",
        f"+7 {a}  {b}--{c}{d}",
        f"(8{a}){b}{c}{d}",
        f"8 ({a} {b} {c} {d}",
        f"-8{national}",
        f"7{national}-",
    ]


def _nationals() -> list[str]:
    import random

    rng = random.Random(5)
    out = [
        f"{p}{t}"
        for p in range(900, 1000)
        for t in ("0000000", "1234567", "9876543", "5555555", "0123456", "1111112")
    ]
    out += ["9" + "".join(rng.choice("0123456789") for _ in range(9)) for _ in range(400)]
    out += ["9999999999", "9000000000", "9300050000", "9300310000", "9301234567"]
    return out


def test_ru_mobile_fast_path_agrees_with_phonenumbers() -> None:
    from normalizers.phone import _analyze_general, _ru_mobile

    answered = 0
    for national in _nationals():
        for text in _formats(national):
            fast = _ru_mobile(text)
            if fast is not None:
                answered += 1
                assert fast == _analyze_general(text, "RU"), text
    assert answered > 10_000  # the fast path does answer the common formats


def test_vectorized_ru_mobile_agrees_with_normalize_phones() -> None:
    import polars as pl

    from normalizers.phone import ru_mobiles

    texts = [t for n in _nationals() for t in _formats(n)]
    texts += [
        "8 916 482 15 37\n",
        "+7 916 482 15 37 доб. 5",
        "8 916 482 15 37; 8 926 111 22 33",
        "",
        " ",
        "+",
        "7",
        "٨٩١٦٤٨٢١٥٣٧",
        "８９１６４８２１５３７",
    ]
    got = ru_mobiles(pl.Series(texts))
    answered = 0
    for text, e164, generic in zip(texts, got["e164"], got["generic"], strict=True):
        if e164 is None:
            continue
        answered += 1
        keys = normalize_phones(text)
        assert [(k.e164, k.generic) for k in keys] == [(e164, generic)], text
    assert answered > 10_000
