"""normalize_name and name_skeleton: (input, expected) tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from normalizers.name import GIVEN_NAMES, NameKey, name_skeleton, normalize_name, surname_reading

DICTIONARY = (
    Path(__file__).resolve().parents[2] / "normalizers" / "dictionaries" / "given_names.csv"
)


@pytest.mark.parametrize(
    "spellings",
    [
        ["Юлия", "Yulia", "Yuliya", "Julia", "Iuliia", "Julija"],
        ["Щукин", "Shchukin", "Schukin", "Shukin"],
        ["Иванов", "Ivanov", "Iwanow", "Ivanoff"],
        ["Александр", "Aleksandr", "Alexander", "Aleksander", "Alexandr"],
        ["Михаил", "Mikhail", "Mihail"],
        ["Цой", "Tsoi", "Tsoy", "Tzoi"],
        ["Евгений", "Evgeny", "Evgeniy", "Yevgeniy", "Evgenii"],
        ["Пётр", "Петр", "Pyotr", "Petr", "Peter"],
        ["Фёдор", "Федор", "Fyodor", "Fedor"],
        ["Артём", "Artyom", "Artem"],
        ["Сергеев", "Sergeev", "Sergeyev"],
        ["Наталья", "Наталия", "Natalya", "Natalia"],
        ["Игорь", "Igor", "Igor'"],
        ["Высоцкий", "Vysotsky", "Vysotskiy", "Vysotskii"],
        ["Кузнецов", "Kuznetsov", "Kuznetzov"],
        ["Хабибуллин", "Khabibullin", "Habibulin"],
        ["Ксения", "Ksenia", "Kseniya", "Xenia"],
        ["Виктор", "Viktor", "Victor"],
        ["Николай", "Nikolay", "Nikolai", "Nicolai"],
        ["Дмитрий", "Dmitry", "Dmitriy", "Dmitrii"],
        ["Елена", "Yelena", "Elena"],
        ["Чайковский", "Tchaikovsky", "Chaikovsky", "Chaykovskiy"],
        ["Горбачёв", "Горбачев", "Gorbachev", "Gorbachyov"],
        ["Софья", "София", "Sofia", "Sofya", "Sophia"],
    ],
)
def test_skeleton_folds_spelling_variants(spellings: list[str]) -> None:
    skeletons = {name_skeleton(s) for s in spellings}
    assert len(skeletons) == 1, skeletons


@pytest.mark.parametrize(
    ("left", "right"),
    [("Иван", "Мария"), ("Юлия", "Юлиан"), ("Иванов", "Ивановский"), ("Саша", "Маша")],
)
def test_skeleton_keeps_different_names_apart(left: str, right: str) -> None:
    assert name_skeleton(left) != name_skeleton(right)


def test_skeleton_is_lowercase_latin() -> None:
    assert name_skeleton("Ёлкин") == name_skeleton("Елкин") == "elkin"
    assert name_skeleton("José") == "jose".replace("j", "i")
    assert name_skeleton("") == ""
    assert name_skeleton(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [
        "Иван Иванов",
        "Ivan Ivanov",
        "Ваня Иванов",
        "Iwan Iwanow",
        "IVANOV IVAN",
        "Иванов Иван",
        "Иванов Иван Иванович",
        "Иван Иванович Иванов",
        "Vanya Ivanoff",
        "иван иванов",
        "ИВАН ИВАНОВ",
        "Bdfy Bdfyjd",
        "Иванoв Иван",
        "Ivan\u00a0Ivanov",
        "\u200bИван Иванов\u202e",
        "Ванечка Иванов",
        "Клиент Иван Иванов",
        "Иван (Ваня) Иванов",
        "Иван Иванов +7 916 342-78-15",
        "Иван Иванов ivan@mail.ru",
        "Mr Ivan Ivanov",
    ],
)
def test_same_key_for_ivan_ivanov(raw: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert result.key == "ivan ivanov"
    assert result.given_canonical == "Иван"
    assert result.surname_key == "ivanov"


@pytest.mark.parametrize(
    ("raw", "given", "patronymic", "surname", "canonical", "gender"),
    [
        ("Иванов Иван Иванович", "Иван", "Иванович", "Иванов", "Иван", "m"),
        ("Иван Иванович Иванов", "Иван", "Иванович", "Иванов", "Иван", "m"),
        ("Иванова Мария Петровна", "Мария", "Петровна", "Иванова", "Мария", "f"),
        ("Иван Петрович", "Иван", "Петрович", None, "Иван", "m"),
        ("Иван Иванов", "Иван", None, "Иванов", "Иван", "m"),
        ("Иванов Иван", "Иван", None, "Иванов", "Иван", "m"),
        ("IVANOV IVAN", "Ivan", None, "Ivanov", "Иван", "m"),
        ("Ваня", "Ваня", None, None, "Иван", "m"),
        ("Vanya", "Vanya", None, None, "Иван", "m"),
        ("Ivan", "Ivan", None, None, "Иван", "m"),
        ("Iwan", "Iwan", None, None, "Иван", "m"),
        ("John", "John", None, None, None, "m"),  # a Western name is not Иван
        ("Маша Петрова", "Маша", None, "Петрова", "Мария", "f"),
        ("Yulia Kuznetsova", "Yulia", None, "Kuznetsova", "Юлия", "f"),
        ("Ксюша", "Ксюша", None, None, "Ксения", "f"),
        ("Иванов И.И.", "И", None, "Иванов", None, "m"),
        ("И.И. Иванов", "И", None, "Иванов", None, "m"),
        ("I. Ivanov", "I", None, "Ivanov", None, "m"),
        ("Иванова", None, None, "Иванова", None, "f"),
        ("Мамедов Али Гусейн оглы", "Али", "Гусейн оглы", "Мамедов", "Али", "m"),
        ("Алиева Лейла Рашид кызы", "Лейла", "Рашид кызы", "Алиева", "Лейла", "f"),
        ("Анна-Мария Иванова", "Анна-Мария", None, "Иванова", "Анна-Мария", "f"),
        (
            "Римский-Корсаков Николай Андреевич",
            "Николай",
            "Андреевич",
            "Римский-Корсаков",
            "Николай",
            "m",
        ),
        ("Шевченко Тарас", "Тарас", None, "Шевченко", "Тарас", "m"),
        ("Ёлкин Фёдор", "Фёдор", None, "Ёлкин", "Фёдор", "m"),
        ("Елкин Федор", "Федор", None, "Елкин", "Фёдор", "m"),
        ("Нурланов Аскар Серикович", "Аскар", "Серикович", "Нурланов", "Аскар", "m"),
    ],
)
def test_parse(
    raw: str,
    given: str | None,
    patronymic: str | None,
    surname: str | None,
    canonical: str | None,
    gender: str | None,
) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert (
        result.given,
        result.patronymic,
        result.surname,
        result.given_canonical,
        result.gender,
    ) == (given, patronymic, surname, canonical, gender)


@pytest.mark.parametrize(
    ("raw", "canonical", "gender"),
    [
        ("Саша", "Александр", None),  # ambiguous: first (male) canonical, no gender
        ("Женя", "Евгений", None),
        ("Валя", "Валентин", None),
        ("Sasha", "Александр", None),
        ("Саша Иванова", "Александра", "f"),  # the surname decides
        ("Саша Иванов", "Александр", "m"),
        ("Женя Петрова", "Евгения", "f"),
        ("Валя Сергеевна", "Валентина", "f"),  # the patronymic decides
        ("Алекс", "Александр", "m"),  # two male names: first one, gender known
    ],
)
def test_ambiguous_diminutives(raw: str, canonical: str, gender: str | None) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert (result.given_canonical, result.gender) == (canonical, gender)


@pytest.mark.parametrize(
    ("left", "right", "same_family"),
    [
        ("Иван Иванов", "Мария Иванова", True),
        ("Алексей Толстой", "Анна Толстая", True),
        ("Владимир Высоцкий", "Марина Высоцкая", True),
        ("Sergey Kuznetsov", "Юлия Кузнецова", True),
        ("Ilya Ilyin", "Ирина Ильина", True),
        ("Иван Иванов", "Иван Петров", False),
    ],
)
def test_surname_key_folds_gender(left: str, right: str, same_family: bool) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a is not None and b is not None
    assert (a.surname_key == b.surname_key) is same_family


@pytest.mark.parametrize(
    "raw",
    [
        "Клиент",
        "клиент 123",
        "Unknown",
        "unknown",
        "Telegram user",
        "Гость",
        "Гость #4521",
        "Пользователь",
        "Покупатель",
        "Аноним",
        "no name",
        "No Name",
        "Без имени",
        "DELETED",
        "Пользователь удалён",
        "WhatsApp User",
        "Новый контакт",
        "User",
        "Test",
        "тест",
        "12345",
        "89163427815",
        "+7 916 342-78-15",
        "ivan@mail.ru",
        "@ivan_petrov",
        "https://vk.com/id123",
        '=HYPERLINK("http://evil","Иван")',
        "И.",
        "-",
        "нет",
        "",
        "   ",
        None,
        float("nan"),
        "🙂",
        "x" * 1_000_000,
        "Иван " * 300,
    ],
)
def test_no_name_evidence(raw: object) -> None:
    assert normalize_name(raw) is None


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("Иван Иванов +79163427815", "phone_as_name"),
        ("Иван ivan@mail.ru", "email_as_name"),
        ("Иван @ivan_petrov", "handle_as_name"),
        ("Иван ivan_petrov92", "handle_as_name"),
        ("ivan_petrov92", "from_identifier"),
        ("Иванов И.И.", "initials"),
        ("Иванoв Иван", "mixed_script"),  # a Latin o inside a Cyrillic word
        ("Bdfy Bdfyjd", "wrong_layout"),
        ("IVANOV IVAN", "all_caps"),
        ("\u200bИван", "zero_width"),
        ("\u202eИван", "bidi"),
        ("Ð˜Ð²Ð°Ð½", "mojibake"),
        ("Клиент Иван Петров", "placeholder"),
        ("Иван (Ваня) Петров", "annotated"),
        ("ООО Ромашка Иван Петров", "organization"),
        ("Нурбек", "unparsed"),
    ],
)
def test_flags(raw: str, flag: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert flag in result.flags


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("IVANOV IVAN", "Ivanov Ivan"),
        ("ИВАНОВ ИВАН ИВАНОВИЧ", "Иванов Иван Иванович"),
        ("Иванoв  Иван", "Иванов Иван"),
        ("Bdfy Bdfyjd", "Иван Иванов"),
        ("Gtnhjd Gtnh", "Петров Петр"),
        ("Ð˜Ð²Ð°Ð½", "Иван"),
        ("Иван +79163427815", "Иван"),
        ("Иванов И.И.", "Иванов И. И."),
        ("мария", "мария"),  # only ALL CAPS is re-cased
        ("Йван", "Йван"),
    ],
)
def test_display(raw: str, display: str) -> None:
    result = normalize_name(raw)
    assert result is not None
    assert result.display == display


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Йошкин", "Йошкин"),  # NFD й vs NFC й
        ("Ёлкина Алёна", "Елкина Алена"),  # ё/е
        ("Иванов Пётр", "Ivanov Pyotr"),
        ("Юлия Щукина", "Julia Shchukina"),
        ("Нурбек Жаксылык", "Zhaksylyk Nurbek"),  # unparsed: order-independent key
        ("Наталья Сергеева", "Natalia Sergeyeva"),
        ("Женя Смирнова", "Evgenia Smirnova"),
    ],
)
def test_equal_keys(left: str, right: str) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a is not None and b is not None
    assert a.key == b.key


def test_nfd_input_matches_nfc() -> None:
    nfd, nfc = normalize_name("И\u0306ван Йошкин"), normalize_name("Йван Йошкин")
    assert nfd is not None and nfc is not None and nfd.key == nfc.key


def test_dictionary_file() -> None:
    with DICTIONARY.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["canonical", "gender", "variants"]
    assert len(rows) >= 150
    assert {r["gender"] for r in rows} == {"m", "f"}
    assert len({r["canonical"] for r in rows}) == len(rows)
    for word in ("саша", "женя", "валя"):
        genders = {c.gender for c in GIVEN_NAMES[word]}
        assert genders == {"m", "f"}, word


def test_name_key_is_frozen() -> None:
    result = normalize_name("Иван Иванов")
    assert isinstance(result, NameKey)
    with pytest.raises(AttributeError):
        result.key = "x"  # type: ignore[misc]


# One surname as the passport, German, Polish, French and scholarly systems write it: every
# spelling gets the Cyrillic form's family key.
SURNAME_SPELLINGS = [
    ("Кузнецов", ["Kuznetsov", "Kuznecov", "Kusnezow", "Kuznetsova", "Kusnezowa"]),
    ("Цветков", ["Tsvetkov", "Zwetkow"]),
    ("Михайлов", ["Mikhaylov", "Mikhailov", "Michajlow", "Mihailov"]),
    ("Щукин", ["Shchukin", "Szczukin", "Chtchoukine"]),
    ("Чернов", ["Chernov", "Tschernow", "Czernow", "Chernova"]),
    ("Жуков", ["Zhukov", "Joukov"]),
    ("Евдокимов", ["Evdokimov", "Yevdokimov", "Jewdokimow"]),
    ("Джапаридзе", ["Dzhaparidze", "Dshaparidse"]),
]


@pytest.mark.parametrize(("cyrillic", "spellings"), SURNAME_SPELLINGS)
def test_surname_key_is_one_across_transliteration_systems(
    cyrillic: str, spellings: list[str]
) -> None:
    key = normalize_name(f"Иван {cyrillic}").surname_key
    assert key
    for latin in spellings:
        assert normalize_name(f"Ivan {latin}").surname_key == key, latin


@pytest.mark.parametrize(
    ("latin", "reading"),
    [
        ("Kusnezow", "кузнецов"),  # German: s = З, z = Ц, w = В
        ("Kuznecov", "кузнецов"),  # scholarly: c = Ц
        ("Czernow", "чернов"),  # Polish: cz = Ч
        ("Joukov", "жуков"),  # French: j = Ж, ou = У
        ("Kuznetsov", None),  # the passport reading is listed: the skeleton folds it
        ("Khasanova", None),  # no German, Polish or French mark: never read their way
        ("Smith", None),
        ("Иванов", None),  # not Latin
        ("Wxyz", None),  # no listed reading
    ],
)
def test_surname_reading(latin: str, reading: str | None) -> None:
    assert surname_reading(latin) == reading
