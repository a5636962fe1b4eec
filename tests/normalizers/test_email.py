"""normalize_email: (input, expected) tables."""

from __future__ import annotations

import pytest

from normalizers.email import EmailKey, normalize_email


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("ivan@mail.ru", "ivan@mail.ru"),
        ("Ivan@Mail.RU", "ivan@mail.ru"),
        ("  ivan@mail.ru  ", "ivan@mail.ru"),
        ("IVAN.PETROV@YANDEX.RU", "ivan.petrov@yandex.ru"),
        ("Иван <ivan@mail.ru>", "ivan@mail.ru"),  # display name stripped
        ('"Петров, Иван" <ivan@mail.ru>', "ivan@mail.ru"),
        ("mailto:ivan@mail.ru", "ivan@mail.ru"),
        ("MAILTO:Ivan@Mail.ru?subject=Заказ", "ivan@mail.ru"),
        ("<ivan@mail.ru>", "ivan@mail.ru"),
        ("ivan@mail.ru.", "ivan@mail.ru"),  # trailing full stop
        ("ivan @ mail.ru", "ivan@mail.ru"),
        ("e-mail: ivan@mail.ru", "ivan@mail.ru"),
        ("ivan＠mail.ru", "ivan@mail.ru"),  # full-width @ (NFKC)
        ("\u200bivan@mail.ru\u200e", "ivan@mail.ru"),
        ("Ivan.Petrov+shop@gmail.com", "ivanpetrov@gmail.com"),  # gmail: dots and +tag
        ("i.v.a.n@googlemail.com", "ivan@gmail.com"),  # googlemail → gmail
        ("ivan+shop@mail.ru", "ivan+shop@mail.ru"),  # +tag kept elsewhere
        ("ivan.petrov@mail.ru", "ivan.petrov@mail.ru"),  # dots kept elsewhere
        ("ivan@bk.ru", "ivan@bk.ru"),  # mail.ru family not merged
        ("ivan@inbox.ru", "ivan@inbox.ru"),
        ("ivan@list.ru", "ivan@list.ru"),
        ("ivan-petrov@ya.ru", "ivan-petrov@ya.ru"),  # Yandex rules are opt-in
        ("иван@почта.рф", "иван@почта.рф"),
        ("иван@xn--80a1acny.xn--p1ai", "иван@почта.рф"),  # punycode → Unicode
        ("ivаn@mail.ru", "ivan@mail.ru"),  # Cyrillic а made Latin
        ("ivan@yandeх.ru", "ivan@yandex.ru"),  # Cyrillic х in the domain
        ("ivan@gmial.com", "ivan@gmial.com"),  # typo: key as typed
        ("a" * 64 + "@mail.ru", "a" * 64 + "@mail.ru"),
        ("a" * 65 + "@mail.ru", None),  # over-long local part
        ("ivan@" + "a" * 250 + ".ru", None),
        ("ivan", None),
        ("ivan@", None),
        ("@mail.ru", None),
        ("ivan@mail", None),
        ("ivan@localhost", None),
        ("ivan..petrov@mail.ru", None),
        ("ivan@ma_il.ru", None),
        ("нет", None),
        ("-", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        (12345, None),
    ],
)
def test_key(raw: object, key: str | None) -> None:
    result = normalize_email(raw)
    assert (result.key if result else None) == key


@pytest.mark.parametrize(
    ("raw", "normalized", "local", "domain"),
    [
        ("Ivan@Mail.RU", "Ivan@mail.ru", "ivan", "mail.ru"),
        ("Ivan.Petrov+shop@GMail.com", "Ivan.Petrov+shop@gmail.com", "ivanpetrov", "gmail.com"),
        ("иван@xn--80a1acny.xn--p1ai", "иван@почта.рф", "иван", "почта.рф"),
        ("ИВАН@ПОЧТА.РФ", "ИВАН@почта.рф", "иван", "почта.рф"),
        ("Иван <Ivan@Mail.ru>", "Ivan@mail.ru", "ivan", "mail.ru"),
    ],
)
def test_normalized_forms(raw: str, normalized: str, local: str, domain: str) -> None:
    result = normalize_email(raw)
    assert result is not None
    assert (result.normalized, result.local, result.domain) == (normalized, local, domain)


def test_idn_and_punycode_are_equal() -> None:
    assert normalize_email("иван@почта.рф") == normalize_email("иван@xn--80a1acny.xn--p1ai")


@pytest.mark.parametrize(
    ("raw", "generic", "flags"),
    [
        ("ivan.petrov@mail.ru", False, set()),
        ("test@test.ru", True, {"placeholder"}),
        ("test@mail.ru", True, {"placeholder"}),
        ("no@mail.ru", True, {"placeholder"}),
        ("net@mail.ru", True, {"placeholder"}),
        ("noemail@gmail.com", True, {"placeholder"}),
        ("user@example.com", True, {"placeholder"}),
        ("ivan@example.org", True, {"placeholder"}),
        ("asd@asd.ru", True, {"placeholder"}),
        ("aaaa@mail.ru", True, {"placeholder"}),
        ("123@mail.ru", True, {"placeholder"}),
        ("qwerty@mail.ru", True, {"placeholder"}),
        ("x@mail.ru", True, {"placeholder"}),
        ("info@romashka.ru", True, {"role"}),
        ("office@romashka.ru", True, {"role"}),
        ("support@romashka.ru", True, {"role"}),
        ("admin@romashka.ru", True, {"role"}),
        ("sales@romashka.ru", True, {"role"}),
        ("hr@romashka.ru", True, {"role"}),
        ("mail@romashka.ru", True, {"role"}),
        ("zakaz@romashka.ru", True, {"role"}),
        ("noreply@romashka.ru", True, {"role"}),
        ("no-reply@romashka.ru", True, {"role"}),
        ("info+promo@romashka.ru", True, {"role"}),
        ("Иван <ivan@mail.ru>", False, {"stripped"}),
        ("mailto:ivan@mail.ru", False, {"stripped"}),
        ("ivаn@mail.ru", False, {"homoglyph"}),
        ("ivan@yandeх.ru", False, {"homoglyph", "typo_domain"}),
        ("ivan@gmial.com", False, {"typo_domain"}),
        ("ivan@mail.ry", False, {"typo_domain"}),
        ("ivan@bk.ri", False, {"typo_domain"}),
        ("ivan@list.tu", False, {"typo_domain"}),
        ("ivan@mail.ru", False, set()),
    ],
)
def test_generic_and_flags(raw: str, generic: bool, flags: set[str]) -> None:
    result = normalize_email(raw)
    assert result is not None
    assert result.generic is generic
    assert result.flags == frozenset(flags)


@pytest.mark.parametrize(
    ("raw", "typo_key"),
    [
        ("ivan@gmial.com", "ivan@gmail.com"),
        ("Ivan.Petrov@gmial.com", "ivanpetrov@gmail.com"),  # gmail rules on the correction
        ("ivan@gmail.con", "ivan@gmail.com"),
        ("ivan@mail.ry", "ivan@mail.ru"),
        ("ivan@mail.ri", "ivan@mail.ru"),
        ("ivan@mail.tu", "ivan@mail.ru"),
        ("ivan@mial.ru", "ivan@mail.ru"),
        ("ivan@yandx.ru", "ivan@yandex.ru"),
        ("ivan@yandeks.ru", "ivan@yandex.ru"),
        ("ivan@yandeх.ru", "ivan@yandex.ru"),  # Cyrillic х
        ("ivan@rambler.ry", "ivan@rambler.ru"),
        ("ivan@ramblr.ru", "ivan@rambler.ru"),
        ("ivan@icoud.com", "ivan@icloud.com"),
        ("ivan@outlok.com", "ivan@outlook.com"),
        ("ivan@hotmial.com", "ivan@hotmail.com"),
        ("ivan@yaho.com", "ivan@yahoo.com"),
        ("ivan@inbox.ry", "ivan@inbox.ru"),
        ("ivan@gmaik.com", "ivan@gmail.com"),  # one edit from gmail.com
        ("ivan@romashka.ry", "ivan@romashka.ru"),  # any .ry is a .ru typo
        ("ivan@gmail.com", None),
        ("ivan@mail.ru", None),
        ("ivan@bk.ru", None),
        ("ivan@ya.ru", None),
        ("ivan@romashka.ru", None),
        ("ivan@mail.com", None),  # a real provider, not a typo
    ],
)
def test_typo_key(raw: str, typo_key: str | None) -> None:
    result = normalize_email(raw)
    assert result is not None
    assert result.typo_key == typo_key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("ivan-petrov@ya.ru", "ivan.petrov@yandex.ru"),
        ("ivan.petrov@yandex.com", "ivan.petrov@yandex.ru"),
        ("ivan.petrov@yandex.by", "ivan.petrov@yandex.ru"),
        ("ivan.petrov@yandex.kz", "ivan.petrov@yandex.ru"),
        ("ivan.petrov@yandex.ua", "ivan.petrov@yandex.ru"),
        ("ivan-petrov@mail.ru", "ivan-petrov@mail.ru"),  # only Yandex
        ("i.van@gmail.com", "ivan@gmail.com"),
    ],
)
def test_provider_rules_opt_in(raw: str, key: str) -> None:
    result = normalize_email(raw, provider_rules=True)
    assert result is not None and result.key == key
    plain = normalize_email(raw)
    assert plain is not None
    if "yandex" in key and plain.domain != "yandex.ru":
        assert plain.key != key


def test_email_key_is_frozen() -> None:
    result = normalize_email("ivan@mail.ru")
    assert isinstance(result, EmailKey)
    with pytest.raises(AttributeError):
        result.key = "x"  # type: ignore[misc]


def test_known_provider_fast_path_agrees_with_email_validator() -> None:
    import random

    from normalizers.email import _KNOWN_DOMAINS, _validate, _validate_general

    rng = random.Random(3)
    alphabet = "abcXYZ019._+-"
    locals_ = [
        "ivan",
        "Ivan.Petrov",
        "a",
        "ivan+tag",
        "-ivan",
        "ivan-",
        "_",
        "+",
        "a" * 64,
        "a" * 65,
        "i..van",
        ".ivan",
        "ivan.",
        "иван",
        "ivan petrov",
        'iv"an',
    ]
    locals_ += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(400)
    ]
    for domain in sorted(_KNOWN_DOMAINS):
        for local in locals_:
            for shown_domain in (domain, domain.upper()):
                address = f"{local}@{shown_domain}"
                assert _validate(address) == _validate_general(address), address
