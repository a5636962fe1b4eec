"""One Russian name written in each transliteration system people use gets the Cyrillic's key.

The spellings are those the systems give (passport ICAO 9303, BGN/PCGN, informal, German Duden,
Polish PWN typed without its diacritics, French), as in the issue's examples
(``arsenij_jewdokimow`` = Арсений Евдокимов). Most rows failed before the skeleton folded -iev
(Vasilyev = Васильев) and before the readings of surnames and given names took Polish soft
vowels and z as Ж, French j/io/gue and German sch as Ж; the others (Dmitriyev, Schtschukin,
Lasarewa, Lubow, Lioudmila, arsenij_jewdokimow) guard what worked already. Not read: French ch
for Ш (Malychev), which English and passport spellings use for Ч.
"""

from __future__ import annotations

import pytest

from normalizers import name_from_identifier, normalize_name
from normalizers.name import _SYSTEM_TABLES, MAX_READINGS, _read_in

WRITTEN = [
    # (Cyrillic, Latin, system)
    ("Владимир Васильев", "Vladimir Vasilyev", "bgn"),
    ("Константин Дмитриев", "Konstantin Dmitriyev", "bgn"),
    ("Наталья Григорьева", "Natalya Grigoryeva", "bgn"),
    ("Михаил Прокофьев", "Michail Prokofjew", "german"),
    ("Борис Жуков", "Boris Schukow", "german"),
    ("Вадим Щукин", "Wadim Schtschukin", "german"),
    ("Наталья Лазарева", "Natalja Lasarewa", "german"),
    ("Сергей Кузнецов", "Siergiej Kuzniecow", "polish"),
    ("Фёдор Соловьёв", "Fiodor Solowjow", "polish"),
    ("Пётр Лебедев", "Piotr Lebiediew", "polish"),
    ("Людмила Белова", "Ludmila Bielowa", "polish"),
    ("Алексей Поляков", "Aleksiej Polakow", "polish"),
    ("Любовь Михайлова", "Lubow Michajlowa", "polish"),
    ("Борис Жуков", "Boris Zukow", "polish"),
    ("Юрий Фёдоров", "Iouri Fiodorov", "french"),
    ("Евгения Сергеева", "Ievguenia Sergueieva", "french"),
    ("Борис Жданов", "Boris Jdanov", "french"),
    ("Дмитрий Чернышёв", "Dmitri Tchernychiov", "french"),
    ("Людмила Данилова", "Lioudmila Danilova", "french"),
]


@pytest.mark.parametrize(("cyrillic", "latin", "system"), WRITTEN)
def test_a_name_in_any_system_has_the_cyrillic_key(cyrillic: str, latin: str, system: str) -> None:
    written, latin_key = normalize_name(cyrillic), normalize_name(latin)
    assert written is not None and latin_key is not None
    assert latin_key.key == written.key, system
    assert latin_key.surname_key == written.surname_key, system


@pytest.mark.parametrize(
    ("identifier", "cyrillic"),
    [
        ("siergiej.kuzniecow", "Сергей Кузнецов"),
        ("fiodor_diomin", "Фёдор Дёмин"),
        ("iouri.fiodorov", "Юрий Фёдоров"),
        ("boris.schukow", "Борис Жуков"),
        ("natalya.grigoryeva", "Наталья Григорьева"),
        ("piotr-lebiediew", "Пётр Лебедев"),
        ("arsenij_jewdokimow", "Арсений Евдокимов"),
    ],
)
def test_an_identifier_in_any_system_has_the_cyrillic_key(identifier: str, cyrillic: str) -> None:
    read, written = name_from_identifier(identifier), normalize_name(cyrillic)
    assert read is not None and written is not None
    assert read.key == written.key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Шукин", "Жуков"),  # German sch is read both ways, each against the dictionary
        ("Алла", "Аля"),  # Polish la stays a reading of surnames only: ла/ля apart in keys
        ("Мария", "Марина"),
        ("Antonio", "Anton"),  # a final io is not ё
    ],
)
def test_distinct_names_stay_apart(one: str, other: str) -> None:
    a, b = normalize_name(one), normalize_name(other)
    assert a is not None and b is not None
    assert a.key != b.key


def test_readings_are_bounded() -> None:
    """Each German s is З or С: a name has a few, a long nickname would give 2**n readings."""
    _, table, chunk = _SYSTEM_TABLES["german"]
    assert _read_in("sass", table, chunk) == ["зас", "сас"]
    assert len(_read_in("sa" * 40, table, chunk)) == 1
    assert 2**2 <= MAX_READINGS < 2**40


@pytest.mark.parametrize(
    ("ukrainian", "russian"),
    [
        ("Олександр Коваленко", "Александр Коваленко"),
        ("Oleksandr Kovalenko", "Александр Коваленко"),
        ("Микола Шевченко", "Николай Шевченко"),
        ("Mykola Shevchenko", "Николай Шевченко"),
        ("Dmytro Bondarenko", "Дмитрий Бондаренко"),
        ("Volodymyr Tkachenko", "Владимир Ткаченко"),
        ("Andriy Melnyk", "Андрей Мельник"),
        ("Сергій Мороз", "Сергей Мороз"),
        ("Serhiy Moroz", "Сергей Мороз"),
        ("Yevhen Savchenko", "Евгений Савченко"),
        ("Oleh Rudenko", "Олег Руденко"),
        ("Olena Lysenko", "Елена Лысенко"),
        ("Тетяна Бойко", "Татьяна Бойко"),
        ("Olha Kravets", "Ольга Кравец"),
        ("Halyna Koval", "Галина Коваль"),
    ],
)
def test_a_ukrainian_given_name_is_the_russian_one(ukrainian: str, russian: str) -> None:
    """One person writes Олександр in Ukrainian and Александр in Russian, as Саша in either:
    the Ukrainian forms are listed with the Russian name, as its diminutives are."""
    a, b = normalize_name(ukrainian), normalize_name(russian)
    assert a is not None and b is not None
    assert a.given_key == b.given_key
    assert a.key == b.key
