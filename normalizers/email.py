"""E-mail cells to match keys.

Three forms are kept apart: ``normalized`` (what to show and send to: the local part as typed,
the domain lowercased and in Unicode), ``key`` (what to match on) and ``typo_key`` (what the key
would be if a mistyped domain such as ``gmial.com`` were corrected: weaker evidence).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from normalizers.text import clean_text, is_mixed_script, to_latin

_DICTIONARIES = Path(__file__).resolve().parent / "dictionaries"


@dataclass(frozen=True, slots=True)
class EmailKey:
    """One syntactically valid e-mail address and its match keys."""

    normalized: str  # local part as typed + "@" + lowercase Unicode domain
    key: str  # match key (see ``normalize_email``)
    local: str  # lowercase local part of ``key``
    domain: str  # lowercase Unicode domain of ``key``
    generic: bool  # placeholder or shared (role) mailbox: not evidence of one person
    flags: frozenset[str]  # role, placeholder, homoglyph, typo_domain, stripped
    typo_key: str | None  # key with a mistyped domain corrected; None when no typo


def _load_typos() -> dict[str, str]:
    typos: dict[str, str] = {}
    with (_DICTIONARIES / "email_domains.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for typo in row["typos"].split("|"):
                if typo:
                    typos[typo.strip().lower()] = row["domain"]
    return typos


def _load_generic() -> dict[str, frozenset[str]]:
    kinds: dict[str, set[str]] = {}
    with (_DICTIONARIES / "email_generic.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kinds.setdefault(row["kind"], set()).add(row["value"].strip().lower())
    return {k: frozenset(v) for k, v in kinds.items()}


DOMAIN_TYPOS = _load_typos()
"""Mistyped domain → the common domain meant (``normalizers/dictionaries/email_domains.csv``)."""
COMMON_DOMAINS = frozenset(DOMAIN_TYPOS.values())
_GENERIC = _load_generic()
ROLE_LOCALS = _GENERIC.get("role", frozenset())
PLACEHOLDER_LOCALS = _GENERIC.get("placeholder_local", frozenset())
PLACEHOLDER_DOMAINS = _GENERIC.get("placeholder_domain", frozenset())

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
YANDEX_ALIASES = frozenset(
    {"ya.ru", "yandex.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua"}
)
# A mistyped top-level domain that was meant to be .ru (neighbouring keys).
_RU_TLD_TYPOS = frozenset({"ry", "ri", "tu", "rj", "ru.ru"})
# Real mailbox providers one edit away from a common one: never "corrected".
REAL_DOMAINS = frozenset(
    {
        "mail.com",
        "email.com",
        "ymail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "live.com",
        "live.ru",
        "msn.com",
        "aol.com",
        "me.com",
        "mac.com",
        "hotmail.ru",
        "outlook.ru",
        "rambler.ua",
        "lenta.ru",
        "autorambler.ru",
        "myrambler.ru",
        "ro.ru",
        "inbox.lv",
        "inbox.lt",
        "mail.ua",
        "ukr.net",
        "i.ua",
        "meta.ua",
        "tut.by",
        "yandex.com",
        "yandex.by",
        "yandex.kz",
        "yandex.ua",
    }
)
# Second-level labels long enough that one edit away is a typo, not another provider.
_FUZZY_LABELS = {d.split(".")[0]: d for d in COMMON_DOMAINS if len(d.split(".")[0]) >= 5}

MAX_LOCAL_OCTETS = 64
MAX_ADDRESS_OCTETS = 254

_MAILTO = re.compile(r"^\s*mailto:\s*", re.IGNORECASE)
_ANGLE = re.compile(r"<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+?)\s*>", re.IGNORECASE)
_SPACED_AT = re.compile(r"\s*@\s*")
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")
_EDGE_JUNK = re.compile(r"^[\s\"'<>()\[\],;:.]+|[\s\"'<>()\[\],;:.]+$")
_REPEATED = re.compile(r"^(.)\1*$")
_DIGITS = re.compile(r"^\d{1,4}$")
_KEYBOARD_RUNS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefgh")
_LONGEST_RUN = max(map(len, _KEYBOARD_RUNS))


def _extract(text: str) -> tuple[str | None, bool]:
    """The address inside a cell and whether anything had to be stripped around it."""
    original = text
    match = _ANGLE.search(text)
    if match:
        text = match.group(1)
    text = _MAILTO.sub("", text)
    text = text.split("?", 1)[0] if "?" in text.split("@")[-1] else text  # mailto:?subject=
    text = _SPACED_AT.sub("@", text.strip())
    if text.count("@") != 1 or not _ADDRESS.fullmatch(_EDGE_JUNK.sub("", text)):
        found = _ADDRESS.findall(text)
        if not found:
            return None, False
        text = found[0]
    text = _EDGE_JUNK.sub("", text)
    if text.count("@") != 1:
        return None, False
    return text, text != original


def _fix_mixed(part: str, flags: set[str]) -> str:
    """Cyrillic look-alikes inside an otherwise Latin local part or domain label made Latin."""
    labels = part.split(".")
    fixed = []
    for label in labels:
        if is_mixed_script(label):
            latin = to_latin(label)
            if latin is not None:
                flags.add("homoglyph")
                label = latin
        fixed.append(label)
    return ".".join(fixed)


# The common case, answered without email-validator: a plain dot-atom local part at a mailbox
# provider we know. Tests check that this path and email-validator agree.
_SIMPLE_LOCAL = re.compile(r"^[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*$")
_KNOWN_DOMAINS = COMMON_DOMAINS | REAL_DOMAINS | GMAIL_DOMAINS | YANDEX_ALIASES


def _validate(address: str) -> tuple[str, str] | None:
    """(local part as typed, lowercase Unicode domain) of a valid address, else ``None``."""
    local, _, domain = address.rpartition("@")
    domain = domain.lower()
    if domain in _KNOWN_DOMAINS and len(local) <= MAX_LOCAL_OCTETS and _SIMPLE_LOCAL.match(local):
        return local, domain
    return _validate_general(address)


def _validate_general(address: str) -> tuple[str, str] | None:
    try:
        result = validate_email(address, check_deliverability=False)
    except (EmailNotValidError, ValueError, UnicodeError):
        return None
    local, domain = result.local_part, result.domain.lower()
    if len(local.encode("utf-8")) > MAX_LOCAL_OCTETS:
        return None
    if len(result.ascii_email or result.normalized) > MAX_ADDRESS_OCTETS:
        return None
    return local, domain


def _match_key(local: str, domain: str, provider_rules: bool) -> tuple[str, str]:
    """The match key's local part and domain for an address (already lowercased)."""
    if domain in GMAIL_DOMAINS:
        return local.split("+", 1)[0].replace(".", ""), "gmail.com"
    if provider_rules and domain in YANDEX_ALIASES:
        return local.replace("-", "."), "yandex.ru"
    return local, domain


def _edit_distance_one(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _typo_fix(domain: str) -> str | None:
    """The common domain ``domain`` is a likely typo of, or ``None``."""
    if domain in COMMON_DOMAINS or domain in REAL_DOMAINS or domain in GMAIL_DOMAINS:
        return None
    if domain in DOMAIN_TYPOS:
        return DOMAIN_TYPOS[domain]
    head, _, tld = domain.rpartition(".")
    if head and tld in _RU_TLD_TYPOS:
        return f"{head}.ru"
    label, _, rest = domain.partition(".")
    for common_label, common in _FUZZY_LABELS.items():
        if (
            len(label) >= 5
            and rest == common.partition(".")[2]
            and _edit_distance_one(label, common_label)
        ):
            return common
    return None


def _is_sequence(local: str) -> bool:
    # a local part longer than the longest run is in none of them
    return 3 <= len(local) <= _LONGEST_RUN and any(local in run for run in _KEYBOARD_RUNS)


def _generic_flags(local: str, domain: str) -> set[str]:
    flags: set[str] = set()
    bare = local.split("+", 1)[0]
    if bare in ROLE_LOCALS:
        flags.add("role")
    if (
        bare in PLACEHOLDER_LOCALS
        or domain in PLACEHOLDER_DOMAINS
        or bare == domain.split(".")[0]
        and len(domain.split(".")) == 2
        or _REPEATED.match(bare)
        or _DIGITS.match(bare)
        or _is_sequence(bare)
    ):
        flags.add("placeholder")
    return flags


@lru_cache(maxsize=1 << 17)
def _normalize(text: str, provider_rules: bool) -> EmailKey | None:
    cleaned = clean_text(text)
    if cleaned is None or "@" not in cleaned:
        return None
    address, stripped = _extract(cleaned)
    if address is None:
        return None
    flags: set[str] = {"stripped"} if stripped else set()
    typed = _validate(address)
    local_typed, _, domain_typed = address.rpartition("@")
    repaired_local = _fix_mixed(local_typed, flags)
    domain_flags: set[str] = set()
    repaired_domain = _fix_mixed(domain_typed.lower(), domain_flags)
    flags |= domain_flags
    repaired = _validate(f"{repaired_local}@{repaired_domain}") if flags & {"homoglyph"} else typed
    shown, matched = typed or repaired, repaired or typed
    if shown is None or matched is None:
        return None
    local, domain = shown
    key_local, key_domain = matched
    key_local, key_domain = _match_key(key_local.lower(), key_domain, provider_rules)
    typo_key = None
    if domain_flags:
        flags.add("typo_domain")
        typo_key = f"{key_local}@{key_domain}"
    corrected = _typo_fix(key_domain)
    if corrected is not None:
        flags.add("typo_domain")
        typo_local, typo_domain = _match_key(key_local, corrected, provider_rules)
        typo_key = f"{typo_local}@{typo_domain}"
    flags |= _generic_flags(key_local, key_domain)
    return EmailKey(
        normalized=f"{local}@{domain}",
        key=f"{key_local}@{key_domain}",
        local=key_local,
        domain=key_domain,
        generic=bool(flags & {"role", "placeholder"}),
        flags=frozenset(flags),
        typo_key=typo_key,
    )


def normalize_email(raw: object, *, provider_rules: bool = False) -> EmailKey | None:
    """The e-mail address in a cell and its match keys, or ``None`` when there is no valid one.

    Strips display names (``Иван <ivan@mail.ru>``), ``mailto:`` and surrounding punctuation
    (flag ``stripped``); validates syntax only (no DNS); rejects local parts over 64 octets.
    ``key`` is lowercase; for gmail/googlemail dots and ``+tag`` are dropped and the domain is
    gmail.com; nothing else is merged (mail.ru, bk.ru, inbox.ru, list.ru stay apart, ``+tag``
    stays on other domains). Punycode domains become Unicode, so ``иван@почта.рф`` and its
    punycode give one key. Cyrillic look-alikes in a Latin address are made Latin in ``key``
    (flag ``homoglyph``). With ``provider_rules=True`` Yandex aliases (ya.ru, yandex.com/.by/
    .kz/.ua) become yandex.ru and ``-`` in the local part equals ``.``. Never raises.
    """
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else clean_text(raw)
    if text is None or len(text) > 2 * MAX_ADDRESS_OCTETS + 200:
        return None
    return _normalize(text, bool(provider_rules))
