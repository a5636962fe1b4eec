"""normalize_name rule tables: initials, placeholders and pet names, diminutives, Western names,
declined forms, gendered surnames, wrong keyboard layout, tokenization, transliteration."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from normalizers.name import GIVEN_NAMES, NO_NAME_WORDS, name_skeleton, normalize_name

DICTIONARIES = Path(__file__).resolve().parents[2] / "normalizers" / "dictionaries"


# --- 1. a given name beside a surname initial, a surname beside given initials ------------------
@pytest.mark.parametrize(
    ("raw", "given", "surname", "surname_initial", "key"),
    [
        ("Юлия Б.", "Юлия", None, "Б", "iulia"),  # -ия looked like a surname ending
        ("Б. Юлия", "Юлия", None, "Б", "iulia"),
        ("Владимир С.", "Владимир", None, "С", "vladimir"),
        ("Дмитрий С.", "Дмитрий", None, "С", "dmitri"),  # -ий looked like a surname ending
        ("Марина К.", "Марина", None, "К", "marina"),  # -ина: the dictionary wins
        ("Ирина Г.", "Ирина", None, "Г", "irina"),
        ("Алина С.", "Алина", None, "С", "alina"),
        ("Виталий Ф", "Виталий", None, "Ф", "vitali"),
        ("Yulia B.", "Yulia", None, "B", "iulia"),
        ("Ivan P.", "Ivan", None, "P", "ivan"),
        ("Ирочка Я.", "Ирочка", None, "Я", "irina"),
        ("Мария Ивановна К.", "Мария", None, "К", "maria"),
        ("Иванов И.И.", "И", "Иванов", None, "i ivanov"),
        ("И.И. Иванов", "И", "Иванов", None, "i ivanov"),
        ("I. Ivanov", "I", "Ivanov", None, "i ivanov"),
        ("Ivanov I.", "I", "Ivanov", None, "i ivanov"),
        ("M.Vishnevskiy", "M", "Vishnevskiy", None, "m vishnevski"),  # no space after the dot
        ("Dmitriev E.", "E", "Dmitriev", None, "e dmitrev"),  # ие folds to e (Dmitriyev)
        ("Субботина А.", "А", "Субботина", None, "a subotina"),
        ("Ильина И.", "И", "Ильина", None, "i ilina"),
        ("Чернышёв ОА", "О", "Чернышёв", None, "o chernishev"),  # capitals as initials
        ("Шмидт М. Н.", "М", "Шмидт", None, "m shmidt"),
    ],
)
def test_initials(
    raw: str, given: str, surname: str | None, surname_initial: str | None, key: str
) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert (result.given, result.surname, result.surname_initial, result.key) == (
        given,
        surname,
        surname_initial,
        key,
    )


@pytest.mark.parametrize(
    ("left", "right"), [("Юлия Б.", "Юлия"), ("Владимир С.", "Владимир"), ("Марина К.", "Marina")]
)
def test_surname_initial_keeps_the_given_key(left: str, right: str) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a is not None and b is not None
    assert (a.key, a.given_key, a.surname_key) == (b.key, b.given_key, None)


# --- 2. placeholders, call-centre labels, pet names ---------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "Звонящий",
        "Абонент",
        "Абанент",
        "Мамуля",
        "Котик",
        "Кисуля",
        "Лисичка",
        "Пчёлка",
        "Пчелка",
        "Зайка",
        "Солнышко",
        "Малыш",
        "Любимая",
        "Любимый",
        "Кися",
        "Мама",
        "Папа",
        "Бабуля",
        "Сестрёнка",
        "Моя любимая",
        "Зайка моя",
        "Zaika",
        "Kotik",
        "Honey",
        "Baby",
        "Sweetie",
        "Mom",
        "МАМУЛЯ",
        "Котик 🐱",
        "Зайка М.",
        "Входящий звонок",
        "Caller",
        "Бухгалтерия",
        "Клиент И.",
    ],
)
def test_no_name_words_alone_are_no_evidence(raw: str) -> None:
    assert normalize_name(raw) is None


@pytest.mark.parametrize(
    ("raw", "key", "flag"),
    [
        ("Зайка Маша", "maria", "endearment"),
        ("Мама Лена", "elena", "endearment"),
        ("Любимая Юлия Щукина", "iulia shukina", "endearment"),
        ("Котик Иван Петров", "ivan petrov", "endearment"),
        ("Иван Петров клиент", "ivan petrov", "placeholder"),
        ("Абонент Иванов Иван", "ivan ivanov", "placeholder"),
        ("Звонящий Пётр", "petr", "placeholder"),
    ],
)
def test_no_name_words_beside_a_name_are_dropped(raw: str, key: str, flag: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert result.key == key
    assert flag in result.flags


def test_no_name_words_file() -> None:
    with (DICTIONARIES / "no_name_words.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["word", "kind"]
    assert {r["kind"] for r in rows} == {"label", "placeholder", "endearment"}
    assert len({r["word"] for r in rows}) == len(rows)
    assert not set(NO_NAME_WORDS) & set(GIVEN_NAMES), "a given name listed as no name"


# --- 3. diminutives, Western names ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Каринка", "Карина"),
        ("Karinka", "Карина"),
        ("Оксанка", "Оксана"),
        ("Oksanka", "Оксана"),
        ("Алёнка", "Алёна"),
        ("Аленка", "Алёна"),
        ("Alenka", "Алёна"),
        ("Alinka", "Алина"),
        ("Алинка", "Алина"),
        ("Olezhka", "Олег"),
        ("Олежка", "Олег"),
        ("Ирочка", "Ирина"),
        ("Irochka", "Ирина"),
        ("Танюша", "Татьяна"),
        ("Tanyusha", "Татьяна"),
        ("Rusya", "Руслан"),
        ("Руся", "Руслан"),
        ("Катюша", "Екатерина"),
        ("Викуля", "Виктория"),
        ("Vikulya", "Виктория"),
        ("Сашуля", "Александр"),
        ("Ленуся", "Елена"),
        ("Глебушка", "Глеб"),
        ("Булатик", "Булат"),
        ("Ромчик", "Роман"),
        ("Игорёк", "Игорь"),
        ("Данилка", "Даниил"),
        ("Верочка", "Вера"),
        ("Настенька", "Анастасия"),
        ("Лизонька", "Елизавета"),
        ("Ольгуша", "Ольга"),
        ("Танька", "Татьяна"),
        ("Петька", "Пётр"),
        ("Ваня", "Иван"),
        ("Лёша", "Алексей"),
        ("Ksyusha", "Ксения"),
    ],
)
def test_diminutives(raw: str, canonical: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert result.given_canonical == canonical


@pytest.mark.parametrize(
    ("raw", "canonical", "gender"),
    [
        ("Саша", "Александр", None),
        ("Женя", "Евгений", None),
        ("Валя", "Валентин", None),
        ("Слава", "Владислав", None),
        ("Сашенька", "Александр", None),
        ("Сашенька Петрова", "Александра", "f"),
        ("Женя Petrova", "Евгения", "f"),
        ("Валя Сергеевна", "Валентина", "f"),
    ],
)
def test_ambiguous_diminutives_keep_both_genders(
    raw: str, canonical: str, gender: str | None
) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert (result.given_canonical, result.gender) == (canonical, gender)


@pytest.mark.parametrize(
    ("raw", "given_key", "gender"),
    [
        ("John", "iohn", "m"),
        ("Johnny", "iohn", "m"),
        ("Andrew", "andrev", "m"),
        ("Michael", "michael", "m"),
        ("Mike", "michael", "m"),
        ("Helen", "helen", "f"),
        ("Mary", "mari", "f"),
        ("Eugene", "eugene", "m"),
        ("Catherine", "katherine", "f"),
        ("Tom", "thomas", "m"),
    ],
)
def test_western_names_are_not_russian_names(raw: str, given_key: str, gender: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert result.given_canonical is None  # John is not Иван, Andrew is not Андрей
    assert (result.given_key, result.gender) == (given_key, gender)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("John", "Иван"),
        ("Andrew", "Андрей"),
        ("Michael", "Михаил"),
        ("Mary", "Мария"),
        ("Helen", "Елена"),
        ("Eugene", "Евгений"),
        ("Paul", "Павел"),
        ("George", "Георгий"),
        ("Catherine", "Екатерина"),
        ("Elizabeth", "Елизавета"),
        ("Nicholas", "Николай"),
    ],
)
def test_western_names_differ_from_their_russian_counterparts(left: str, right: str) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a is not None and b is not None
    assert a.given_key != b.given_key


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Alexander", "Александр"),
        ("Aleksandr", "Александр"),
        ("Alex", "Александр"),
        ("Pyotr", "Пётр"),
        ("Julia", "Юлия"),
        ("Sophia", "Софья"),
        ("Xenia", "Ксения"),
        ("Victor", "Виктор"),
        ("Arthur", "Артур"),
        ("Philip", "Филипп"),
    ],
)
def test_spellings_of_the_same_name_still_map(raw: str, canonical: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert result.given_canonical == canonical


def test_given_names_file_has_no_western_translations() -> None:
    with (DICTIONARIES / "given_names.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 150
    western = {
        "john",
        "andrew",
        "michael",
        "mary",
        "helen",
        "george",
        "paul",
        "eugene",
        "catherine",
        "elizabeth",
        "nicholas",
        "matthew",
        "jacob",
    }
    listed = {v.lower() for r in rows for v in r["variants"].split("|")}
    assert not western & listed


# --- 4. declined forms, gendered surnames --------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "given", "surname", "gender"),
    [
        ("Ивановой Марии", "Мария", "Иванова", "f"),
        ("Петрову Ивану", "Иван", "Петров", "m"),
        ("Петрову Марию", "Мария", "Петрова", "f"),
        ("Петровым Сергеем", "Сергей", "Петров", "m"),
        ("Высоцкой Анне", "Анна", "Высоцкая", "f"),
        ("Анне Толстой", "Анна", "Толстая", "f"),
        ("Кузнецова Ивана", "Иван", "Кузнецов", "m"),  # masculine genitive
        ("Иван Кузнецова", "Иван", "Кузнецов", "m"),  # the given name decides
        ("Кузнецова Иван Петрович", "Иван", "Кузнецов", "m"),
        ("Кузнецова Мария", "Мария", "Кузнецова", "f"),
        ("Кузнецова", None, "Кузнецова", "f"),
        ("Толстой Лев", "Лев", "Толстой", "m"),  # nominative as written
        ("Петрову", None, "Петров", "m"),
        ("Ивановой", None, "Иванова", "f"),
    ],
)
def test_declined_forms(raw: str, given: str | None, surname: str, gender: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert (result.given, result.surname, result.gender) == (given, surname, gender)


@pytest.mark.parametrize(
    ("left", "right", "same_person_key", "same_family_key"),
    [
        ("Саша Иванов", "Саша Иванова", False, True),  # siblings: not one person
        ("Иванов", "Иванова", False, True),
        ("Женя Толстой", "Женя Толстая", False, True),
        ("Ивановой Марии", "Мария Иванова", True, True),
        ("Anna Ivanova", "Анна Иванова", True, True),
        ("Иванова-Петрова Анна", "Иванов-Петров Иван", False, True),  # double surnames
        ("Иванов-Петров Иван", "Ivanov-Petrov Ivan", True, True),
    ],
)
def test_person_key_keeps_gender_family_key_folds_it(
    left: str, right: str, same_person_key: bool, same_family_key: bool
) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a is not None and b is not None
    assert (a.key == b.key, a.surname_key == b.surname_key) == (same_person_key, same_family_key)


# --- 5. wrong keyboard layout --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("Afnnf[jdf", "Фаттахова"),  # not a dictionary name: surname ending + [
        (">yecjdf", "Юнусова"),
        ("Bdfy Bdfyjd", "Иван Иванов"),
        ("Vfhbz Bdfyjdf", "Мария Иванова"),
        ("Cthutq Gtnhjdbx", "Сергей Петрович"),
        ("Ощрт Ыьшер", "John Smith"),  # Latin typed in the Russian layout
        ("Ьфкл", "Mark"),
        ("Фттф", "Anna"),
        ("Шмфт Зуекщм", "Ivan Petrov"),
    ],
)
def test_wrong_layout_repaired(raw: str, display: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert result.display == display
    assert "wrong_layout" in result.flags


@pytest.mark.parametrize(
    "raw",
    [
        "John Smith",
        "Mark",
        "Tom",
        "Anna",
        "Ivan Petrov",
        "Kim",
        "Eugene Visockiy",
        "Sergej Kokh",
        "Vasily Pak",
        "Иван Петров",
        "Ким",
        "Цой",
        "Dmitry",
        "Chris Evans",
    ],
)
def test_real_names_are_not_layout_converted(raw: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert "wrong_layout" not in result.flags


# --- 6. tokenization -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "given", "surname"),
    [
        ("M.Vishnevskiy", "M", "Vishnevskiy"),
        ("savelev.alexey", "Alexey", "Savelev"),
        ("ivan_petrov", "Ivan", "Petrov"),
        ("Иванов-Петров Иван", "Иван", "Иванов-Петров"),
        ("Римская-Корсакова Анна", "Анна", "Римская-Корсакова"),
        ("Иван_Петров", "Иван", "Петров"),
        ("Petrov_1990", None, "Petrov"),
    ],
)
def test_tokenization(raw: str, given: str | None, surname: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert (result.given, result.surname) == (given, surname)


@pytest.mark.parametrize("raw", ["cherry_74", "hunter_621", "bunny.243", "kisa.778"])
def test_nicknames_in_the_name_cell_are_no_evidence(raw: str) -> None:
    assert normalize_name(raw) is None


# --- 8. transliteration-independent keys ---------------------------------------------------------
@pytest.mark.parametrize(
    "spellings",
    [
        ["Юлия", "Yulia", "Yuliya", "Julia", "Iuliia"],
        ["Щукин", "Shchukin", "Schukin"],
        ["Иванов", "Ivanov", "Iwanow", "Ivanoff"],
        ["Хайруллин", "Khairullin", "Hayrullin", "Khayrullin"],
        ["Ёлкина", "Елкина", "Yolkina", "Elkina"],
        ["Алёна", "Алена", "Alyona", "Alena"],
        ["Жуков", "Zhukov"],
        ["Цветаева", "Tsvetaeva", "Tsvetayeva"],
        ["Юнусова", "Yunusova", "Iunusova"],
    ],
)
def test_transliteration_independent(spellings: list[str]) -> None:
    assert len({name_skeleton(s) for s in spellings}) == 1


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Юлия Щукина", "Iuliia Shchukina"),
        ("Julia Schukina", "Yuliya Shchukina"),
        ("Иван Иванов", "Iwan Iwanow"),
        ("Ivan Ivanoff", "Иван Иванов"),
        ("Ринат Хайруллин", "Rinat Khairullin"),
        ("Rinat Hayrullin", "Ринат Хайруллин"),
        ("Пётр Ёлкин", "Петр Елкин"),
    ],
)
def test_full_name_keys_across_scripts(left: str, right: str) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a is not None and b is not None
    assert a.key == b.key
