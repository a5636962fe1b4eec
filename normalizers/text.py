"""Cell text to clean text: the first step every other normalizer takes.

``clean_text`` turns whatever a source file holds in a cell into one tidy line of text, or ``None``
when the cell holds nothing (null tokens such as ``"N/A"`` or ``"нет"``, blanks, over-long junk).
``text_flags`` says what it had to repair or saw on the way, for quarantine and data-quality
reports. ``fix_mojibake`` undoes the classic encoding accidents of Russian text.
"""

from __future__ import annotations

import codecs
import math
import re
import unicodedata
from functools import lru_cache

MAX_LENGTH = 1000
"""Cleaned text longer than this is not a contact field but junk (a pasted letter, a dump)."""

# Longer raw values are rejected before any work is done on them.
_MAX_RAW_LENGTH = 100 * MAX_LENGTH
# Only strings this short go through the cache: 1 MB junk strings must not pin memory.
_MAX_CACHED_LENGTH = 4 * MAX_LENGTH

NULL_TOKENS = frozenset(
    {
        "",
        "null",
        "(null)",
        "<null>",
        "[null]",
        "none",
        "nil",
        "undefined",
        "n/a",
        "n.a.",
        "#n/a",
        "na",
        "nan",
        "-",
        "--",
        "—",
        "–",
        "?",
        "??",
        "???",
        "нет",
        "нету",
        "не указан",
        "не указано",
        "не указана",
        "не указаны",
        "неизвестно",
        "н/д",
        "#н/д",
        "н.д.",
        "нд",
        "отсутствует",
        "нет данных",
        "no data",
        "not set",
        "unknown value",
    }
)
"""Whole-cell values that mean "no value" (compared case-insensitively after cleaning)."""

_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
_CONTROL = "".join(
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
)
_UNICODE_SPACES = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)

_ZERO_WIDTH_RE = re.compile(f"[{_ZERO_WIDTH}]")
_BIDI_RE = re.compile(f"[{_BIDI}]")
_CONTROL_RE = re.compile(f"[{re.escape(_CONTROL)}]")
_UNICODE_SPACE_RE = re.compile(f"[{_UNICODE_SPACES}]")
_INVISIBLE_RE = re.compile(f"[{_ZERO_WIDTH}{_BIDI}{re.escape(_CONTROL)}]")
_WHITESPACE_RE = re.compile(r"\s+")
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
_FORMULA_RE = re.compile(r"^\s*(?:=|[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*\()")

# --- mojibake ---------------------------------------------------------------------------------
# Windows tools show bytes that their code page leaves undefined as the C1 control with the same
# number; this error handler turns such a control back into its byte so the round trip works.
_C1_HANDLER = "edin_c1_passthrough"


def _c1_passthrough(exc: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    if all(0x80 <= ord(c) <= 0x9F for c in chunk):
        return bytes(ord(c) for c in chunk), exc.end
    raise exc


codecs.register_error(_C1_HANDLER, _c1_passthrough)

# (how the text was wrongly decoded, how it should have been decoded), most common first.
_MOJIBAKE_ROUTES = (
    ("cp1252", "utf-8"),  # UTF-8 read as Windows-1252 / Latin-1: "Ð˜Ð²Ð°Ð½"
    ("cp1251", "utf-8"),  # UTF-8 read as Windows-1251: "РџСЂРёРІРµС‚"
    ("cp1252", "cp1251"),  # Windows-1251 read as Windows-1252 / Latin-1: "Èâàí"
)
_CP1251_HIGH = bytes(b for b in range(0x80, 0xC0) if b != 0x98).decode("cp1251")
_MOJIBAKE_HINT = re.compile(f"[\u0080-\u00ff]|[Р-У][{_CP1251_HIGH}\u0098]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")


def _is_clearly_cyrillic(text: str) -> bool:
    letters = _LETTER.findall(text)
    cyrillic = sum(1 for c in letters if _CYRILLIC.match(c))
    return cyrillic >= 2 and cyrillic >= 0.8 * len(letters)


def fix_mojibake(s: str) -> str:
    """``s`` with cp1251/latin-1/UTF-8 mojibake undone, when the repair is clearly Cyrillic.

    Tries the usual wrong-code-page round trips ("Ð˜Ð²Ð°Ð½" → "Иван", "РџСЂРёРІРµС‚" → "Привет",
    "Èâàí" → "Иван") and keeps a repair only when it decodes strictly and its letters are
    (almost) all Cyrillic. Anything else, including plain ASCII, comes back unchanged.
    """
    if not isinstance(s, str) or s.isascii() or not _MOJIBAKE_HINT.search(s):
        return s
    for wrong, right in _MOJIBAKE_ROUTES:
        try:
            repaired = s.encode(wrong, errors=_C1_HANDLER).decode(right)
        except UnicodeError:
            continue
        if repaired != s and _is_clearly_cyrillic(repaired):
            return repaired
    return s


# --- cleaning ---------------------------------------------------------------------------------
def _to_str(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float) and math.isnan(raw):
        return None
    if isinstance(raw, bytes | bytearray):
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(raw).decode("cp1251", errors="replace")
    try:
        return str(raw)
    except Exception:  # a hostile __str__ is junk, not a crash
        return None


def _clean_uncached(s: str) -> tuple[str | None, frozenset[str]]:
    flags: set[str] = set()
    if len(s) > _MAX_RAW_LENGTH:
        return None, frozenset({"too_long"})
    # Plain printable ASCII has nothing to repair (no mojibake, invisible, control or Unicode
    # space characters) and only spaces for whitespace: the common case, _repair's answer.
    s = " ".join(s.split()) if s.isascii() and s.isprintable() else _repair(s, flags)
    if _FORMULA_RE.match(s):
        flags.add("formula")
    if s.lower() in NULL_TOKENS or _is_only_punctuation(s):
        flags.add("null")
        return None, frozenset(flags)
    if len(s) > MAX_LENGTH:
        flags.add("too_long")
        return None, frozenset(flags)
    return s, frozenset(flags)


def _repair(s: str, flags: set[str]) -> str:
    """``s`` with mojibake, invisible and control characters and odd whitespace repaired."""
    repaired = fix_mojibake(s)
    if repaired != s:
        flags.add("mojibake")
        s = repaired
    if not s.isascii():
        if _ZERO_WIDTH_RE.search(s):
            flags.add("zero_width")
        if _BIDI_RE.search(s):
            flags.add("bidi")
        if _UNICODE_SPACE_RE.search(s):
            flags.add("unicode_space")
        if _EMOJI_RE.search(s):
            flags.add("emoji")
        normalized = unicodedata.normalize("NFKC", s)
        if normalized != s:
            flags.add("nfkc")
            s = normalized
    if _CONTROL_RE.search(s):
        flags.add("control")
    s = _INVISIBLE_RE.sub("", s)
    s = _UNICODE_SPACE_RE.sub(" ", s)
    return _WHITESPACE_RE.sub(" ", s).strip()


_WORD_CHARACTER = re.compile(r"[^\W_]")


def _is_only_punctuation(s: str) -> bool:
    if _WORD_CHARACTER.search(s):  # a letter or a digit: the common case, decided at once
        return False
    return all(unicodedata.category(c)[0] in "PZ" for c in s)


_clean_cached = lru_cache(maxsize=1 << 16)(_clean_uncached)


def _clean(raw: object) -> tuple[str | None, frozenset[str]]:
    s = _to_str(raw)
    if s is None:
        return None, frozenset({"null"})
    if len(s) <= _MAX_CACHED_LENGTH:
        return _clean_cached(s)
    return _clean_uncached(s)


def clean_text(raw: object) -> str | None:
    """One tidy line of text from any cell value, or ``None`` when the cell holds no value.

    Promises: non-strings are ``str()``-ed (float NaN and ``None`` give ``None``, bytes are
    decoded); mojibake is repaired (see ``fix_mojibake``); NFKC; zero-width, BiDi and control
    characters removed; NBSP and other Unicode spaces become spaces; whitespace collapsed and
    stripped; null tokens (``NULL_TOKENS``, punctuation-only cells) and results longer than
    ``MAX_LENGTH`` characters give ``None``. Never raises.
    """
    return _clean(raw)[0]


def text_flags(raw: object) -> frozenset[str]:
    """What ``clean_text`` repaired or saw in ``raw``.

    Possible flags: ``mojibake``, ``zero_width``, ``bidi``, ``control``, ``unicode_space``,
    ``nfkc`` (NFKC changed the text: full-width digits, ligatures, decomposed letters), ``emoji``,
    ``formula`` (starts like a spreadsheet formula: escape on export), ``null`` (no value),
    ``too_long``. Never raises.
    """
    return _clean(raw)[1]


# --- homoglyphs -------------------------------------------------------------------------------
_CYRILLIC_LATIN_PAIRS = (
    "аa еe оo рp сc уy хx кk мm тt нh вb іi јj ѕs ԁd һh "
    "АA ВB ЕE КK МM НH ОO РP СC ТT ХX УY ІI ЈJ ЅS"
)
CYRILLIC_TO_LATIN = {p[0]: p[1] for p in _CYRILLIC_LATIN_PAIRS.split()}
"""Cyrillic letters that look like Latin ones (а→a, р→p, х→x ...)."""
LATIN_TO_CYRILLIC = {lat: cyr for cyr, lat in CYRILLIC_TO_LATIN.items() if cyr not in "іјѕԁһІЈЅ"}
"""Latin letters that look like Cyrillic ones (a→а, o→о, c→с ...)."""
_LATIN_LETTER = re.compile(r"[a-zA-Z]")
_CYRILLIC_TO_LATIN_TABLE = str.maketrans(CYRILLIC_TO_LATIN)
_LATIN_TO_CYRILLIC_TABLE = str.maketrans(LATIN_TO_CYRILLIC)


def is_mixed_script(word: str) -> bool:
    """True when ``word`` has both Latin and Cyrillic letters."""
    return bool(_LATIN_LETTER.search(word)) and bool(_CYRILLIC.search(word))


def to_latin(word: str) -> str | None:
    """``word`` with Cyrillic look-alikes made Latin; ``None`` if other Cyrillic letters remain."""
    out = word.translate(_CYRILLIC_TO_LATIN_TABLE)
    return None if _CYRILLIC.search(out) else out


def to_cyrillic(word: str) -> str | None:
    """``word`` with Latin look-alikes made Cyrillic; ``None`` if other Latin letters remain."""
    out = word.translate(_LATIN_TO_CYRILLIC_TABLE)
    return None if _LATIN_LETTER.search(out) else out
