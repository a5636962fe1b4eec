"""Person names to comparison keys that survive transliteration, diminutives and word order.

``normalize_name`` cleans a name cell (homoglyphs, wrong keyboard layout, phones or e-mails typed
into it, placeholders such as "Клиент", pet names such as "Зайка"), splits it into given name,
patronymic and surname by dictionary and suffix rules, maps diminutives to the full given name
(Ваня → Иван, Каринка → Карина), puts declined forms back in the nominative (Ивановой → Иванова)
and builds phonetic skeleton keys: "Иван Иванов", "Ivan Ivanov", "Ваня Иванов", "Iwan Iwanow" and
"IVANOV IVAN" all get the key ``"ivan ivanov"``.

``name_from_identifier`` reads a name out of an e-mail local part or a nickname
("tatyana_moiseeva_98", "k-bykova") when the evidence is strong, else gives ``None``;
``surname_from_identifier`` completes a typed name that lacks its surname with the one an
identifier of the same contact holds ("Анна" at annakuznecova@…, "Максим К." as maximkornilov).

Two keys, two meanings. ``key`` is the *person* key: it keeps the surname's gender, so
"Саша Иванов" and "Саша Иванова" (a brother and a sister) differ. ``surname_key`` is the *family*
key: Иванов ~ Иванова, Толстой ~ Толстая share it; by itself it never says "same person".

Dictionaries (``normalizers/dictionaries/``): ``given_names.csv`` (Russian and other given names of
Russia and the CIS with diminutives and Ukrainian forms, Олександр = Александр; a Western name is
never mapped to a Russian one: John is not Иван), ``western_given_names.csv`` (recognised as
given names, kept as they are) and ``no_name_words.csv`` (placeholders, call-centre labels, pet
names and kinship words). Declined forms and the wrong-layout check ask pymorphy3's dictionary,
lazily and only for words whose ending calls for it. Every other rule is a table in this module.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from anyascii import anyascii

from normalizers.text import clean_text, is_mixed_script, text_flags, to_cyrillic, to_latin

_DICTIONARIES = Path(__file__).resolve().parent / "dictionaries"


@dataclass(frozen=True, slots=True)
class NameKey:
    """A parsed person name and its comparison keys."""

    display: str  # cleaned display form, title-cased if it was ALL CAPS
    given: str | None  # as written, Cyrillic or Latin ("Ваня")
    patronymic: str | None
    surname: str | None
    given_canonical: str | None  # full Cyrillic given name from the dictionary ("Иван")
    key: str  # skeleton of "given_canonical surname" (all tokens if unparsed)
    given_key: str | None  # skeleton of the canonical (or written) given name
    surname_key: str | None  # skeleton of the surname, gendered ending folded
    gender: str | None  # "m" | "f" | None
    flags: frozenset[str]
    surname_initial: str | None = None  # "Юлия Б." → "Б" (surname stays None: no family key)


# --- the phonetic skeleton ----------------------------------------------------------------------
_CYRILLIC_TO_SKELETON = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "sh",
        "ъ": "",
        "ы": "i",
        "ь": "",
        "э": "e",
        "ю": "iu",
        "я": "ia",
        "і": "i",
        "ї": "i",
        "є": "e",
        "ґ": "g",
        "ў": "u",
    }
)
_CONSONANT = "bcdfghklmnprstvwxz"
# The endings -ьев(а), -ьевич, -ьевна and -иев: BGN's Vasilyev, Vasilyevich and German Prokofjew
# against the Cyrillic's vasilev (the skeleton drops ь). Only at the end: Kopievsky, Rudkiewicz
# keep their ie.
_IEV_ENDING = rf"(?<=[{_CONSONANT}])iev(?=(a|ich|na)?$)"
SKELETON_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (rf"(?<=[{_CONSONANT}])[yj]o|^yo", "e"),  # ё written yo/jo: Pyotr, Fjodor, Yolkin
        (r"shch|sch|shh", "sh"),  # Щ: Shchukin, Schukin, Shukin
        (r"tch", "ch"),  # Tchaikovsky
        (r"kh", "h"),  # Х: Mikhail, Mihail
        (r"ph", "f"),  # Sophia
        (r"ck", "k"),
        (r"x", "ks"),  # Alexander, Xenia
        (r"q", "k"),
        (r"w", "v"),  # Iwanow
        (r"c(?![eiyh])", "k"),  # Victor, Nicolai (Latin c for к)
        (r"t[sz]", "c"),  # Ц: ts, tz
        (r"[yj]", "i"),  # Yulia, Julia, Iuliia; Dmitry, Dmitriy
        (r"^ie", "e"),  # Yelena, Yevgeny, Yegor
        (r"(?<=[aeiou])ie", "e"),  # Sergeyev, Alekseyev
        (_IEV_ENDING, "ev"),
        (r"ou", "u"),  # Ioulia
        (r"(.)\1+", r"\1"),  # double letters: Anna, Filippov, Mariia
        (_IEV_ENDING, "ev"),  # again once double letters are one (Dmitriyev)
        (r"(?<=[oe])f$", "v"),  # Ivanoff, Petroff
        (r"(?<=[bdgkpstvz])er$", "r"),  # Alexander, Peter
    )
)
"""Ordered (regex, replacement) rules that fold spelling variants of one Latin-lowercase word."""

SURNAME_FOLD_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(?<=\w{2})(sk|ck)(aia|aa|a|i|oi|ai)$", r"\1"),  # -ский/-ская/-ской, -цкий/-цкая
        (r"(?<=\w{2})(ov|ev|in)a$", r"\1"),  # -ова/-ов, -ева/-ев, -ина/-ин, -ына
        (r"(?<=\w{3})(aia|oi)$", ""),  # Толстая/Толстой
        (r"(?<=\w{3}[^aeiou])i$", ""),  # Чёрный (skeleton "cherni")
    )
)
"""Rules applied to a surname skeleton so that the female and male forms share one family key."""

_NOT_LETTER = re.compile(r"[^a-z]")


def name_skeleton(token: str) -> str:
    """The transliteration-independent phonetic skeleton of one name token.

    Cyrillic is transliterated with a fixed scheme, any other script with anyascii; the result
    is lowercase Latin letters only, folded by ``SKELETON_RULES`` (ё=е, y/i/j, Kh/H, ts/tz/c,
    Shch/Sch/Sh, double letters, -off, trailing soft sign ...). Empty for a token without letters.
    Never raises.
    """
    if not isinstance(token, str):
        return ""
    return _skeleton(token)


@lru_cache(maxsize=1 << 17)
def _skeleton(token: str) -> str:
    text = token.lower().translate(_CYRILLIC_TO_SKELETON)
    if not text.isascii():
        text = anyascii(text).lower()
    text = _NOT_LETTER.sub("", text)
    for pattern, replacement in SKELETON_RULES:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=1 << 16)
def _person_surname(surname: str) -> str:
    """The surname's part of the person key: its skeleton, gendered ending kept, each Latin part
    read back into Cyrillic as ``_surname_key`` reads it (Kuznecova = Кузнецова ≠ Кузнецов)."""
    readings = [surname_reading(part) for part in surname.split("-")]
    if not any(readings):
        return name_skeleton(surname)
    parts = surname.split("-")
    return "".join(name_skeleton(r or p) for r, p in zip(readings, parts, strict=True))


@lru_cache(maxsize=1 << 16)
def _surname_key(surname: str) -> str:
    """Family key: each part of a double surname folded (Иванова-Петрова ~ Иванов-Петров); a
    Latin part read back into Cyrillic first when a transliteration system gives a surname the
    dictionary knows (``surname_reading``: Kusnezow, Kuznecov, Kuznetsov → Кузнецов)."""
    keys = []
    for part in surname.split("-"):
        key = name_skeleton(surname_reading(part) or part)
        for pattern, replacement in SURNAME_FOLD_RULES:
            key = pattern.sub(replacement, key)
        keys.append(key)
    return "".join(keys)


# --- the given-name dictionaries ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Given:
    canonical: str
    gender: str
    western: bool = False


@lru_cache(maxsize=1 << 16)
def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


def _read_csv(name: str) -> list[dict[str, str]]:
    with (_DICTIONARIES / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _load_given_names(
    name: str, western: bool = False
) -> tuple[dict[str, tuple[_Given, ...]], dict[str, tuple[_Given, ...]]]:
    """Word → candidates and skeleton → candidates, in file order (male rows come first)."""
    by_word: dict[str, list[_Given]] = {}
    by_skeleton: dict[str, list[_Given]] = {}
    canonicals: set[str] = set()
    rows = _read_csv(name)
    for row in rows:  # a full name is itself first, whatever variant lists say
        entry = _Given(row["canonical"], row["gender"], western)
        by_word[_fold(entry.canonical)] = [entry]
        canonicals.add(_fold(entry.canonical))
    for row in rows:
        entry = _Given(row["canonical"], row["gender"], western)
        words = [row["canonical"], *(v for v in row["variants"].split("|") if v)]
        for word in words:
            folded = _fold(word.strip())
            if folded not in canonicals:
                found = by_word.setdefault(folded, [])
                if entry not in found:
                    found.append(entry)
            skeleton = name_skeleton(word)
            found = by_skeleton.setdefault(skeleton, [])
            if skeleton and entry not in found:
                found.append(entry)
    # A skeleton that is some full name's own skeleton means that name only.
    for row in rows:
        entry = _Given(row["canonical"], row["gender"], western)
        own = by_skeleton[name_skeleton(entry.canonical)]
        if own[0] != entry and own[0].canonical != entry.canonical and entry in own:
            own.remove(entry)
            own.insert(0, entry)
    return (
        {k: tuple(v) for k, v in by_word.items()},
        {k: tuple(v) for k, v in by_skeleton.items()},
    )


GIVEN_NAMES, _GIVEN_BY_SKELETON = _load_given_names("given_names.csv")
"""Given name or diminutive (lowercase, ё→е) → full-name candidates, male first."""
WESTERN_NAMES, _WESTERN_BY_SKELETON = _load_given_names("western_given_names.csv", western=True)
"""Western given names (John, Mike → Michael): given names, never mapped to a Russian name."""

DIMINUTIVE_SUFFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ezhka", ("eg",)),  # Олежка → Олег
    ("ochka", ("a",)),  # Ирочка → Ира, Verochka → Vera
    ("echka", ("ia", "a")),  # Анечка → Аня, Олечка → Оля
    ("enka", ("ia", "a")),  # Сашенька → Саша, Настенька → Настя
    ("onka", ("a",)),  # Лизонька → Лиза
    ("ushka", ("", "a", "ia")),  # Глебушка → Глеб, Ванюшка → Ваня
    ("iusha", ("ia", "a")),  # Танюша → Таня, Катюша → Катя
    ("usha", ("a", "")),  # Ольгуша → Ольга
    ("usia", ("a", "")),  # Ленуся → Лена, Викуся → Вика
    ("ulia", ("a", "ia", "")),  # Викуля → Вика, Сашуля → Саша
    ("chik", ("", "a")),  # Ромчик → Рома
    ("ka", ("a", "ia", "")),  # Каринка → Карина, Alinka, Танька → Таня, Данилка
    ("ik", ("",)),  # Булатик → Булат
    ("ek", ("",)),  # Игорёк → Игорь
)
"""Diminutive endings on the skeleton and what may replace them to reach a dictionary name.

A form the table does not list is tried against these; the stem must keep 3 letters, and the
result must be a listed name or variant, so an unknown word stays unknown.
"""


@lru_cache(maxsize=1 << 16)
def _given_candidates(word: str) -> tuple[_Given, ...]:
    """Russian dictionary candidates: the word, its skeleton, then diminutive suffix rules."""
    found = GIVEN_NAMES.get(_fold(word))
    if found:
        return found
    skeleton = name_skeleton(word)
    if len(skeleton) < 3:
        return ()
    found = _GIVEN_BY_SKELETON.get(skeleton)
    if found:
        return found
    for suffix, replacements in DIMINUTIVE_SUFFIXES:
        if skeleton.endswith(suffix) and len(skeleton) - len(suffix) >= 3:
            stem = skeleton[: -len(suffix)]
            for replacement in replacements:
                found = _GIVEN_BY_SKELETON.get(stem + replacement)
                if found:
                    return found
    return _given_by_reading(word)


def _given_by_reading(word: str) -> tuple[_Given, ...]:
    """A Latin word read back into Cyrillic by a transliteration system whose marks it bears
    (``TRANSLITERATION_SYSTEMS``), when the reading is a listed given name: Polish Siergiej,
    Piotr, Fiodor; French Ievguenia. The skeleton does not fold these spellings (ie, io after
    a consonant are also English: Sophie, Violet), so only a listed reading counts."""
    for reading in _readings(word.lower()):
        found = GIVEN_NAMES.get(_fold(reading))
        if found:
            return found
    return ()


@lru_cache(maxsize=1 << 16)
def _western_candidates(word: str) -> tuple[_Given, ...]:
    """Western given names, for Latin words the Russian dictionary does not know."""
    if not _LATIN_WORD.match(word):
        return ()
    found = WESTERN_NAMES.get(_fold(word))
    if found:
        return found
    skeleton = name_skeleton(word)
    return _WESTERN_BY_SKELETON.get(skeleton, ()) if len(skeleton) >= 4 else ()


@lru_cache(maxsize=1 << 16)
def _any_given(word: str) -> tuple[_Given, ...]:
    """Given-name candidates: a listed Russian spelling, a listed Western name (Mary stays Mary,
    though its skeleton is Мари's), then skeleton and diminutive matches."""
    found = GIVEN_NAMES.get(_fold(word))
    if found:
        return found
    if _LATIN_WORD.match(word):
        found = WESTERN_NAMES.get(_fold(word))
        if found:
            return found
    return _given_candidates(word) or _western_candidates(word)


def _pick_given(candidates: tuple[_Given, ...], gender: str | None) -> tuple[str, str | None]:
    """The canonical name for a gender (or the first), and its gender if unambiguous."""
    genders = {c.gender for c in candidates}
    if gender is not None:
        for c in candidates:
            if c.gender == gender:
                return c.canonical, gender
    first = candidates[0]
    return first.canonical, first.gender if len(genders) == 1 else None


# --- rule tables --------------------------------------------------------------------------------
def _load_no_name_words() -> dict[str, str]:
    return {_fold(row["word"]): row["kind"] for row in _read_csv("no_name_words.csv")}


NO_NAME_WORDS = _load_no_name_words()
"""Word → kind, from ``no_name_words.csv``. ``label``: "Клиент", "Звонящий", "caller" (dropped
beside a real name); ``endearment``: pet names and kinship words, "Зайка", "Мамуля", "honey"
(dropped anywhere); ``placeholder``: "Unknown", "нет", "Telegram" (no name when alone)."""
PLACEHOLDER_WORDS = frozenset(NO_NAME_WORDS)
"""Words that, when a name has nothing else, mean "no name" ("Telegram user", "Клиент 123")."""
DROPPED_WORDS = frozenset(w for w, kind in NO_NAME_WORDS.items() if kind != "placeholder")
"""Words removed wherever they stand beside a real name ("Клиент Иван Петров", "Зайка Маша")."""
HONORIFICS = frozenset(
    {
        "г-н",
        "г-жа",
        "гн",
        "гжа",
        "господин",
        "госпожа",
        "тов",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "sir",
        "уважаемый",
        "уважаемая",
    }
)
ORGANIZATION_WORDS = frozenset(
    {
        "ооо",
        "ип",
        "зао",
        "оао",
        "пао",
        "ао",
        "нко",
        "ltd",
        "llc",
        "inc",
        "gmbh",
        "компания",
        "фирма",
        "магазин",
    }
)
TURKIC_PATRONYMIC = {
    "оглы": "m",
    "оглу": "m",
    "улы": "m",
    "ogly": "m",
    "oglu": "m",
    "uly": "m",
    "кызы": "f",
    "гызы": "f",
    "kyzy": "f",
    "kizi": "f",
    "qizi": "f",
}
"""Words that turn the preceding name into a patronymic (Гусейн оглы), with its gender."""

PATRONYMIC_SUFFIXES = re.compile(
    r"^(?:[а-яё-]{2,}(?:ович|евич|ьич|овна|евна|ична)|ильич|кузьмич|лукич|фомич|саввич|никитич"
    r"|[a-z-]{2,}(?:ovich|evich|ovitch|evitch|ovna|evna|ichna|ievna))$"
)
_PATRONYMIC_FEMALE = re.compile(r"(?:вна|чна|vna|chna)$")
SURNAME_SUFFIXES: tuple[tuple[re.Pattern[str], str | None, int], ...] = tuple(
    (re.compile(pattern), gender, strength)
    for pattern, gender, strength in (
        (r"(?:ова|ева|ёва|ина|ына|ская|цкая)$", "f", 2),
        (r"(?:ов|ев|ёв|ин|ын|ский|цкий|ской|цкой)$", "m", 2),
        (r"(?:енко|чук|швили|дзе|янц)$", None, 2),
        (r"(?:ая)$", "f", 1),
        (r"(?:ый|ий|ой)$", "m", 1),
        (r"(?:ко|ук|юк|ич|ян|ях|их|ых|ман|ер|иа|ия)$", None, 1),
        (r"(?:ova|eva|ina|yna|owa|ewa|skaya|skaia|skaja|tskaya)$", "f", 2),
        (r"(?:ov|ev|in|yn|ow|ew|off|eff|sky|skiy|skii|ski|skoy|skoi)$", "m", 2),
        (r"(?:enko|chuk|shvili|dze|yants)$", None, 2),
        (r"(?:aya)$", "f", 1),
        (r"(?:iy|yi)$", "m", 1),
        (r"(?:ko|uk|yuk|ich|yan|ian|ikh|ykh|man|er)$", None, 1),
    )
)
"""Surname endings, the gender they imply (None: either) and how sure they are (2: distinctive)."""
_FEMININE_SURNAME = re.compile(r"(?:ова|ева|ёва|ина|ына)$")
"""Feminine surnames that are also the masculine genitive (Кузнецова: she, or "of Кузнецов")."""
DECLINED_ENDINGS = re.compile(r"(?:ой|ому|ого|ым|им|ую|ою|ову|еву|ёву|ину|ыну|ей|ем|ом|у|ю|е|и|ы)$")
"""Endings of a Cyrillic word that may be an oblique case (Ивановой, Петрову, Ивану, Марии):
only such words, when no dictionary knows them as they stand, are sent to pymorphy3."""

_LAYOUT_LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~"
_LAYOUT_CYRILLIC = "йцукенгшщзхъфывапролджэячсмитьбюёЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
_TO_CYRILLIC_LAYOUT = str.maketrans(_LAYOUT_LATIN, _LAYOUT_CYRILLIC)
_TO_LATIN_LAYOUT = str.maketrans(_LAYOUT_CYRILLIC, _LAYOUT_LATIN)
_LAYOUT_TEXT = re.compile(r"^[A-Za-z\[\]{};:'\",.<>`~ -]+$")
_LAYOUT_PUNCT_INSIDE = re.compile(
    r"[A-Za-z][\[\]{};:'\",<>`~][A-Za-z]|^[\[\]{};:'\"<>`~]|[\[\]{};:'\"<>`~,]$"
)
"""Keys that are Cyrillic letters in the other layout (х ъ ж э б ю ё) inside or around a word."""
_CYRILLIC_TEXT = re.compile(r"^[А-Яа-яЁё -]+$")
_LATIN_VOWELS = re.compile(r"[aeiouyAEIOUY]")
_CYRILLIC_VOWELS = re.compile(r"[аеёиоуыэюяАЕЁИОУЫЭЮЯ]")
_BAD_CYRILLIC = re.compile(r"^[ьъыЬЪЫ]|[ьъ][ьъ]|[йьъ][ыьъ]|[аеёиоуыэюя][ьъ]", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]")

_EMAIL = re.compile(r"\S+@\S+\.\S+")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b(?:vk\.com|vk\.ru|t\.me|instagram\.com|ok\.ru|"
    r"facebook\.com|wa\.me)/\S*",
    re.IGNORECASE,
)
_AT_HANDLE = re.compile(r"(?<![\w.])@[\w.]+")
_PHONE = re.compile(r"\+?\d[\d\s\-().]{5,}\d")
_HANDLE_TOKEN = re.compile(r"[A-Za-z]+(?:_+[A-Za-z0-9]+)+|[A-Za-z]+\d+|\d+[A-Za-z]+")
_IDENTIFIER = re.compile(r"^[a-z0-9]*[a-z]{2}[a-z0-9]*(?:[._-]+[a-z0-9]+)*[._-]*$")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}")
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")
_LATIN_WORD = re.compile(r"^[A-Za-z'’.-]+$")
_CYRILLIC_LETTER = re.compile(r"[А-Яа-яЁё]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


# --- morphology (pymorphy3, loaded on first need) -----------------------------------------------
@dataclass(frozen=True, slots=True)
class _Form:
    """One reading of a word as a name part: its nominative, kind, gender and case."""

    nominative: str
    kind: str  # "Surn" | "Name" | "Patr"
    gender: str | None  # "m" | "f" | None
    case: str
    known: bool  # the dictionary has the word (not a guess from its ending)


_MORPH: list[Any] = []
_KINDS = ("Surn", "Name", "Patr")


def _analyzer() -> Any | None:
    if not _MORPH:
        try:
            import pymorphy3

            _MORPH.append(pymorphy3.MorphAnalyzer(lang="ru"))
        except Exception:  # no morphology dictionary: declined forms stay as written
            _MORPH.append(None)
    return _MORPH[0]


@lru_cache(maxsize=1 << 15)
def _forms(word: str) -> tuple[_Form, ...]:
    """pymorphy3's singular name readings of a lowercase Cyrillic word, best first."""
    morph = _analyzer()
    if morph is None:
        return ()
    out: list[_Form] = []
    try:
        for parse in morph.parse(word):
            grammemes = parse.tag.grammemes
            kind = next((k for k in _KINDS if k in grammemes), None)
            if kind is None or "sing" not in grammemes:
                continue
            nominative = parse.inflect({"nomn", "sing"})
            gender = "m" if "masc" in grammemes else "f" if "femn" in grammemes else None
            known = type(parse.methods_stack[0][0]).__name__ == "DictionaryAnalyzer" and (
                len(parse.methods_stack) == 1
            )
            out.append(
                _Form(
                    nominative.word if nominative else parse.normal_form,
                    kind,
                    gender,
                    str(parse.tag.case),
                    known,
                )
            )
    except Exception:  # pymorphy3 on odd input: no readings
        return ()
    return tuple(out)


@lru_cache(maxsize=1 << 15)
def _is_known_word(word: str) -> bool:
    """The morphology dictionary has this lowercase Cyrillic word (any part of speech)."""
    morph = _analyzer()
    try:
        return bool(morph is not None and morph.word_is_known(word))
    except Exception:
        return False


def _known_name_word(word: str) -> bool:
    """A lowercase Cyrillic word the morphology dictionary lists as a name part (nominative)."""
    return _is_known_word(word) and any(f.known and f.case == "nomn" for f in _forms(word))


def _case_form(
    word: str, case: str | None, gender: str | None, kinds: tuple[str, ...]
) -> _Form | None:
    """The reading of ``word`` in ``case`` (and ``gender``) among ``kinds``; best one if no case."""
    forms = [f for f in _forms(_fold(word)) if f.kind in kinds]
    if case is not None:
        forms = [f for f in forms if f.case == case or {f.case, case} <= {"gent", "accs"}]
    if gender is not None:
        forms = [f for f in forms if f.gender in (gender, None)] or forms
    return forms[0] if forms else None


def _restore_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


# --- parsing helpers ----------------------------------------------------------------------------
@lru_cache(maxsize=1 << 16)
def _surname_gender(word: str) -> tuple[int, str | None]:
    """How surname-like ``word``'s ending is (0, 1 or 2) and the gender it implies."""
    folded = _fold(word)
    if len(folded) < 4:
        return 0, None
    for pattern, gender, strength in SURNAME_SUFFIXES:
        if pattern.search(folded):
            return strength, gender
    return 0, None


@lru_cache(maxsize=1 << 16)
def _is_patronymic(word: str) -> bool:
    return bool(PATRONYMIC_SUFFIXES.match(_fold(word)))


def _listed_patronymic(word: str) -> bool:
    """The morphology dictionary lists the word (read into Cyrillic if Latin) as a patronymic."""
    folded = _fold(word)
    cyrillic = _latin_to_cyrillic(folded) if folded.isascii() else folded
    return any(f.kind == "Patr" and f.known for f in _forms(cyrillic))


def _patronymic_at(words: list[str], i: int) -> bool:
    """``words[i]`` is the patronymic: it has a patronymic's ending, follows a given name of its
    gender (Имя Отчество, in every Russian order of the three parts), and either the name has
    three words or the dictionary lists it as a patronymic. Otherwise an -ович/-евич word is a
    surname: Абрамович Роман Аркадьевич, Анна Ковалевич, Илья Лукашевич."""
    word = words[i]
    if i == 0 or not _is_patronymic(word):
        return False
    before = _any_given(words[i - 1])
    if not before:
        return False
    gender = "f" if _PATRONYMIC_FEMALE.search(_fold(word)) else "m"
    if all(g.gender != gender for g in before):
        return False
    return len(words) >= 3 or _listed_patronymic(word)


def _looks_like_names(words: list[str]) -> bool:
    """Some word is a known given name or has a distinctive surname or patronymic ending."""
    return any(
        _any_given(w) or _is_patronymic(w) or _surname_gender(w)[0] == 2
        for w in words
        if len(w) >= 2
    )


def _cyrillic_plausible(word: str) -> bool:
    letters = _LETTERS.findall(word)
    vowels = len(_CYRILLIC_VOWELS.findall(word))
    return bool(letters) and 0.2 <= vowels / len(letters) <= 0.75 and not _BAD_CYRILLIC.search(word)


def _name_evidence(word: str, ask_morphology: bool) -> int:
    """How sure it is that a Cyrillic word is a name part: 2 given-name dictionary or
    patronymic, 1 distinctive surname ending or (when asked) a name the morphology dictionary
    lists, 0 none."""
    if not _cyrillic_plausible(word):
        return 0
    if GIVEN_NAMES.get(_fold(word)) or _is_patronymic(word):
        return 2
    if _surname_gender(word)[0] == 2:
        return 1
    return 1 if ask_morphology and _known_name_word(_fold(word)) else 0


def _fix_layout(text: str, flags: set[str]) -> str:
    """Text typed in the wrong keyboard layout ("Bdfy Bdfyjd" → "Иван Иванов"), else unchanged.

    Latin → Cyrillic when no Latin word is a known name and the Cyrillic reading has a given name
    or patronymic from the dictionary, or, when the Latin form is implausible (few vowels, layout
    punctuation inside a word), a distinctive surname ending or a name pymorphy3 lists.
    Cyrillic → Latin when no Cyrillic word looks like a name and the Latin reading has a known
    (Russian or Western) given name.
    """
    if _LAYOUT_TEXT.match(text):
        words = text.split()
        if any(_any_given(w) for w in words if _LATIN_WORD.match(w) and len(w) >= 2):
            return text
        converted = text.translate(_TO_CYRILLIC_LAYOUT)
        cyr_words = [w for w in converted.split() if len(w.strip(".-")) >= 2]
        if not cyr_words:
            return text
        letters = _LETTERS.findall(text)
        vowel_ratio = len(_LATIN_VOWELS.findall(text)) / max(len(letters), 1)
        implausible = vowel_ratio <= 0.3 or any(_LAYOUT_PUNCT_INSIDE.search(w) for w in words)
        evidence = [_name_evidence(w.strip(".-"), implausible) for w in cyr_words]
        if max(evidence) == 2 or (implausible and max(evidence) >= 1):
            flags.add("wrong_layout")
            return converted
    elif _CYRILLIC_TEXT.match(text):
        words = text.split()
        if _looks_like_names(words):
            return text
        converted = text.translate(_TO_LATIN_LAYOUT)
        latin_words = converted.split()
        if (
            all(_LATIN_WORD.match(w) for w in latin_words)
            and any(_any_given(w) for w in latin_words if len(w) >= 3)
            and not any(_known_name_word(_fold(w)) or _is_known_word(_fold(w)) for w in words)
        ):
            flags.add("wrong_layout")
            return converted
    return text


def _fix_homoglyphs(token: str, flags: set[str]) -> str:
    """A token mixing scripts made one script (Иванoв with a Latin o → Иванов)."""
    if not is_mixed_script(token):
        return token
    flags.add("mixed_script")
    cyrillic = len(_CYRILLIC_LETTER.findall(token))
    latin = len(_LATIN_LETTER.findall(token))
    order = (to_cyrillic, to_latin) if cyrillic >= latin else (to_latin, to_cyrillic)
    for convert in order:
        fixed = convert(token)
        if fixed is not None:
            return fixed
    return token


def _strip_evidence(text: str, flags: set[str]) -> str:
    """Text with e-mails, links, @handles and phones typed into a name cut out (and flagged)."""
    for pattern, flag in (
        (_EMAIL, "email_as_name"),
        (_URL, "handle_as_name"),
        (_AT_HANDLE, "handle_as_name"),
        (_PHONE, "phone_as_name"),
    ):
        if pattern.search(text):
            flags.add(flag)
            text = pattern.sub(" ", text)
    if _HANDLE_TOKEN.search(text):
        flags.add("handle_as_name")
    return text


def _title(word: str) -> str:
    return word.title() if word.isupper() else word


@dataclass(slots=True)
class _Token:
    text: str
    initial: bool


def _tokens(text: str, flags: set[str]) -> list[_Token]:
    out: list[_Token] = []
    for raw in _TOKEN.findall(text.replace("_", " ")):
        word = _fix_homoglyphs(raw.rstrip("."), flags)
        folded = _fold(word)
        if not word or folded in HONORIFICS:
            continue
        if folded in ORGANIZATION_WORDS:
            flags.add("organization")
            continue
        out.append(_Token(word, len(word) == 1))
    return out


def _split_caps_initials(tokens: list[_Token]) -> list[_Token]:
    """ "Чернышёв ОА": two or three capitals beside a written word are initials, not a name."""
    out: list[_Token] = []
    for t in tokens:
        if (
            2 <= len(t.text) <= 3
            and t.text.isalpha()
            and t.text.isupper()
            and not _any_given(t.text)
        ):
            out.extend(_Token(c, True) for c in t.text)
        else:
            out.append(t)
    return out


def _drop_no_name_words(tokens: list[_Token], flags: set[str]) -> list[_Token]:
    """Tokens without labels and pet names, when a real name word remains beside them."""
    kept = [t for t in tokens if _fold(t.text) not in DROPPED_WORDS]
    if len(kept) == len(tokens) or not any(not t.initial for t in kept):
        return tokens
    for t in tokens:
        kind = NO_NAME_WORDS.get(_fold(t.text))
        if kind == "label":
            flags.add("placeholder")
        elif kind == "endearment":
            flags.add("endearment")
    return kept


_SURNAME_DECLINED = re.compile(r"(?:ой|ому|ого|ым|им|ую|ою|ову|еву|ёву|ину|ыну)$")
"""Oblique endings of Russian surnames (Ивановой, Петрову, Высоцким): pymorphy3's guess for an
unlisted surname with such an ending is trusted; other words must be in its dictionary."""


@lru_cache(maxsize=1 << 16)
def _oblique(word: str) -> bool:
    folded = _fold(word)
    return len(folded) >= 4 and bool(
        DECLINED_ENDINGS.search(folded) or (folded[-1] in "ая" and _surname_gender(folded)[0] == 0)
    )


def _nominative(tokens: list[_Token], flags: set[str]) -> None:
    """Declined Cyrillic words put back in the nominative, in place ("Ивановой Марии").

    A declined given name or patronymic sets the case (and gender) the surname is read in, so
    "Кузнецова Ивана" is Кузнецов; a surname with a nominative reading of its own (Толстой) is
    left alone unless such a case says otherwise.
    """
    words = [
        t
        for t in tokens
        if not t.initial
        and _CYRILLIC_TEXT.match(t.text)
        and not GIVEN_NAMES.get(_fold(t.text))
        and not _is_patronymic(t.text)
    ]
    if not words or not any(_oblique(t.text) for t in words):
        return
    case = gender = None
    for t in words:
        if not _oblique(t.text) or _given_candidates(t.text) and _fold(t.text)[-1] not in "иуюе":
            continue
        folded = _fold(t.text)
        if not _is_known_word(folded):
            continue
        forms = [
            f
            for f in _forms(folded)
            if f.kind in ("Name", "Patr")
            and f.known
            and f.case != "nomn"
            and _fold(f.nominative) != folded
            and (f.kind == "Patr" or GIVEN_NAMES.get(_fold(f.nominative)))
        ]
        if forms:  # Анне is Анна's dative (not the French Anne), Ивана is Иван's genitive
            case, gender = forms[0].case, forms[0].gender
            t.text = _restore_case(forms[0].nominative, t.text)
            flags.add("declined")
            break
    for t in words:
        folded = _fold(t.text)
        if case is None and not _SURNAME_DECLINED.search(folded):
            continue
        if case is None and any(f.kind == "Surn" and f.case == "nomn" for f in _forms(folded)):
            continue  # Толстой, Лановой: nominative as written
        form = _case_form(folded, case, gender, ("Surn",))
        if (
            form is None
            or form.case == "nomn"
            or not (form.known or _SURNAME_DECLINED.search(folded) or case is not None)
        ):
            continue
        t.text = _restore_case(form.nominative, t.text)
        flags.add("declined")


def _masculine_surname(surname: str) -> str | None:
    """Кузнецова beside a man's name: the masculine genitive, so Кузнецов; else None."""
    if not _FEMININE_SURNAME.search(_fold(surname)) or not _CYRILLIC_TEXT.match(surname):
        return None
    form = _case_form(_fold(surname), "gent", "m", ("Surn",))
    if form is None or form.gender != "m":
        return None
    return _restore_case(form.nominative, surname)


# --- the parser ---------------------------------------------------------------------------------
def _normalize_text(text: str) -> NameKey | None:
    cleaned = clean_text(text)
    if cleaned is None or cleaned.startswith("="):
        return None
    if cleaned.isascii() and cleaned.islower() and _IDENTIFIER.match(cleaned):
        found = _from_identifier(cleaned)
        if found is not None:
            return found
    flags = set(text_flags(text) & {"zero_width", "bidi", "mojibake", "emoji", "control"})
    rest = _strip_evidence(cleaned, flags)
    rest = _fix_layout(" ".join(rest.split()), flags)
    unbracketed = _BRACKETED.sub(" ", rest)
    if unbracketed != rest and _TOKEN.search(unbracketed):
        flags.add("annotated")
        rest = unbracketed
    tokens = _tokens(rest, flags)
    words = [t for t in tokens if not t.initial]
    if not words or all(_fold(t.text) in PLACEHOLDER_WORDS for t in words):
        return None
    tokens = _drop_no_name_words(tokens, flags)
    words = [t for t in tokens if not t.initial]
    letters = "".join(t.text for t in tokens)
    if len(letters) >= 2 and letters.isupper() and len(words[0].text) > 1:
        flags.add("all_caps")
    elif len(words) > 1:
        tokens = _split_caps_initials(tokens)
    for t in tokens:
        t.text = _title(t.text) if "all_caps" in flags else t.text
    if any(t.initial for t in tokens):
        flags.add("initials")
    scripts = {"cyrillic" if _CYRILLIC_LETTER.search(t.text) else "latin" for t in tokens}
    if len(scripts) > 1:
        flags.add("mixed_script")
    _nominative(tokens, flags)
    result = _parse(tokens, flags)
    if (
        "handle_as_name" in flags
        and len(words) == 1
        and not (result.given_key or result.patronymic or _surname_gender(words[0].text)[0] == 2)
    ):
        return None  # "cherry_74", "hunter_621": a nickname, no name evidence
    return result


def _join_turkic(tokens: list[_Token]) -> tuple[list[_Token], str | None, str | None]:
    """Tokens without a Turkic patronymic ("Гусейн оглы"), that patronymic and its gender."""
    for i, t in enumerate(tokens):
        gender = TURKIC_PATRONYMIC.get(_fold(t.text))
        if gender and i > 0:
            patronymic = f"{tokens[i - 1].text} {t.text.lower()}"
            return tokens[: i - 1] + tokens[i + 1 :], patronymic, gender
    return tokens, None, None


def _parse(tokens: list[_Token], flags: set[str]) -> NameKey:
    display = " ".join(t.text + ("." if t.initial else "") for t in tokens)
    tokens, patronymic, gender = _join_turkic(tokens)
    initials = [t.text for t in tokens if t.initial]
    words = [t.text for t in tokens if not t.initial]

    if patronymic is None and len(words) >= 2:
        for i, w in enumerate(words):
            if _patronymic_at(words, i):
                patronymic = words.pop(i)
                gender = "f" if _PATRONYMIC_FEMALE.search(_fold(w)) else "m"
                break

    given, surname, surname_initial = _assign(words, initials, patronymic is not None, flags)
    if given is None and surname is None and len(words) == 1 and patronymic is not None:
        given = words[0]

    given_gender = None
    if given and len(given) > 1:
        given_gender = _canonical(given, None)[1]
    if surname and (gender or given_gender) == "m":
        masculine = _masculine_surname(surname)
        if masculine is not None:
            surname = masculine
            flags.add("declined")
    surname_gender = _surname_gender(surname)[1] if surname else None
    gender = gender or given_gender or surname_gender
    canonical, _, western = (
        _canonical(given, gender) if given and len(given) > 1 else (None, None, False)
    )

    given_is_initial = given is not None and len(given) == 1
    given_key = None
    if given and not given_is_initial:
        given_key = name_skeleton(canonical or given)
    surname_key = _surname_key(surname) if surname else None
    if given is None and surname is None:
        key = " ".join(sorted(s for s in (name_skeleton(w) for w in words) if s))
        flags.add("unparsed")
    else:
        parts = [
            given_key or (name_skeleton(given)[:1] if given else ""),
            _person_surname(surname) if surname else "",
        ]
        key = " ".join(p for p in parts if p)
    return NameKey(
        display=display,
        given=given,
        patronymic=patronymic,
        surname=surname,
        given_canonical=None if western else canonical,
        key=key,
        given_key=given_key,
        surname_key=surname_key or None,
        gender=gender,
        flags=frozenset(flags),
        surname_initial=surname_initial,
    )


def _assign(
    words: list[str], initials: list[str], has_patronymic: bool, flags: set[str]
) -> tuple[str | None, str | None, str | None]:
    """(given, surname, surname initial) among the full words; initials fill the gaps.

    A word is a given name when the dictionary knows it, a surname by its ending; when neither
    tells two words apart, the name stays unparsed (None, None) rather than guess the order.
    A lone word beside initials: a dictionary given name (Юлия, Марина, Дмитрий: their endings
    look like surnames, the dictionary wins) takes the initial as its surname's ("Юлия Б."), any
    other word is a surname with a given initial ("Иванов И.И.", "I. Ivanov").
    """
    if not words:
        return None, None, None
    if len(words) == 1:
        w = words[0]
        if initials:
            if _is_given_word(w):
                return w, None, initials[-1].upper()
            return initials[0], w, None
        if has_patronymic or _is_given(w):
            return w, None, None
        if _surname_gender(w)[0]:
            return None, w, None
        return None, None, None
    if len(words) > 2:
        flags.add("extra_tokens")
    given = [_is_given(w) for w in words]
    surname = [_surname_gender(w)[0] for w in words]
    # Score each ordered (given, surname) pair; the best unique pair wins.
    scored = []
    for gi in range(len(words)):
        for si in range(len(words)):
            if gi == si:
                continue
            score = 3 * given[gi] - 3 * given[si] + surname[si] - surname[gi]
            scored.append((score, gi, si))
    scored.sort(key=lambda x: -x[0])
    best = scored[0]
    if best[0] <= 0 or (len(scored) > 1 and scored[1][0] == best[0] and len(words) == 2):
        if best[0] == 0 and given[0] and given[1]:
            return words[0], words[1], None  # two given names (Роман Марк): the written order
        return None, None, None
    return words[best[1]], words[best[2]], None


@lru_cache(maxsize=1 << 16)
def _is_given(word: str) -> bool:
    return all(_any_given(part) for part in word.split("-"))


@lru_cache(maxsize=1 << 16)
def _is_given_word(word: str) -> bool:
    """A given name for sure: listed as written, or only its skeleton/diminutive matches and its
    ending is not a distinctive surname's."""
    if all(GIVEN_NAMES.get(_fold(p)) or WESTERN_NAMES.get(_fold(p)) for p in word.split("-")):
        return True
    return _is_given(word) and _surname_gender(word)[0] < 2


@lru_cache(maxsize=1 << 16)
def _canonical(given: str, gender: str | None) -> tuple[str | None, str | None, bool]:
    """The canonical given name (hyphenated names part by part), its dictionary gender and
    whether it is a Western name (kept as itself)."""
    parts = [_any_given(p) for p in given.split("-")]
    if not all(parts):
        return None, None, False
    picked = [_pick_given(c, gender) for c in parts]
    western = any(c[0].western for c in parts)
    return "-".join(c for c, _ in picked), picked[0][1], western


@lru_cache(maxsize=1 << 17)
def _normalize_cached(text: str) -> NameKey | None:
    try:
        return _normalize_text(text)
    except Exception:  # a pure function that never raises: an unforeseen input is no evidence
        return None


def normalize_name(raw: object) -> NameKey | None:
    """A parsed name with comparison keys, or ``None`` when the cell is no evidence of a name.

    ``None`` for empty cells, placeholders and labels ("Клиент", "Unknown", "Telegram user",
    "Звонящий", "Пользователь 123", "no name"), pet names and kinship words alone ("Зайка",
    "Мамуля", "honey"), digits only, a phone, e-mail or link typed as the name, a nickname with
    no name in it ("hunter_621"), spreadsheet formulas and text over 1000 characters.

    Otherwise: homoglyphs and wrong keyboard layout are repaired; phones/e-mails/handles beside a
    real name are cut out and flagged; labels and pet names beside a real name are dropped
    ("Клиент Иван Петров", "Зайка Маша"); given name, patronymic and surname are found in any
    order ("Иванов Иван Иванович", "Иван Иванов", "Иванов И.И.", "I. Ivanov", "Юлия Б.": given
    name with ``surname_initial`` "Б"); declined forms go back to the nominative keeping gender
    (Ивановой → Иванова, Петрову Ивану → Петров), and a feminine-looking surname beside a man's
    name is his genitive (Кузнецова Ивана → Кузнецов); diminutives map to the full given name;
    an identifier typed as the name ("savelev.alexey", "ivan_petrov") is read by
    ``name_from_identifier`` (flag ``from_identifier``).

    ``key`` is the person key ("given surname", the surname's gender kept: Иванов ≠ Иванова);
    ``surname_key`` the family key (gender folded: Иванов = Иванова). Never raises.
    """
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else clean_text(raw)
    if text is None or len(text) > 4000:
        return None
    return _normalize_cached(text)


# --- names in e-mail local parts and nicknames --------------------------------------------------
_ID_SPLIT = re.compile(r"[^a-z]+")
_LATIN_CHUNK = re.compile(r"shch|sch|zh|kh|ts|ch|sh|yu|iu|ju|ya|ja|yo|jo|ye|je|ia|aia|[a-z]")
_LATIN_TO_CYRILLIC = {
    "shch": "щ",
    "sch": "щ",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "ch": "ч",
    "sh": "ш",
    "yu": "ю",
    "iu": "ю",
    "ju": "ю",
    "ya": "я",
    "ja": "я",
    "yo": "ё",
    "jo": "ё",
    "ye": "е",
    "je": "е",
    "ia": "ия",
    "aia": "ая",
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "z": "з",
}
"""Latin chunks → Cyrillic, to ask the morphology dictionary about a transliterated surname."""
_SURNAME_ENDING = re.compile(r"(?:ова|ева|ёва|ина|ына|ская|цкая|ский|цкий|ской|ов|ев|ёв|ин|ын)$")


@lru_cache(maxsize=1 << 14)
def _latin_to_cyrillic(word: str) -> str:
    out: list[str] = []
    for chunk in _LATIN_CHUNK.findall(word):
        if chunk == "y":  # й after a vowel (Sergey, Yuriy), else ы (Bykov)
            out.append("й" if out and out[-1][-1] in "аеёиоуыэюяй" else "ы")
        elif chunk == "ia" and not out:
            out.append("я")
        else:
            out.append(_LATIN_TO_CYRILLIC[chunk])
    return "".join(out)


# How Russian sounds are spelled in Latin by the systems people use besides the passport's and
# BGN's (which ``_latin_to_cyrillic`` reads): each system's spellings that differ, and the marks
# that show a word may be written in it. A word is read in a system only when it bears one of
# its marks, so that "Khasanova" is never read the German way (s = З) into another surname.
_BASE_READING: dict[str, str | tuple[str, ...]] = {
    **dict(zip("abdefghijklmnopqrstuvwyz", "абдефгхийклмнопкрстуввыз", strict=True)),
    "c": "к",
    "x": "кс",
    **dict.fromkeys(("yu", "ju", "iu"), "ю"),
    **dict.fromkeys(("ya", "ja"), "я"),
    **dict.fromkeys(("yo", "jo"), "ё"),
    **dict.fromkeys(("ye", "je"), "е"),
    **{"zh": "ж", "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "shch": "щ"},
}
TRANSLITERATION_SYSTEMS: dict[str, tuple[str, dict[str, str | tuple[str, ...]]]] = {
    # Kusnezow, Michajlow, Tschernow, Schtscherbakow, Dshaparidse
    "german": (
        r"w|sch|tz|dsh",
        {
            "w": "в",
            "z": "ц",
            "tz": "ц",
            "s": ("з", "с"),  # Sajzew, Smirnow
            "ss": "с",
            "sch": ("ш", "ж"),  # Schukin = Шукин, Schukow = Жуков
            "schtsch": "щ",
            "tsch": "ч",
            "dsch": "дж",
            "dsh": "дж",
            "sh": "ж",
            "ch": "х",
            "j": "й",
        },
    ),
    # Michajłow without its diacritics, Czernow, Szczukin, Kowalczyk; soft vowels after a
    # consonant: Siergiej, Fiodor, Diomin, Lubow
    "polish": (
        r"w|cz|sz|rz|(?<=[bcdfghklmnprstvz])i[aeou]",
        {
            "w": "в",
            "c": "ц",
            "cz": "ч",
            "sz": "ш",
            "szcz": "щ",
            "rz": "ж",
            "z": ("з", "ж"),  # ż typed without its dot: Zukow, Zdanow
            "ch": "х",
            "j": "й",
            "ia": "я",
            "ie": "е",
            "io": "ё",
            "iu": "ю",
            # ля, лю, лё are la, lu, lo (Polakow, Bielajew)
            "la": ("ла", "ля"),
            "lu": ("лу", "лю"),
            "lo": ("ло", "лё"),
        },
    ),
    # Joukov, Chtchoukine, Tchaikovski, Soloviov, Jdanov, Sergueiev
    "french": (
        r"ou|tch|io|gu[ei]|^ie|j(?=[bcdfghklmnprstvz])",
        {
            "io": ("ё", "ьё"),  # Diomin, Soloviov
            "ie": "е",  # Ievguenia
            "gue": "ге",  # Sergueï, Evguenia
            "gui": "ги",
            "ou": "у",
            "ch": "ш",
            "tch": "ч",
            "chtch": "щ",
            "j": "ж",
            "ss": "с",
            "s": ("с", "з"),  # з between vowels
            "iou": "ю",
            "jou": "жу",
            "ja": "жа",
            "je": "же",
            "jo": "жо",
            "ju": "жю",
            "ia": ("я", "ия"),  # Ievguenia, Maria
            "ine": "ин",
            "ff": "в",
        },
    ),
    # Kuznecov, Cvetkov: scholarly and Czech-style c = Ц without its diacritics
    "scholarly": (r"c(?![hkz])", {"c": "ц"}),
}
_SYSTEM_TABLES = {
    name: (re.compile(marks), table, re.compile("|".join(sorted(table, key=len, reverse=True))))
    for name, (marks, extra) in TRANSLITERATION_SYSTEMS.items()
    for table in [{**_BASE_READING, **extra}]
}


def _read_in(
    word: str, table: dict[str, str | tuple[str, ...]], chunk: re.Pattern[str]
) -> list[str]:
    """The Cyrillic readings of ``word`` in one system (several where a spelling stands for
    more than one sound, as German sch for Ш and Ж; at most ``MAX_READINGS``, else the first
    sound of each); none when a letter is not in its table."""
    parts = chunk.findall(word)
    if "".join(parts) != word:
        return []
    options = [(v,) if isinstance(v := table[p], str) else v for p in parts]
    if math.prod(len(o) for o in options) > MAX_READINGS:
        return ["".join(o[0] for o in options)]
    return ["".join(reading) for reading in itertools.product(*options)]


def _readings(word: str) -> Iterator[str]:
    """The Cyrillic readings of a lowercase Latin word of 4 letters or more, system by system,
    in each ``TRANSLITERATION_SYSTEMS`` whose marks it bears (none for any other word)."""
    if len(word) < 4 or not word.isascii() or not word.isalpha():
        return
    for marks, table, chunk in _SYSTEM_TABLES.values():
        if marks.search(word):
            yield from _read_in(word, table, chunk)


# Readings of one word tried at most (a name has a few ambiguous spellings; a long nickname of
# s after s would otherwise give 2**n of them)
MAX_READINGS = 16


@lru_cache(maxsize=1 << 16)
def surname_reading(token: str) -> str | None:
    """A Latin-written surname read back into Cyrillic by the first transliteration system
    whose marks it bears (``TRANSLITERATION_SYSTEMS``) and in which the morphology dictionary
    lists it as a surname; None when its passport/BGN reading is listed already (the skeleton
    folds those), or no system gives a listed surname. German, Polish, French and scholarly
    spellings of one surname then share one key with the passport's: Kusnezow, Kuznecov →
    Кузнецов; Michajlow → Михайлов; Czernow → Чернов."""
    word = token.lower().strip(".")
    readings = _readings(word)
    first = next(readings, None)

    def listed(cyrillic: str) -> bool:
        return any(f.kind == "Surn" and f.known for f in _forms(cyrillic))

    if first is None or listed(_latin_to_cyrillic(word)):
        return None
    return next((r for r in itertools.chain((first,), readings) if listed(r)), None)


@lru_cache(maxsize=1 << 14)
def _surname_score(token: str) -> int:
    """How sure a Latin token with a distinctive surname ending is a surname: 2 the morphology
    dictionary lists it as one (Vlasova, Kulikov; Kuznecova, Kusnezowa in another
    transliteration system); 1 its stem is a known word or given name (Khasanova: Хасан); 0
    neither, or no such ending."""
    if len(token) < 4 or _surname_gender(token)[0] < 2:
        return 0
    cyrillic = _latin_to_cyrillic(token)
    if _is_known_word(cyrillic) or surname_reading(token):  # Власова, Куликов; Kuznecova
        return 2
    stem = _SURNAME_ENDING.sub("", cyrillic)
    if len(stem) >= 3 and (_is_known_word(stem) or GIVEN_NAMES.get(stem)):
        return 1
    return 0


def _surname_token(token: str) -> bool:
    """A distinctive surname ending; -in also ends English words (twain, login), so it needs
    the morphology dictionary's backing (Ильин, Фомин)."""
    if len(token) < 4 or _surname_gender(token)[0] < 2:
        return False
    return not token.endswith("in") or _surname_score(token) >= 1


def _given_token(token: str) -> bool:
    return len(token) >= 3 and bool(_given_candidates(token)) and token not in NO_NAME_WORDS


def _identifier_parts(text: str) -> tuple[str | None, str | None, bool] | None:
    """(given or initial, surname, given is an initial) found in an identifier, or None."""
    tokens = [t for t in _ID_SPLIT.split(text) if t]
    words = [t for t in tokens if len(t) > 1]
    if not words or len(words) > 3 or any(t in NO_NAME_WORDS for t in words):
        return None
    givens = [t for t in words if _given_token(t)]
    surnames = [t for t in words if t not in givens and _surname_token(t)]
    if givens and surnames:  # tatyana_moiseeva_98, savelev.alexey
        return givens[0], surnames[0], False
    initials = [t for t in tokens if len(t) == 1]
    if len(words) == 1 and initials and len(words[0]) >= 5 and _surname_gender(words[0])[0] == 2:
        return initials[0], words[0], True  # k-bykova, ivanova.a
    if len(words) != 1:
        return None
    word = words[0]
    whole = _surname_score(word)
    for i in range(3, len(word) - 3):  # oksanadmitrieva, lukyanovroman
        left, right = word[:i], word[i:]
        if _given_token(left) and _surname_score(right) > whole:
            return left, right, False
        if _given_token(right) and _surname_score(left) > whole:
            return right, left, False
    if len(word) >= 6 and _surname_score(word[1:]) > whole:
        return word[0], word[1:], True  # ekhasanova, ikulikov
    if whole == 2 and any(f.kind == "Surn" and f.known for f in _forms(_latin_to_cyrillic(word))):
        return None, word, False  # vlasova1962 (not login, martin)
    return None


@lru_cache(maxsize=1 << 14)
def _from_identifier(text: str) -> NameKey | None:
    parts = _identifier_parts(text)
    if parts is None:
        return None
    given, surname, is_initial = parts
    tokens = []
    if given is not None:
        tokens.append(_Token(given.upper() if is_initial else given.title(), is_initial))
    if surname is not None:
        tokens.append(_Token(surname.title(), False))
    result = _parse(tokens, {"from_identifier"})
    if result.surname is None and result.given is None:
        return None
    return result


def name_from_identifier(text: str) -> NameKey | None:
    """A name read from an e-mail local part, a social handle or a nickname, or ``None``.

    The text (an address's local part is taken, a leading "@" dropped) is split on ``. _ -``
    and digits. A name is given only on strong evidence: a known given name or diminutive plus a
    token with a distinctive surname ending ("tatyana_moiseeva_98", "lukyanov_roman_49",
    "savelev.alexey"); an initial plus such a surname ("k-bykova", "m.vishnevskiy"); one token
    that splits into given name + surname ("oksanadmitrieva") or initial + surname
    ("ekhasanova": the morphology dictionary backs the surname better than the whole token); one
    token the morphology dictionary lists as a surname ("vlasova1962", surname only). Nicknames,
    pet names, roles and lone given names ("kisa.778", "hunter_621", "snab", "info", "tatyana98")
    give ``None``. The result is flagged ``from_identifier``; its Latin words stay as written,
    title-cased. Never raises.
    """
    if not isinstance(text, str) or not text or len(text) > 320:
        return None
    local = text.strip().lower().lstrip("@").split("@", 1)[0]
    if not local or len(local) > 64 or not local.isascii():
        return None
    try:
        return _from_identifier(local)
    except Exception:  # never raises: an unforeseen identifier is no evidence
        return None


def _initial_fits(initial: str, word: str) -> bool:
    """An initial ("К", "k") can begin ``word`` (a surname or given name, either script)."""
    return name_skeleton(initial)[:1] == name_skeleton(word)[:1]


def surname_from_identifier(name: NameKey, found: NameKey) -> NameKey | None:
    """``name`` (typed) completed with the surname of ``found`` (read from the same contact's
    e-mail local part or nickname by ``name_from_identifier``), or ``None`` when they do not fit.

    They fit when the typed name has a given name (not an initial) and no surname, the found one
    has a surname, and nothing conflicts: the found given name is the same canonical name, an
    initial of it, or absent ("vlasova1962"); the typed surname initial ("Максим К.") begins the
    found surname; the given name's gender is not the surname's other one (a mailbox named for a
    wife is no evidence of her husband's surname). Gendered forms stay as found: the person key
    keeps them ("Саша Иванова" is not "Саша Иванов"). Flag ``surname_from_identifier``.
    """
    if name.surname is not None or name.given_key is None:
        return None
    key = completed_key(name.given_key, name.gender, name.surname_initial, found)
    if key is None:
        return None
    return replace(
        name,
        surname=found.surname,
        surname_key=found.surname_key,
        key=key,
        surname_initial=None,
        flags=name.flags | {"surname_from_identifier"},
    )


def completed_key(
    given_key: str, gender: str | None, surname_initial: str | None, found: NameKey
) -> str | None:
    """The person key ``surname_from_identifier`` gives a typed name without a surname, from
    the three things of it that it reads (its ``given_key``, ``gender`` and
    ``surname_initial``), or ``None`` when ``found`` does not fit. The completed name's
    ``given_key`` is the typed one, its ``surname_key`` the found one. The normalize stage
    calls this with the typed name's columns instead of parsing the name cell again."""
    if found.surname is None:
        return None
    if found.given_key is not None and found.given_key != given_key:
        return None
    if found.given_key is None and found.given and not _initial_fits(found.given, given_key):
        return None
    if surname_initial and not _initial_fits(surname_initial, found.surname):
        return None
    surname_gender = _surname_gender(found.surname)[1]
    if gender and surname_gender and gender != surname_gender:
        return None
    return f"{given_key} {_person_surname(found.surname)}"
