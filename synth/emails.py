"""Mailboxes: allocation (personal, family, office, placeholder) and how addresses get typed."""

from __future__ import annotations

import re
from random import Random
from typing import NamedTuple

from synth import textnoise
from synth.lexicon import DOMAIN_TYPOS, NICKNAMES_LATIN, PROVIDERS, YANDEX_ALIASES, Weighted


class Mailbox(NamedTuple):
    local: str
    domain: str

    @property
    def address(self) -> str:
        return f"{self.local}@{self.domain}"


_PROVIDERS = Weighted(PROVIDERS)
_NOT_LOCAL = re.compile(r"[^a-z0-9._-]")
_TAGS = ("shop", "ozon", "wb", "promo", "news", "orders", "2023", "2024", "spam", "reg", "help")
_LOCAL_STYLES = Weighted(
    (
        ("g.s", 14),
        ("gs", 6),
        ("g0.s", 6),
        ("s.g", 6),
        ("s_g0", 3),
        ("g_s", 5),
        ("syyyy", 7),
        ("gyy", 5),
        ("dimyy", 6),
        ("nick", 10),
        ("sgp", 3),
        ("g0s", 5),
        ("s", 3),
        ("g.s.yyyy", 3),
        ("nick_g", 3),
        ("g-s", 2),
    )
)


def _key(local: str, domain: str) -> str:
    local = local.lower()
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}"


class MailRegistry:
    """Hands out mailboxes nobody else holds; sharing is added deliberately by the hard cases."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.used: set[str] = set()

    def claim(self, local: str, domain: str, suffixes: tuple[str, ...] = ()) -> Mailbox:
        rng = self.rng
        candidates = [local, *(local + s for s in suffixes)]
        for cand in candidates:
            if _key(cand, domain) not in self.used:
                break
        else:
            while True:
                cand = f"{local}{rng.randrange(1, 1000)}"
                if _key(cand, domain) not in self.used:
                    break
        self.used.add(_key(cand, domain))
        return Mailbox(cand, domain)

    def personal(
        self, g: str, s: str, dim: str, patr: str, year: int, domain: str | None = None
    ) -> Mailbox:
        """g, s, dim, patr: Latin given name, surname, diminutive, patronymic (lowercase)."""
        rng = self.rng
        if domain is None:
            domain = _PROVIDERS.pick(rng)
        yy, yyyy = f"{year % 100:02d}", str(year)
        style = _LOCAL_STYLES.pick(rng)
        if style == "g.s":
            local = f"{g}.{s}"
        elif style == "gs":
            local = f"{g}{s}"
        elif style == "g0.s":
            local = f"{g[:1]}.{s}"
        elif style == "s.g":
            local = f"{s}.{g}"
        elif style == "s_g0":
            local = f"{s}_{g[:1]}"
        elif style == "g_s":
            local = f"{g}_{s}"
        elif style == "syyyy":
            local = f"{s}{yyyy}"
        elif style == "gyy":
            local = f"{g}{yy}"
        elif style == "dimyy":
            local = f"{dim}{rng.choice(('', '_', '.'))}{yy}"
        elif style == "nick":
            nick = NICKNAMES_LATIN[rng.randrange(len(NICKNAMES_LATIN))]
            local = f"{nick}{rng.choice(('', '_', '.'))}{rng.randrange(1, 999)}"
        elif style == "sgp":
            local = f"{s}{g[:1]}{patr[:1]}"
        elif style == "g0s":
            local = f"{g[:1]}{s}"
        elif style == "s":
            local = s
        elif style == "g.s.yyyy":
            local = f"{g}.{s}.{yyyy}"
        elif style == "nick_g":
            local = f"{NICKNAMES_LATIN[rng.randrange(len(NICKNAMES_LATIN))]}_{g}"
        else:  # "g-s"
            local = f"{g}-{s}"
        local = _NOT_LOCAL.sub("", local).strip("._-") or f"user{rng.randrange(10000)}"
        if domain == "gmail.com" and len(local) < 6:
            local += yyyy
        return self.claim(local, domain, (yy, yyyy, f"_{yy}", f".{yyyy}"))


def render(mb: Mailbox, rng: Random, cfg, source: str, display: str = "") -> str:
    """One written form of the address: provider aliases, typos, case, wrappers."""
    local, domain = mb
    if domain == "gmail.com":
        if rng.random() < cfg.gmail_dots:
            if "." in local:
                local = local.replace(".", "")
            elif len(local) > 3:
                i = rng.randrange(1, len(local) - 1)
                local = local[:i] + "." + local[i:]
        if rng.random() < cfg.gmail_tag:
            local = f"{local}+{_TAGS[rng.randrange(len(_TAGS))]}"
        if rng.random() < cfg.googlemail:
            domain = "googlemail.com"
    elif domain in ("yandex.ru", "ya.ru"):
        if rng.random() < cfg.yandex_alias:
            domain = YANDEX_ALIASES[rng.randrange(len(YANDEX_ALIASES))]
        if "." in local and rng.random() < 0.05:
            local = local.replace(".", "-")
    if rng.random() < cfg.email_local_typo[source]:
        local = textnoise.typo(local, rng)
    if rng.random() < cfg.email_domain_typo[source]:
        typos = DOMAIN_TYPOS.get(domain)
        if typos:
            domain = typos[rng.randrange(len(typos))]
    if domain == "почта.рф" and rng.random() < cfg.punycode:
        domain = "xn--80a1acny.xn--p1ai"
    text = f"{local}@{domain}"
    if rng.random() < cfg.email_case:
        r = rng.random()
        if r < 0.45:
            text = ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain
        elif r < 0.75:
            text = f"{local}@{domain.upper() if rng.random() < 0.5 else domain.title()}"
        else:
            text = text.upper()
    if rng.random() < cfg.email_homoglyph:
        text = textnoise.latin_homoglyph(text, rng)
    if source == "email" and display and rng.random() < cfg.email_display_wrapper:
        text = f"{display} <{text}>"
    elif rng.random() < cfg.email_mailto:
        text = "mailto:" + text
    elif rng.random() < 0.01:
        text = text + " " if rng.random() < 0.5 else " " + text
    return text
