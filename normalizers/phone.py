"""Phone cells to E.164 match keys.

A cell may hold one number, several (``"8916...; 8926..."``), a number with an extension
(``"доб. 123"``), a number lost to Excel (``"7.91612E+10"``) or free text with a number inside.
Only numbers that ``phonenumbers`` calls *valid* become keys; a number that is too long is never
truncated into a valid one, and an Excel-mangled one is never reconstructed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import polars as pl
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumberFormat,
    PhoneNumberMatcher,
    ValidationResult,
)
from phonenumbers import PhoneNumberType as T

from normalizers.text import clean_text


@dataclass(frozen=True, slots=True)
class PhoneKey:
    """One valid phone number: the E.164 match key and what kind of number it is."""

    e164: str  # "+79161234567"
    kind: str  # "mobile" | "fixed" | "toll_free" | "voip" | "premium" | "other"
    region: str | None  # "RU", "KZ", ...
    extension: str | None  # "123" from "доб. 123"; never part of e164
    generic: bool  # placeholder or hub-prone (toll-free, 0000000, 1234567 ...)


_KINDS = {
    T.MOBILE: "mobile",
    # NANP numbers (US, CA) cannot be told apart; they are personal numbers as often as not.
    T.FIXED_LINE_OR_MOBILE: "mobile",
    T.FIXED_LINE: "fixed",
    T.TOLL_FREE: "toll_free",
    T.VOIP: "voip",
    T.PREMIUM_RATE: "premium",
    T.SHARED_COST: "premium",
}

# A number Excel turned into a float: "7.91612E+10", "7,91612e+10". The digits are gone.
_EXCEL_SCIENTIFIC = re.compile(r"^\+?\d{1,3}(?:[.,]\d+)?\s*[eE]\s*\+?\d{1,2}$")
# Separators between several numbers in one cell.
_SPLIT = re.compile(r"\s*(?:[;,|/\\\n]|\s(?:или|or|и|and)\s)\s*", re.IGNORECASE)
# A piece that is a phone number and nothing else (digits, grouping, an extension).
_PHONE_ONLY = re.compile(
    r"^\+?[\d\s().\-–]+(?:\s*(?:доб\.?|добавочный|ext\.?|extension|x|#)\s*\d{1,6})?$",
    re.IGNORECASE,
)
_REASON_FLAGS = {
    ValidationResult.IS_POSSIBLE: "possible_only",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "local_only",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.TOO_SHORT: "too_short",
}
_INTERNATIONAL_00 = re.compile(r"^\s*00\s*(?=[1-9])")
_NON_DIGIT = re.compile(r"\D")
_SEQUENCES = ("0123456789", "9876543210")
_LONGEST_SEQUENCE = max(map(len, _SEQUENCES))
# Placeholder subscriber numbers: the same digit seven times, or a run like 1234567.
_GENERIC_SUBSCRIBER = re.compile(r"(\d)\1{6}$")
_MAX_DIGITS = 17  # E.164 has at most 15 digits; a few more allow a trunk prefix and typos
# The common case, answered without phonenumbers: one Russian mobile number written with spaces,
# brackets and hyphens only ("8 (916) 123-45-67", "+79161234567", "9161234567"). The national
# pattern is the mobile range of phonenumbers' RU metadata minus the 930 block, whose valid
# numbers it splits finely; tests check that this path and phonenumbers agree.
_SIMPLE_PHONE = re.compile(r"^ *\+?[0-9][0-9 ()\-]*$")
_RU_MOBILE = re.compile(r"^9(?:[0-24-9][0-9]|3[1-9])[0-9]{7}$")


def _is_sequence(digits: str) -> bool:
    # a text longer than the longest run is in none of them
    return 6 <= len(digits) <= _LONGEST_SEQUENCE and any(digits in s for s in _SEQUENCES)


def _is_generic_digits(national: str) -> bool:
    """A national number that is a placeholder: one repeated digit or a counting run at the end."""
    if len(set(national)) == 1:
        return True
    tail = national[-7:]
    return bool(_GENERIC_SUBSCRIBER.search(national)) or _is_sequence(tail)


def _key(number: phonenumbers.PhoneNumber) -> PhoneKey:
    kind = _KINDS.get(phonenumbers.number_type(number), "other")
    national = str(number.national_number)
    return PhoneKey(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        kind=kind,
        region=phonenumbers.region_code_for_number(number),
        extension=number.extension or None,
        generic=kind == "toll_free" or _is_generic_digits(national),
    )


def _why_not_valid(number: phonenumbers.PhoneNumber, digits: str) -> str:
    """The flag that says why a parsed number is not valid."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in _REASON_FLAGS:
        return _REASON_FLAGS[reason]
    if len(digits) <= 7:
        return "local_only"
    country = number.country_code or 0  # a parsed number always has one; 0 is no region
    region = phonenumbers.region_code_for_country_code(country)
    meta = PhoneMetadata.metadata_for_region_or_calling_code(country, region)
    # Personal numbers (mobile, fixed): general lengths include rare long service numbers.
    descs = (meta.mobile, meta.fixed_line) if meta else ()
    lengths = tuple(n for d in descs if d and d.possible_length for n in d.possible_length if n > 0)
    national = phonenumbers.national_significant_number(number)
    if lengths and len(national) > max(lengths):
        return "too_long"
    if lengths and len(national) < min(lengths):
        return "too_short"
    return "invalid"


def _parse_piece(piece: str, region: str, flags: set[str]) -> list[PhoneKey]:
    """Numbers in one piece of a cell; adds what it saw to ``flags``."""
    piece = _INTERNATIONAL_00.sub("+", piece)
    digits = _NON_DIGIT.sub("", piece)
    if not digits:
        return []
    seen: set[str] = set()
    phone_only = bool(_PHONE_ONLY.match(piece))
    if phone_only:
        if len(set(digits)) == 1 or _is_sequence(digits):
            seen.add("generic")
        try:
            number = phonenumbers.parse(piece, region)
        except NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            flags.update(seen)
            return [_key(number)]
        if number is not None:
            seen.add(_why_not_valid(number, digits))
    # Free text, or several numbers without a separator. The matcher never truncates digits.
    found = [_key(m.number) for m in PhoneNumberMatcher(piece, region)]
    if found:
        seen -= {"local_only", "possible_only", "too_long"}
        if not phone_only:
            seen.add("from_text")
    else:
        seen.add("invalid")
    flags.update(seen)
    return found


def _ru_mobile(text: str) -> tuple[tuple[PhoneKey, ...], frozenset[str]] | None:
    """``_analyze_general``'s answer for a plain Russian mobile number, or ``None`` (not one)."""
    if not _SIMPLE_PHONE.match(text):
        return None
    digits = _NON_DIGIT.sub("", text)
    plus = text.lstrip().startswith("+")
    if len(digits) == 11 and (digits[0] == "7" or (digits[0] == "8" and not plus)):
        national = digits[1:]
    elif len(digits) == 10 and not plus:
        national = digits
    else:
        return None
    if not _RU_MOBILE.match(national):
        return None
    generic = _is_generic_digits(national)
    key = PhoneKey(
        e164="+7" + national, kind="mobile", region="RU", extension=None, generic=generic
    )
    seen_generic = generic or len(set(digits)) == 1 or _is_sequence(digits)
    return (key,), frozenset({"generic"}) if seen_generic else frozenset()


# National numbers are 10 digits here, so _is_generic_digits reduces to the last seven.
_GENERIC_TAILS = sorted(
    {d * 7 for d in "0123456789"} | {s[i : i + 7] for s in _SEQUENCES for i in range(len(s) - 6)}
)


def ru_mobiles(texts: pl.Series) -> pl.DataFrame:
    """``_ru_mobile`` over a whole column: ``e164`` (null where the cell is not a plain Russian
    mobile number) and ``generic``, one row per text. Cells it leaves null go to
    ``normalize_phones``; tests check that the two agree wherever this answers."""
    digits, plus, national = pl.col("digits"), pl.col("plus"), pl.col("national")
    length, first = digits.str.len_bytes(), digits.str.slice(0, 1)
    return (
        texts.rename("text")
        .to_frame()
        .lazy()
        .with_columns(
            pl.when(pl.col("text").str.contains(_SIMPLE_PHONE.pattern))
            .then(pl.col("text").str.replace_all("[^0-9]", ""))
            .alias("digits"),
            pl.col("text").str.strip_chars_start(" ").str.starts_with("+").alias("plus"),
        )
        .with_columns(
            pl.when((length == 11) & ((first == "7") | ((first == "8") & ~plus)))
            .then(digits.str.slice(1))
            .when((length == 10) & ~plus)
            .then(digits)
            .alias("national")
        )
        .with_columns(
            pl.when(national.str.contains(_RU_MOBILE.pattern)).then(national).alias("national")
        )
        .select(
            (pl.lit("+7") + national).alias("e164"),
            national.str.slice(3).is_in(pl.Series(_GENERIC_TAILS).implode()).alias("generic"),
        )
        .collect()
    )


@lru_cache(maxsize=1 << 18)
def _analyze(text: str, region: str) -> tuple[tuple[PhoneKey, ...], frozenset[str]]:
    if region == "RU":
        fast = _ru_mobile(text)
        if fast is not None:
            return fast
    return _analyze_general(text, region)


def _analyze_general(text: str, region: str) -> tuple[tuple[PhoneKey, ...], frozenset[str]]:
    flags: set[str] = set()
    cleaned = clean_text(text)
    if cleaned is None:
        return (), frozenset()
    if _EXCEL_SCIENTIFIC.match(cleaned):
        return (), frozenset({"excel_scientific", "invalid"})
    if len(_NON_DIGIT.sub("", cleaned)) > _MAX_DIGITS * 4:
        return (), frozenset({"invalid", "too_long"})
    pieces = [p for p in _SPLIT.split(cleaned) if p and p.strip()]
    keys: dict[str, PhoneKey] = {}
    for piece in pieces:
        for key in _parse_piece(piece, region, flags):
            keys.setdefault(key.e164, key)
    result = tuple(keys.values())
    if result:
        flags.discard("invalid")
        flags.discard("local_only")
        flags.discard("possible_only")
    if len(result) > 1:
        flags.add("multiple")
    if any(k.extension for k in result):
        flags.add("extension")
    if any(k.generic for k in result):
        flags.add("generic")
    if any(k.kind == "toll_free" for k in result):
        flags.add("toll_free")
    if any(k.region and k.region != region for k in result):
        flags.add("foreign")
    return result, frozenset(flags)


def _as_text(raw: object) -> tuple[str | None, frozenset[str]]:
    """The cell as text; numbers that Excel or a reader turned into floats are checked first."""
    if isinstance(raw, bool) or raw is None:
        return None, frozenset()
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            return None, frozenset()
        if not raw.is_integer():
            return None, frozenset({"invalid"})
        digits = str(int(raw))
        # A float with 10+ digits of which at most 7 are significant lost its digits in Excel.
        if len(digits) >= 10 and len(digits.rstrip("0")) <= 7:
            return None, frozenset({"excel_scientific", "invalid"})
        return digits, frozenset()
    if isinstance(raw, str):
        return raw, frozenset()
    return clean_text(raw), frozenset()


def _run(raw: object, default_region: str) -> tuple[tuple[PhoneKey, ...], frozenset[str]]:
    text, flags = _as_text(raw)
    if text is None:
        return (), flags
    region = default_region.upper() if isinstance(default_region, str) else "RU"
    keys, more = _analyze(text, region)
    return keys, flags | more


def normalize_phones(raw: object, default_region: str = "RU") -> list[PhoneKey]:
    """All valid numbers in a cell, deduplicated by E.164, in the order they appear.

    ``8``/``7``/bare 10-digit Russian numbers, ``810`` and ``00`` international prefixes,
    full-width digits and free text are understood; invalid, too-long, local-only and
    Excel-scientific values give no key. Never raises.
    """
    return list(_run(raw, default_region)[0])


def normalize_phone(raw: object, default_region: str = "RU") -> PhoneKey | None:
    """The first valid number in a cell, or ``None`` (see ``normalize_phones``)."""
    keys = _run(raw, default_region)[0]
    return keys[0] if keys else None


def phone_flags(raw: object, default_region: str = "RU") -> frozenset[str]:
    """What the phone normalizer saw in a cell.

    Possible flags: ``excel_scientific`` (quarantine: digits lost), ``invalid`` (digits but no
    valid number), ``possible_only`` (right length, not a number in use), ``local_only``
    (a 5–7 digit local number without area code), ``too_long``, ``multiple``, ``extension``,
    ``generic``, ``toll_free``, ``foreign`` (region differs from ``default_region``),
    ``from_text`` (found inside free text). Never raises.
    """
    return _run(raw, default_region)[1]
