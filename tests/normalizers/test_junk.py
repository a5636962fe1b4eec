"""Every normalizer takes any junk and answers None (or a flagged value), never an exception."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from normalizers import (
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
    text_flags,
)


class _HostileStr:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")


JUNK: list[Any] = [
    None,
    float("nan"),
    float("inf"),
    -float("inf"),
    12345,
    0,
    -1,
    3.14,
    1e300,
    True,
    [],
    {},
    ("a", "b"),
    object(),
    _HostileStr(),
    b"\xd0\x98\xd0\xb2",
    b"\xff\xfe\x00",
    bytearray(b"x"),
    "",
    " ",
    "\t\n\r",
    "\x00\x01\x02",
    "\u200b\u202e\ufeff",
    "\ud800",
    "a\ud800@mail.ru",
    "🙂",
    "🙂" * 50,
    "👨‍👩‍👧",
    "x" * 1_000_000,
    "И " * 600,
    "8" * 100,
    "+" + "7" * 40,
    '=HYPERLINK("http://evil.example","click")',
    "=1+1",
    "+SUM(A1)",
    "@SUM(A1)",
    "-2+3",
    "b'\\xd0\\x98\\xd0\\xb2'",
    "\\x00\\xff",
    "Ð˜Ð²Ð°Ð½",
    "РџСЂРёРІРµС‚",
    "Èâàí",
    "Р�РІР°РЅ",
    "NULL",
    "None",
    "N/A",
    "NaN",
    "нет",
    "-",
    "—",
    "?",
    "1e400",
    "7.91612E+10",
    "@",
    "@@@",
    "@" * 100,
    "://",
    "http://",
    "https://",
    "tg://",
    "tg:",
    "whatsapp://",
    "%",
    "%zz",
    "https://vk.com/%",
    "https://vk.com/id" + "9" * 100,
    "t.me/+",
    "wa.me/",
    "https://[::1]/x",
    "http://vk.com:99999/id1",
    "mailto:",
    "<>",
    "()",
    "[",
    "]]",
    ".",
    "..",
    "ivan@" + "a" * 300 + ".ru",
    "a" * 70 + "@gmail.com",
    "доб. 123",
    "ext 5",
    "ㅤ",
    "\u0301",
    "Ivan" * 300,
    "ivan@mail.ru" * 50,
    "vk.com/" * 50,
    "SELECT * FROM contacts; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "\u0000ivan\u0000@mail.ru",
]

NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "clean_text": clean_text,
    "text_flags": text_flags,
    "fix_mojibake": fix_mojibake,
    "normalize_phone": normalize_phone,
    "normalize_phones": normalize_phones,
    "phone_flags": phone_flags,
    "normalize_phone_kz": lambda raw: normalize_phone(raw, default_region="KZ"),
    "normalize_phone_bad_region": lambda raw: normalize_phone(raw, default_region="ZZ"),
    "normalize_email": normalize_email,
    "normalize_email_provider": lambda raw: normalize_email(raw, provider_rules=True),
    "normalize_name": normalize_name,
    "name_skeleton": name_skeleton,
    "name_from_identifier": name_from_identifier,
    "normalize_handle": normalize_handle,
    "normalize_handle_tg": lambda raw: normalize_handle(raw, platform_hint="telegram"),
    "normalize_handle_wa": lambda raw: normalize_handle(raw, platform_hint="whatsapp"),
    "normalize_handle_vk": lambda raw: normalize_handle(raw, platform_hint="vk"),
    "normalize_handle_odd_hint": lambda raw: normalize_handle(raw, platform_hint=42),  # type: ignore[arg-type]
    "normalize_city": normalize_city,
}


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
def test_never_raises_on_junk(name: str) -> None:
    normalize = NORMALIZERS[name]
    for raw in JUNK:
        try:
            normalize(raw)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{name}({raw!r:.60}) raised {type(exc).__name__}: {exc}")


@pytest.mark.parametrize(
    "name",
    ["normalize_phone", "normalize_email", "normalize_name", "normalize_handle", "clean_text"],
)
@pytest.mark.parametrize(
    "raw",
    [None, float("nan"), "", " ", "x" * 1_000_000, "NULL", "нет", "\u200b"],
)
def test_empty_and_huge_give_none(name: str, raw: Any) -> None:
    assert NORMALIZERS[name](raw) is None
