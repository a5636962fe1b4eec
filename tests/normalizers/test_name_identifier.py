"""name_from_identifier: e-mail local parts and nicknames → (given, surname) or None."""

from __future__ import annotations

import pytest

from normalizers import name_from_identifier, normalize_name, surname_from_identifier
from normalizers.name import completed_key


@pytest.mark.parametrize(
    ("text", "given", "surname", "canonical", "gender"),
    [
        ("tatyana_moiseeva_98", "Tatyana", "Moiseeva", "Татьяна", "f"),
        ("lukyanov_roman_49", "Roman", "Lukyanov", "Роман", "m"),
        ("nadezhda_zhukovskaya_87", "Nadezhda", "Zhukovskaya", "Надежда", "f"),
        ("savelev.alexey", "Alexey", "Savelev", "Алексей", "m"),
        ("mikhail.vishnevskiy", "Mikhail", "Vishnevskiy", "Михаил", "m"),
        ("ekhasanova", "E", "Khasanova", None, "f"),  # initial + surname
        ("k-bykova", "K", "Bykova", None, "f"),
        ("a.ivanova", "A", "Ivanova", None, "f"),
        ("ivanova.a", "A", "Ivanova", None, "f"),
        ("ikulikov", "I", "Kulikov", None, "m"),
        ("vlasova1962", None, "Vlasova", None, "f"),  # a listed surname on its own
        ("petrov", None, "Petrov", None, "m"),
        ("alexandrova", None, "Alexandrova", None, "f"),  # not Alex + "androva"
        ("oksanadmitrieva", "Oksana", "Dmitrieva", "Оксана", "f"),  # glued given + surname
        ("ivan.petrov@mail.ru", "Ivan", "Petrov", "Иван", "m"),
        ("E.Smirnova@Yandex.ru", "E", "Smirnova", None, "f"),
        ("@anna_smirnova", "Anna", "Smirnova", "Анна", "f"),
        ("dmitry-sokolov", "Dmitry", "Sokolov", "Дмитрий", "m"),
        ("sokolov.dmitry", "Dmitry", "Sokolov", "Дмитрий", "m"),
        ("olga.kuznetsova85", "Olga", "Kuznetsova", "Ольга", "f"),
        ("yulia_shchukina", "Yulia", "Shchukina", "Юлия", "f"),
        ("iwan.iwanow", "Iwan", "Iwanow", "Иван", "m"),
        ("maria.ivanova.1990", "Maria", "Ivanova", "Мария", "f"),
        ("natasha_orlova", "Natasha", "Orlova", "Наталья", "f"),
        ("vanya.petrov2001", "Vanya", "Petrov", "Иван", "m"),
        ("sasha.ivanova", "Sasha", "Ivanova", "Александра", "f"),  # the surname picks the gender
        ("ivanov_ivan", "Ivan", "Ivanov", "Иван", "m"),
        ("ivan.ilyin", "Ivan", "Ilyin", "Иван", "m"),
        ("olga_fomina", "Olga", "Fomina", "Ольга", "f"),
        ("annakuznecova", "Anna", "Kuznecova", "Анна", "f"),  # scholarly c = ц
        ("kusnezowa_anna", "Anna", "Kusnezowa", "Анна", "f"),  # German
    ],
)
def test_names_read_from_identifiers(
    text: str, given: str | None, surname: str, canonical: str | None, gender: str
) -> None:
    result = name_from_identifier(text)
    assert result is not None
    assert (result.given, result.surname, result.given_canonical, result.gender) == (
        given,
        surname,
        canonical,
        gender,
    )
    assert "from_identifier" in result.flags


@pytest.mark.parametrize(
    "text",
    [
        "kisa.778",
        "hunter_621",
        "sweet_165",
        "mega_965",
        "belka_591",
        "snab",
        "buh",
        "info",
        "office",
        "admin",
        "sales_2020",
        "zaika_99",
        "kotik",
        "qwerty123",
        "hello.world",
        "user12345",
        "tatyana98",
        "ivan",
        "anna.maria",
        "john.smith",
        "mark.twain",
        "kevin.martin",
        "login",
        "martin",
        "robin.hood",
        "the_best_ivan",
        "a.b",
        "x",
        "",
        "@",
        "12345",
        "иван.петров",
        "a" * 70,
        None,
        42,
    ],
)
def test_no_strong_evidence_gives_none(text: object) -> None:
    assert name_from_identifier(text) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("identifier", "name"),
    [
        ("tatyana_moiseeva_98", "Татьяна Моисеева"),
        ("lukyanov_roman_49", "Роман Лукьянов"),
        ("mikhail.vishnevskiy", "Вишневский Михаил"),
        ("yulia_shchukina", "Юлия Щукина"),
        ("k-bykova", "Быкова К."),
        ("annakuznecova", "Анна Кузнецова"),
        ("kusnezowa_anna", "Анна Кузнецова"),
    ],
)
def test_same_key_as_the_written_name(identifier: str, name: str) -> None:
    a, b = name_from_identifier(identifier), normalize_name(name)
    assert a is not None and b is not None
    assert (a.key, a.surname_key) == (b.key, b.surname_key)


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("savelev.alexey", "aleksei savelev"),
        ("ivan_petrov", "ivan petrov"),
        ("ivan_petrov92", "ivan petrov"),
        ("oksanadmitrieva", "oksana dmitreva"),
    ],
)
def test_identifier_typed_as_the_name(cell: str, key: str) -> None:
    result = normalize_name(cell)
    assert result is not None
    assert result.key == key
    assert "from_identifier" in result.flags


@pytest.mark.parametrize(
    ("typed", "identifier", "key"),
    [
        ("Анна", "annakuznecova", "ana kuznecova"),
        ("Oxanka", "oksana.semyonova", "oksana semenova"),  # a diminutive is its full name
        ("Оксана Даниловна", "semyonova", "oksana semenova"),  # a patronymic, no surname
        ("Даша", "d.knyazeva", "daria kniazeva"),  # the initial fits
        ("Максим К.", "maximkornilov", "maksim kornilov"),  # so does the surname initial
        ("Максим Б.", "maximkornilov", None),  # not this one
        ("Сергей", "ivanova.marina", None),  # another given name
        ("Сергей", "vlasova1962", None),  # a woman's surname
        ("Сергей", "a.petrov", None),  # another initial
        ("Иван Иванов", "petrov.ivan", None),  # a typed surname is never replaced
    ],
)
def test_a_typed_name_completed_by_its_identifier(typed: str, identifier: str, key: str) -> None:
    name, found = normalize_name(typed), name_from_identifier(identifier)
    assert name is not None and found is not None
    completed = surname_from_identifier(name, found)
    assert (completed.key if completed else None) == key
    if name.surname is None:  # what the normalize stage asks, from the typed name's columns
        assert name.given_key is not None
        assert completed_key(name.given_key, name.gender, name.surname_initial, found) == key
    if completed is not None:
        assert completed.given_key == name.given_key
        assert completed.surname_key == found.surname_key
        assert "surname_from_identifier" in completed.flags


def test_a_completed_name_keys_as_the_written_one() -> None:
    typed, written = normalize_name("Анна"), normalize_name("Кузнецова Анна")
    found = name_from_identifier("anna_kuznetsova")
    assert typed is not None and written is not None and found is not None
    completed = surname_from_identifier(typed, found)
    assert completed is not None
    assert (completed.key, completed.surname_key) == (written.key, written.surname_key)
