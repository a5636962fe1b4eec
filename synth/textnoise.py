"""Text transformations that produce the ways people (mis)write names: transliteration in
several schemes, wrong keyboard layout, typos, homoglyphs, invisible characters, mojibake.

Written for the generator only (no transliteration library): the resolver under test must not
share a scheme with the data it is measured on.
"""

from __future__ import annotations

from functools import lru_cache
from random import Random

_BASE = {
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
    "й": "y",
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
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Tatar / Central Asian letters that sometimes appear in Cyrillic names
    "ә": "a",
    "ө": "o",
    "ү": "u",
    "ң": "n",
    "ҳ": "h",
    "ў": "o",
    "қ": "k",
    "ғ": "g",
}

# scheme -> (letter table, word-ending rules, "ye" after vowels/at word start)
SCHEMES: dict[str, tuple[dict[str, str], tuple[tuple[str, str], ...], bool]] = {
    # informal BGN-like spelling (Alexey: Aleksey, Yulia: Yuliya)
    "bgn": ({**_BASE, "ё": "yo"}, (("ий", "iy"), ("ый", "y")), False),
    # passports since 2014 (ICAO Doc 9303)
    "icao": ({**_BASE, "й": "i", "ъ": "ie", "ю": "iu", "я": "ia"}, (("ий", "ii"),), False),
    # what people type quickly
    "simple": ({**_BASE, "х": "h", "ц": "c", "щ": "sch"}, (("ий", "y"), ("ый", "y")), False),
    # old German-style spelling (Iwanow, Schtschukin)
    "german": (
        {
            **_BASE,
            "в": "w",
            "ж": "sh",
            "й": "j",
            "х": "ch",
            "ц": "z",
            "ч": "tsch",
            "ш": "sch",
            "щ": "schtsch",
            "ю": "ju",
            "я": "ja",
            "ё": "jo",
            "з": "s",
        },
        (("ов", "ow"), ("ев", "ew"), ("ий", "ij")),
        False,
    ),
    # emigré / English-press spelling (Ivanoff, Yevgeny)
    "ff": ({**_BASE, "ё": "yo"}, (("ов", "off"), ("ев", "eff"), ("ий", "y")), True),
    # lazy chat transliteration (j for ж, u for ю)
    "lazy": (
        {**_BASE, "ж": "j", "х": "h", "ц": "c", "щ": "sh", "й": "i", "ю": "u", "ы": "i", "ч": "ch"},
        (("ий", "iy"),),
        False,
    ),
}
SCHEME_WEIGHTS = (("bgn", 40), ("icao", 15), ("simple", 25), ("german", 3), ("ff", 4), ("lazy", 13))
_VOWELS = set("аеёиоуыэюяьъ")


@lru_cache(maxsize=200_000)
def translit(text: str, scheme: str) -> str:
    """Cyrillic -> Latin in one of ``SCHEMES``; keeps capitalisation of each word."""
    table, endings, ye = SCHEMES[scheme]
    out = []
    for word in text.split(" "):
        low = word.lower()
        tail = ""
        for end, rep in endings:
            if len(low) > len(end) + 1 and low.endswith(end):
                low, tail = low[: -len(end)], rep
                break
        chars = []
        prev = ""
        for ch in low:
            if ch == "е" and ye and (prev == "" or prev in _VOWELS):
                chars.append("ye")
            else:
                chars.append(table.get(ch, ch))
            prev = ch
        lat = "".join(chars) + tail
        if scheme == "simple":
            lat = lat.replace("ks", "x")
        if word[:1].isupper():
            lat = lat.upper() if (len(word) > 1 and word.isupper()) else lat[:1].upper() + lat[1:]
        out.append(lat)
    return " ".join(out)


_RU = "йцукенгшщзхъфывапролджэячсмитьбюёЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
_EN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~"
_LAYOUT = str.maketrans(_RU, _EN)


def wrong_layout(text: str) -> str:
    """Russian text typed with the English layout on: 'Иван' -> 'Bdfy'."""
    return text.translate(_LAYOUT)


# Cyrillic letter -> Latin look-alike, and back
HOMOGLYPHS_CYR2LAT = {
    "а": "a",
    "е": "e",
    "о": "o",
    "с": "c",
    "р": "p",
    "х": "x",
    "у": "y",
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
}
HOMOGLYPHS_LAT2CYR = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "y": "у"}
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u200e", "\u200b")

_PHONETIC = {
    "о": "а",
    "а": "о",
    "е": "и",
    "и": "е",
    "ё": "е",
    "ы": "и",
    "т": "д",
    "д": "т",
    "с": "з",
    "з": "с",
    "б": "п",
    "п": "б",
    "в": "ф",
    "ф": "в",
    "г": "к",
    "к": "г",
    "ж": "ш",
    "ш": "ж",
    "й": "и",
    "э": "е",
    "я": "а",
    "ю": "у",
    "i": "y",
    "y": "i",
    "e": "a",
    "a": "e",
    "o": "a",
    "k": "c",
    "c": "k",
    "s": "z",
    "v": "w",
    "w": "v",
    "u": "o",
    "n": "m",
    "m": "n",
    "l": "k",
    "r": "t",
    "t": "r",
}


def typo(text: str, rng: Random) -> str:
    """One keyboard / hearing mistake: drop, double, swap or substitute a letter."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 3:
        return text
    i = letters[rng.randrange(1, len(letters))]  # rarely the first letter
    r = rng.random()
    if r < 0.28:
        return text[:i] + text[i + 1 :]
    if r < 0.48:
        return text[:i] + text[i] + text[i:]
    if r < 0.68 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    ch = text[i]
    sub = _PHONETIC.get(ch.lower())
    if sub is None:
        return text[:i] + text[i + 1 :]
    if ch.isupper():
        sub = sub.upper()
    return text[:i] + sub + text[i + 1 :]


def homoglyph(text: str, rng: Random) -> str:
    """Replace one Cyrillic letter by its Latin twin ('Иванoв' with a Latin o)."""
    idx = [i for i, ch in enumerate(text) if ch in HOMOGLYPHS_CYR2LAT]
    if not idx:
        return text
    i = idx[rng.randrange(len(idx))]
    return text[:i] + HOMOGLYPHS_CYR2LAT[text[i]] + text[i + 1 :]


def latin_homoglyph(text: str, rng: Random) -> str:
    """Replace one Latin letter by its Cyrillic twin (inside an e-mail address)."""
    at = text.find("@")
    idx = [
        i for i, ch in enumerate(text[: at if at > 0 else len(text)]) if ch in HOMOGLYPHS_LAT2CYR
    ]
    if not idx:
        return text
    i = idx[rng.randrange(len(idx))]
    return text[:i] + HOMOGLYPHS_LAT2CYR[text[i]] + text[i + 1 :]


def invisible(text: str, rng: Random) -> str:
    """Insert a zero-width / BiDi control character somewhere inside."""
    if not text:
        return text
    i = rng.randrange(0, len(text) + 1)
    return text[:i] + INVISIBLE[rng.randrange(len(INVISIBLE))] + text[i:]


def nbsp(text: str) -> str:
    return text.replace(" ", "\u00a0", 1) if " " in text else text + "\u00a0"


def stray_spaces(text: str, rng: Random) -> str:
    r = rng.random()
    if r < 0.4:
        return text + " "
    if r < 0.6:
        return " " + text
    if r < 0.9 and " " in text:
        return text.replace(" ", "  ", 1)
    return text + "  "


def nfd(text: str) -> str:
    """Decomposed й / ё (и + U+0306, е + U+0308), as pasted from some macOS apps."""
    return text.replace("й", "и\u0306").replace("ё", "е\u0308").replace("Й", "И\u0306")


def mojibake(text: str) -> str:
    """UTF-8 bytes shown as cp1252: 'Иван' -> 'Ð˜Ð²Ð°Ð½'."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


def yo_to_e(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")
