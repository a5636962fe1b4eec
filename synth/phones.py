"""Phone numbers: who owns which number, and the many ways a number gets written down."""

from __future__ import annotations

from random import Random
from typing import NamedTuple

from synth.lexicon import FOREIGN_MOBILES, KZ_MOBILE_PREFIXES, RU_MOBILE_PREFIXES, Weighted


class Phone(NamedTuple):
    cc: str  # country code without "+"
    nat: str  # national significant number
    kind: str  # mobile / landline / tollfree / placeholder / foreign
    area: int = 3  # length of the area code inside ``nat`` (landlines)

    @property
    def digits(self) -> str:
        return self.cc + self.nat


class PhoneBook:
    """Allocates numbers nobody else holds (so sharing only happens where a hard case says so)."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.used: set[str] = set()
        self._foreign = Weighted((f, f[3]) for f in FOREIGN_MOBILES)

    def _unique(self, make) -> Phone:
        while True:
            p = make()
            if p.digits not in self.used:
                self.used.add(p.digits)
                return p

    def mobile(self, kind: str = "ru") -> Phone:
        rng = self.rng
        if kind == "kz":
            return self._unique(
                lambda: Phone(
                    "7",
                    KZ_MOBILE_PREFIXES[rng.randrange(len(KZ_MOBILE_PREFIXES))]
                    + f"{rng.randrange(10_000_000):07d}",
                    "mobile",
                )
            )
        if kind == "foreign":
            cc, length, prefixes, _ = self._foreign.pick(rng)

            def make() -> Phone:
                pre = prefixes[rng.randrange(len(prefixes))]
                rest = length - len(pre)
                return Phone(cc, pre + f"{rng.randrange(10**rest):0{rest}d}", "foreign")

            return self._unique(make)
        return self._unique(
            lambda: Phone(
                "7",
                RU_MOBILE_PREFIXES[rng.randrange(len(RU_MOBILE_PREFIXES))]
                + f"{rng.randrange(10_000_000):07d}",
                "mobile",
            )
        )

    def landline(self, country_code: str, area_code: str) -> Phone:
        rng = self.rng
        if country_code != "7":  # Minsk: +375 17 xxx-xx-xx
            return self._unique(
                lambda: Phone(
                    country_code,
                    area_code + f"{rng.randrange(2_000_000, 9_999_999)}",
                    "foreign",
                    len(area_code),
                )
            )
        rest = 10 - len(area_code)
        return self._unique(
            lambda: Phone(
                "7",
                area_code + f"{rng.randrange(2 * 10 ** (rest - 1), 10**rest)}",
                "landline",
                len(area_code),
            )
        )


# ---- rendering ---------------------------------------------------------------------------------
# {a}{b}{c}{d} split of a 10-digit Russian number 916 123 45 67; {n} the whole national number
_RU_FORMATS = Weighted(
    (
        ("+7 {a} {b}-{c}-{d}", 14),
        ("+7 ({a}) {b}-{c}-{d}", 10),
        ("+7{n}", 14),
        ("8{n}", 14),
        ("8 ({a}) {b}-{c}-{d}", 10),
        ("8-{a}-{b}-{c}-{d}", 5),
        ("8 {a} {b} {c} {d}", 5),
        ("7{n}", 6),
        ("{n}", 5),
        ("+7-{a}-{b}{c}{d}", 3),
        ("8({a}){b}{c}{d}", 3),
        ("+7 {a} {b} {c}{d}", 3),
        ("7 ({a}) {b}-{c}-{d}", 2),
        ("{a}-{b}-{c}-{d}", 2),
        ("+7 {a} {b}{c}{d}", 2),
        ("8 {a} {b}-{c}{d}", 2),
        ("+7 ({a}) {b} {c} {d}", 2),
        ("+7({a}){b}-{c}-{d}", 2),
    )
)
_TOLLFREE_FORMATS = Weighted(
    (
        ("8 800 {b}-{c}-{d}", 10),
        ("8-800-{b}-{c}-{d}", 8),
        ("8800{b}{c}{d}", 6),
        ("+7 (800) {b}-{c}-{d}", 4),
        ("8 (800) {b} {c} {d}", 4),
        ("+7800{b}{c}{d}", 2),
        ("8-800-{b}{c}{d}", 2),
    )
)
_LANDLINE_FORMATS = Weighted(
    (
        ("+7 ({area}) {local}", 10),
        ("8 ({area}) {local}", 12),
        ("8{n}", 6),
        ("+7{n}", 5),
        ("({area}) {local}", 6),
        ("8-{area}-{local}", 4),
        ("8 {area} {raw}", 3),
        ("7{n}", 2),
    )
)
_FOREIGN_FORMATS = Weighted(
    (
        ("+{cc} {p2} {r}", 10),
        ("+{cc}{n}", 10),
        ("810{cc}{n}", 5),
        ("00{cc}{n}", 4),
        ("{cc}{n}", 4),
        ("8 10 {cc} {p2} {r}", 2),
        ("+{cc} ({p2}) {r}", 4),
        ("+{cc}-{p2}-{r}", 2),
    )
)
_EXTENSION = (
    "{p}, доб. {x}",
    "{p} доб.{x}",
    "{p} (доб. {x})",
    "{p} доб {x}",
    "{p} ext. {x}",
    "{p}#{x}",
    "{p}, вн. {x}",
)
_FULLWIDTH = str.maketrans("0123456789+()-", "０１２３４５６７８９＋（）－")


def _local(raw: str) -> str:
    n = len(raw)
    if n == 7:
        return f"{raw[:3]}-{raw[3:5]}-{raw[5:]}"
    if n == 6:
        return f"{raw[:2]}-{raw[2:4]}-{raw[4:]}"
    if n == 5:
        return f"{raw[:1]}-{raw[1:3]}-{raw[3:]}"
    return raw


def render(p: Phone, rng: Random, local_only: float = 0.0) -> str:
    """Write a number the way a person or an operator would."""
    if p.cc == "7" and p.kind != "foreign":
        n = p.nat
        if p.kind == "tollfree":
            return _TOLLFREE_FORMATS.pick(rng).format(b=n[3:6], c=n[6:8], d=n[8:10])
        if p.kind == "landline" and (p.area != 3 or rng.random() < 0.5):
            raw = n[p.area :]
            if rng.random() < local_only:
                return _local(raw)
            return _LANDLINE_FORMATS.pick(rng).format(
                area=n[: p.area], local=_local(raw), raw=raw, n=n
            )
        if p.kind == "landline" and rng.random() < local_only:
            return _local(n[3:])
        return _RU_FORMATS.pick(rng).format(a=n[:3], b=n[3:6], c=n[6:8], d=n[8:10], n=n)
    n = p.nat
    return _FOREIGN_FORMATS.pick(rng).format(cc=p.cc, n=n, p2=n[:2], r=n[2:])


def with_extension(text: str, rng: Random) -> str:
    ext = str(rng.randrange(10, 10 ** rng.choice((2, 3, 3, 4))))
    return _EXTENSION[rng.randrange(len(_EXTENSION))].format(p=text, x=ext)


def digit_typo(text: str, rng: Random) -> str:
    """A wrong, swapped, missing or extra digit (never in the first two positions)."""
    idx = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(idx) < 6:
        return text
    i = idx[rng.randrange(3, len(idx))]
    r = rng.random()
    if r < 0.4:
        d = str((int(text[i]) + rng.randrange(1, 10)) % 10)
        return text[:i] + d + text[i + 1 :]
    if r < 0.65:
        j = idx[idx.index(i) - 1]
        return text[:j] + text[i] + text[j + 1 : i] + text[j] + text[i + 1 :]
    if r < 0.85:
        return text[:i] + text[i + 1 :]
    return text[:i] + str(rng.randrange(10)) + text[i:]


def excel(p: Phone) -> str:
    """What Excel shows for a long number in a General cell: 7.91612E+10."""
    return f"{int(p.digits):.5E}"


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)
