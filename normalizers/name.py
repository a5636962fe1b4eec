"""Person names to comparison keys that survive transliteration, diminutives and word order.

``normalize_name`` cleans a name cell (homoglyphs, wrong keyboard layout, phones or e-mails typed
into it, placeholders such as "Клиент"), splits it into given name, patronymic and surname by
dictionary and suffix rules, maps diminutives to the full given name (Ваня → Иван) and builds
phonetic skeleton keys: "Иван Иванов", "Ivan Ivanov", "Ваня Иванов", "Iwan Iwanow" and
"IVANOV IVAN" all get the key ``"ivan ivanov"``.

The given-name dictionary is ``data/dictionaries/given_names.csv``; every other rule is a table
in this module.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from anyascii import anyascii

from normalizers.text import clean_text, is_mixed_script, text_flags, to_cyrillic, to_latin

_DICTIONARIES = Path(__file__).resolve().parents[1] / "data" / "dictionaries"


@dataclass(frozen=True, slots=True)
class NameKey:
    """A parsed person name and its comparison keys."""

    display: str                 # cleaned display form, title-cased if it was ALL CAPS
    given: str | None            # as written, Cyrillic or Latin ("Ваня")
    patronymic: str | None
    surname: str | None
    given_canonical: str | None  # full Cyrillic given name from the dictionary ("Иван")
    key: str                     # skeleton of "given_canonical surname" (all tokens if unparsed)
    given_key: str | None        # skeleton of the canonical (or written) given name
    surname_key: str | None      # skeleton of the surname, gendered ending folded
    gender: str | None           # "m" | "f" | None
    flags: frozenset[str]


# --- the phonetic skeleton ----------------------------------------------------------------------
_CYRILLIC_TO_SKELETON = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i", "ї": "i",
    "є": "e", "ґ": "g", "ў": "u",
})
_CONSONANT = "bcdfghklmnprstvwxz"
SKELETON_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in (
        (rf"(?<=[{_CONSONANT}])[yj]o|^yo", "e"),     # ё written yo/jo: Pyotr, Fjodor, Yolkin
        (r"shch|sch|shh", "sh"),                    # Щ: Shchukin, Schukin, Shukin
        (r"tch", "ch"),                             # Tchaikovsky
        (r"kh", "h"),                               # Х: Mikhail, Mihail
        (r"ph", "f"),                               # Sophia
        (r"ck", "k"),
        (r"x", "ks"),                               # Alexander, Xenia
        (r"q", "k"),
        (r"w", "v"),                                # Iwanow
        (r"c(?![eiyh])", "k"),                      # Victor, Nicolai (Latin c for к)
        (r"t[sz]", "c"),                            # Ц: ts, tz
        (r"[yj]", "i"),                             # Yulia, Julia, Iuliia; Dmitry, Dmitriy
        (r"^ie", "e"),                              # Yelena, Yevgeny, Yegor
        (r"(?<=[aeiou])ie", "e"),                   # Sergeyev, Alekseyev
        (r"ou", "u"),                               # Ioulia
        (r"(.)\1+", r"\1"),                         # double letters: Anna, Filippov, Mariia
        (r"(?<=[oe])f$", "v"),                      # Ivanoff, Petroff
        (r"(?<=[bdgkpstvz])er$", "r"),              # Alexander, Peter
    )
)
"""Ordered (regex, replacement) rules that fold spelling variants of one Latin-lowercase word."""

SURNAME_FOLD_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in (
        (r"(?<=\w{2})(sk|ck)(aia|aa|a|i|oi|ai)$", r"\1"),  # -ский/-ская/-ской, -цкий/-цкая
        (r"(?<=\w{2})(ov|ev|in)a$", r"\1"),                # -ова/-ов, -ева/-ев, -ина/-ин, -ына
        (r"(?<=\w{3})(aia|oi)$", ""),                       # Толстая/Толстой
        (r"(?<=\w{3}[^aeiou])i$", ""),                      # Чёрный (skeleton "cherni")
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


def _surname_key(surname: str) -> str:
    key = name_skeleton(surname)
    for pattern, replacement in SURNAME_FOLD_RULES:
        key = pattern.sub(replacement, key)
    return key


# --- the given-name dictionary ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Given:
    canonical: str
    gender: str


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


def _load_given_names() -> tuple[dict[str, tuple[_Given, ...]], dict[str, tuple[_Given, ...]]]:
    """Word → candidates and skeleton → candidates, in file order (male rows come first)."""
    by_word: dict[str, list[_Given]] = {}
    by_skeleton: dict[str, list[_Given]] = {}
    canonicals: set[str] = set()
    with (_DICTIONARIES / "given_names.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:  # a full name is itself first, whatever variant lists say
        entry = _Given(row["canonical"], row["gender"])
        by_word[_fold(entry.canonical)] = [entry]
        canonicals.add(_fold(entry.canonical))
    for row in rows:
        entry = _Given(row["canonical"], row["gender"])
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
        entry = _Given(row["canonical"], row["gender"])
        own = by_skeleton[name_skeleton(entry.canonical)]
        if own[0] != entry and own[0].canonical != entry.canonical and entry in own:
            own.remove(entry)
            own.insert(0, entry)
    return ({k: tuple(v) for k, v in by_word.items()},
            {k: tuple(v) for k, v in by_skeleton.items()})


GIVEN_NAMES, _GIVEN_BY_SKELETON = _load_given_names()
"""Given name or diminutive (lowercase, ё→е) → full-name candidates, male first."""


def _given_candidates(word: str) -> tuple[_Given, ...]:
    found = GIVEN_NAMES.get(_fold(word))
    if found:
        return found
    skeleton = name_skeleton(word)
    return _GIVEN_BY_SKELETON.get(skeleton, ()) if len(skeleton) >= 3 else ()


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
PLACEHOLDER_WORDS = frozenset({
    "клиент", "клиентка", "гость", "пользователь", "покупатель", "покупательница", "аноним",
    "анонимный", "неизвестный", "неизвестная", "неизвестно", "абонент", "контакт", "заказчик",
    "посетитель", "собеседник", "менеджер", "оператор", "администратор", "админ", "поддержка",
    "тест", "имя", "фамилия", "отчество", "фио", "без", "имени", "нет", "новый", "новая",
    "удален", "удалён", "удалена", "удалённый", "удаленный", "аккаунт", "страница", "ваше",
    "unknown", "user", "guest", "client", "customer", "buyer", "anonymous", "anon", "noname",
    "visitor", "contact", "manager", "operator", "admin", "support", "test", "name", "first",
    "last", "firstname", "lastname", "username", "no", "new", "your", "deleted", "account",
    "telegram", "whatsapp", "vk", "вк", "instagram", "facebook", "viber", "телеграм",
    "инстаграм", "вконтакте", "ватсап", "вотсап",
})
"""Words that, when a name has nothing else, mean "no name" ("Telegram user", "Клиент 123")."""
LEADING_PLACEHOLDERS = frozenset({
    "клиент", "клиентка", "гость", "пользователь", "покупатель", "покупательница", "заказчик",
    "абонент", "контакт", "client", "customer", "guest", "user",
})
"""Placeholder words stripped from the front of a real name ("Клиент Иван Петров")."""
HONORIFICS = frozenset({
    "г-н", "г-жа", "гн", "гжа", "господин", "госпожа", "тов", "mr", "mrs", "ms", "miss", "dr",
    "sir", "уважаемый", "уважаемая",
})
ORGANIZATION_WORDS = frozenset({"ооо", "ип", "зао", "оао", "пао", "ао", "нко", "ltd", "llc", "inc",
                                "gmbh", "компания", "фирма", "магазин"})
TURKIC_PATRONYMIC = {"оглы": "m", "оглу": "m", "улы": "m", "ogly": "m", "oglu": "m", "uly": "m",
                     "кызы": "f", "гызы": "f", "kyzy": "f", "kizi": "f", "qizi": "f"}
"""Words that turn the preceding name into a patronymic (Гусейн оглы), with its gender."""

PATRONYMIC_SUFFIXES = re.compile(
    r"^(?:[а-яё-]{2,}(?:ович|евич|ьич|овна|евна|ична)|ильич|кузьмич|лукич|фомич|саввич|никитич"
    r"|[a-z-]{2,}(?:ovich|evich|ovitch|evitch|ovna|evna|ichna|ievna))$"
)
_PATRONYMIC_FEMALE = re.compile(r"(?:вна|чна|vna|chna)$")
SURNAME_SUFFIXES: tuple[tuple[re.Pattern[str], str | None, int], ...] = tuple(
    (re.compile(pattern), gender, strength) for pattern, gender, strength in (
        (r"(?:ова|ева|ёва|ина|ына|ская|цкая)$", "f", 2),
        (r"(?:ов|ев|ёв|ин|ын|ский|цкий|ской|цкой)$", "m", 2),
        (r"(?:енко|чук|швили|дзе|янц)$", None, 2),
        (r"(?:ая)$", "f", 1),
        (r"(?:ый|ий|ой)$", "m", 1),
        (r"(?:ко|ук|юк|ич|ян|ях|их|ых|ман|ер|иа|ия)$", None, 1),
        (r"(?:ova|eva|ina|yna|skaya|skaia|skaja|tskaya)$", "f", 2),
        (r"(?:ov|ev|in|yn|off|eff|sky|skiy|skii|ski|skoy|skoi)$", "m", 2),
        (r"(?:enko|chuk|shvili|dze|yants)$", None, 2),
        (r"(?:aya)$", "f", 1),
        (r"(?:iy|yi)$", "m", 1),
        (r"(?:ko|uk|yuk|ich|yan|ian|ikh|ykh|man|er)$", None, 1),
    )
)
"""Surname endings, the gender they imply (None: either) and how sure they are (2: distinctive)."""

_LAYOUT_LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~"
_LAYOUT_CYRILLIC = "йцукенгшщзхъфывапролджэячсмитьбюёЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
_TO_CYRILLIC_LAYOUT = str.maketrans(_LAYOUT_LATIN, _LAYOUT_CYRILLIC)
_TO_LATIN_LAYOUT = str.maketrans(_LAYOUT_CYRILLIC, _LAYOUT_LATIN)
_LAYOUT_TEXT = re.compile(r"^[A-Za-z\[\]{};:'\",.<>`~ -]+$")
_CYRILLIC_TEXT = re.compile(r"^[А-Яа-яЁё -]+$")
_LATIN_VOWELS = re.compile(r"[aeiouyAEIOUY]")
_LETTERS = re.compile(r"[^\W\d_]")

_EMAIL = re.compile(r"\S+@\S+\.\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:vk\.com|vk\.ru|t\.me|instagram\.com|ok\.ru|"
                  r"facebook\.com|wa\.me)/\S*", re.IGNORECASE)
_AT_HANDLE = re.compile(r"(?<![\w.])@[\w.]+")
_PHONE = re.compile(r"\+?\d[\d\s\-().]{5,}\d")
_HANDLE_TOKEN = re.compile(r"[A-Za-z]+(?:_+[A-Za-z0-9]+)+|[A-Za-z]+\d+|\d+[A-Za-z]+")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}")
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")
_LATIN_WORD = re.compile(r"^[A-Za-z'’.-]+$")
_CYRILLIC_LETTER = re.compile(r"[А-Яа-яЁё]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


# --- parsing helpers ----------------------------------------------------------------------------
def _surname_gender(word: str) -> tuple[int, str | None]:
    """How surname-like ``word``'s ending is (0, 1 or 2) and the gender it implies."""
    folded = _fold(word)
    if len(folded) < 4:
        return 0, None
    for pattern, gender, strength in SURNAME_SUFFIXES:
        if pattern.search(folded):
            return strength, gender
    return 0, None


def _is_patronymic(word: str) -> bool:
    return bool(PATRONYMIC_SUFFIXES.match(_fold(word)))


def _looks_like_names(words: list[str]) -> bool:
    """Some word is a known given name or has a distinctive surname or patronymic ending."""
    return any(_given_candidates(w) or _is_patronymic(w) or _surname_gender(w)[0] == 2
               for w in words if len(w) >= 2)


def _fix_layout(text: str, flags: set[str]) -> str:
    """Text typed in the wrong keyboard layout ("Bdfy Bdfyjd" → "Иван Иванов"), else unchanged."""
    if _LAYOUT_TEXT.match(text):
        words = text.split()
        if any(_given_candidates(w) for w in words if _LATIN_WORD.match(w) and len(w) >= 2):
            return text
        converted = text.translate(_TO_CYRILLIC_LAYOUT)
        cyr_words = converted.split()
        letters = _LETTERS.findall(text)
        vowel_ratio = len(_LATIN_VOWELS.findall(text)) / max(len(letters), 1)
        known = any(GIVEN_NAMES.get(_fold(w)) for w in cyr_words)
        if known or (vowel_ratio <= 0.3 and _looks_like_names(cyr_words)):
            flags.add("wrong_layout")
            return converted
    elif _CYRILLIC_TEXT.match(text):
        words = text.split()
        if _looks_like_names(words):
            return text
        converted = text.translate(_TO_LATIN_LAYOUT)
        if all(_LATIN_WORD.match(w) for w in converted.split()) and any(
                GIVEN_NAMES.get(_fold(w)) for w in converted.split()):
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
    for pattern, flag in ((_EMAIL, "email_as_name"), (_URL, "handle_as_name"),
                          (_AT_HANDLE, "handle_as_name"), (_PHONE, "phone_as_name")):
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


# --- the parser ---------------------------------------------------------------------------------
def _normalize_text(text: str) -> NameKey | None:
    cleaned = clean_text(text)
    if cleaned is None or cleaned.startswith("="):
        return None
    flags = set(text_flags(text) & {"zero_width", "bidi", "mojibake", "emoji", "control"})
    rest = _strip_evidence(cleaned, flags)
    rest = _fix_layout(" ".join(rest.split()), flags)
    unbracketed = _BRACKETED.sub(" ", rest)
    if unbracketed != rest and _TOKEN.search(unbracketed):
        flags.add("annotated")
        rest = unbracketed
    tokens = _tokens(rest, flags)
    words = [t for t in tokens if not t.initial]
    if not words or all(_fold(t.text) in PLACEHOLDER_WORDS for t in tokens):
        return None
    while tokens and _fold(tokens[0].text) in LEADING_PLACEHOLDERS and len(words) > 1:
        flags.add("placeholder")
        tokens.pop(0)
        words = [t for t in tokens if not t.initial]
    letters = "".join(t.text for t in tokens)
    if len(letters) >= 2 and letters.isupper() and len(words[0].text) > 1:
        flags.add("all_caps")
    for t in tokens:
        t.text = _title(t.text) if "all_caps" in flags else t.text
    if any(t.initial for t in tokens):
        flags.add("initials")
    scripts = {"cyrillic" if _CYRILLIC_LETTER.search(t.text) else "latin" for t in tokens}
    if len(scripts) > 1:
        flags.add("mixed_script")
    return _parse(tokens, flags)


def _join_turkic(tokens: list[_Token]) -> tuple[list[_Token], str | None, str | None]:
    """Tokens without a Turkic patronymic ("Гусейн оглы"), that patronymic and its gender."""
    for i, t in enumerate(tokens):
        gender = TURKIC_PATRONYMIC.get(_fold(t.text))
        if gender and i > 0:
            patronymic = f"{tokens[i - 1].text} {t.text.lower()}"
            return tokens[:i - 1] + tokens[i + 1:], patronymic, gender
    return tokens, None, None


def _parse(tokens: list[_Token], flags: set[str]) -> NameKey:
    display = " ".join(t.text + ("." if t.initial else "") for t in tokens)
    tokens, patronymic, gender = _join_turkic(tokens)
    initials = [t.text for t in tokens if t.initial]
    words = [t.text for t in tokens if not t.initial]

    if patronymic is None and len(words) >= 2:
        for i, w in enumerate(words):
            if (i > 0 or len(words) >= 3) and _is_patronymic(w):
                patronymic = words.pop(i)
                gender = "f" if _PATRONYMIC_FEMALE.search(_fold(w)) else "m"
                break

    given, surname = _assign(words, initials, patronymic is not None, flags)
    if given is None and surname is None and len(words) == 1 and patronymic is not None:
        given = words[0]

    surname_gender = _surname_gender(surname)[1] if surname else None
    given_gender = None
    if given and len(given) > 1:
        given_gender = _canonical(given, None)[1]
    gender = gender or given_gender or surname_gender
    given_canonical = _canonical(given, gender)[0] if given and len(given) > 1 else None

    given_is_initial = given is not None and len(given) == 1
    given_key = None
    if given and not given_is_initial:
        given_key = name_skeleton(given_canonical or given)
    surname_key = _surname_key(surname) if surname else None
    if given is None and surname is None:
        key = " ".join(sorted(s for s in (name_skeleton(w) for w in words) if s))
        flags.add("unparsed")
    else:
        parts = [given_key or (name_skeleton(given)[:1] if given else ""),
                 name_skeleton(surname) if surname else ""]
        key = " ".join(p for p in parts if p)
    return NameKey(
        display=display,
        given=given,
        patronymic=patronymic,
        surname=surname,
        given_canonical=given_canonical,
        key=key,
        given_key=given_key,
        surname_key=surname_key or None,
        gender=gender,
        flags=frozenset(flags),
    )


def _assign(words: list[str], initials: list[str], has_patronymic: bool, flags: set[str]
            ) -> tuple[str | None, str | None]:
    """(given, surname) among the full words; initials stand in for a missing given name.

    A word is a given name when the dictionary knows it, a surname by its ending; when neither
    tells two words apart, the name stays unparsed (None, None) rather than guess the order.
    """
    if not words:
        return None, None
    if len(words) == 1:
        w = words[0]
        if initials and not (_is_given(w) and not _surname_gender(w)[0]):
            return initials[0], w  # "Иванов И.И.", "I. Ivanov"
        if has_patronymic or _is_given(w):
            return w, None
        if _surname_gender(w)[0]:
            return None, w
        return None, None
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
            return words[0], words[1]  # two given names (Роман Марк): keep the written order
        return None, None
    return words[best[1]], words[best[2]]


def _is_given(word: str) -> bool:
    return all(_given_candidates(part) for part in word.split("-"))


def _canonical(given: str, gender: str | None) -> tuple[str | None, str | None]:
    """The canonical given name (hyphenated names part by part) and its dictionary gender."""
    parts = [_given_candidates(p) for p in given.split("-")]
    if not all(parts):
        return None, None
    picked = [_pick_given(c, gender) for c in parts]
    return "-".join(c for c, _ in picked), picked[0][1]


@lru_cache(maxsize=1 << 17)
def _normalize_cached(text: str) -> NameKey | None:
    return _normalize_text(text)


def normalize_name(raw: object) -> NameKey | None:
    """A parsed name with comparison keys, or ``None`` when the cell is no evidence of a name.

    ``None`` for empty cells, placeholders ("Клиент", "Unknown", "Telegram user", "Гость",
    "Пользователь 123", "no name"), digits only, a phone, e-mail or link typed as the name,
    spreadsheet formulas and text over 1000 characters. Otherwise: homoglyphs and wrong keyboard
    layout are repaired; phones/e-mails/handles beside a real name are cut out and flagged;
    given name, patronymic and surname are found in any order ("Иванов Иван Иванович",
    "Иван Иванов", "Иванов И.И.", "I. Ivanov"); diminutives map to the full given name. Never
    raises.
    """
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else clean_text(raw)
    if text is None or len(text) > 4000:
        return None
    return _normalize_cached(text)
