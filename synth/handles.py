"""Social handles: usernames per platform and the URL / @ forms people paste."""

from __future__ import annotations

import re
from random import Random

from synth.lexicon import NICKNAMES_LATIN, Weighted

_USER_STYLES = Weighted(
    (
        ("g_s0", 10),
        ("g.s", 10),
        ("s_g", 6),
        ("dimyy", 10),
        ("gs", 8),
        ("syyyy", 6),
        ("nick_n", 12),
        ("nickg", 5),
        ("g0s", 8),
        ("g_s_yy", 5),
        ("dim_s", 6),
        ("g", 2),
        ("s", 2),
    )
)
_NOT_ALLOWED = re.compile(r"[^a-z0-9._]")


class Usernames:
    """Per-platform registry: a username belongs to one account."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.used: dict[str, set[str]] = {"vk": set(), "telegram": set(), "instagram": set()}

    def make_base(self, g: str, s: str, dim: str, year: int) -> str:
        rng = self.rng
        style = _USER_STYLES.pick(rng)
        if style == "g_s0":
            base = f"{g}_{s[:1]}"
        elif style == "g.s":
            base = f"{g}.{s}"
        elif style == "s_g":
            base = f"{s}_{g}"
        elif style == "dimyy":
            base = f"{dim}{year % 100:02d}"
        elif style == "gs":
            base = f"{g}{s}"
        elif style == "syyyy":
            base = f"{s}{year}"
        elif style == "nick_n":
            base = f"{NICKNAMES_LATIN[rng.randrange(len(NICKNAMES_LATIN))]}_{rng.randrange(1, 999)}"
        elif style == "nickg":
            base = f"{NICKNAMES_LATIN[rng.randrange(len(NICKNAMES_LATIN))]}{g}"
        elif style == "g0s":
            base = f"{g[:1]}{s}"
        elif style == "g_s_yy":
            base = f"{g}_{s}_{year % 100:02d}"
        elif style == "dim_s":
            base = f"{dim}_{s}"
        elif style == "g":
            base = g
        else:
            base = s
        base = _NOT_ALLOWED.sub("", base.lower()).strip("._")
        return base or f"user{rng.randrange(10**6)}"

    def claim(self, platform: str, base: str) -> str:
        rng = self.rng
        if platform == "telegram":
            base = base.replace(".", "_")
            if base[:1].isdigit():
                base = "u" + base
            base = base[:28]
            while len(base) < 5:
                base += str(rng.randrange(10))
        used = self.used[platform]
        cand = base
        while cand in used:
            sep = (
                ""
                if rng.random() < 0.6
                else ("_" if platform == "telegram" else rng.choice(("_", ".")))
            )
            cand = f"{base}{sep}{rng.randrange(1, 10 ** rng.choice((1, 2, 2, 3, 4)))}"
        used.add(cand)
        return cand


_VK_SCREEN = Weighted(
    (
        ("https://vk.com/{u}", 30),
        ("vk.com/{u}", 25),
        ("m.vk.com/{u}", 8),
        ("vk.ru/{u}", 6),
        ("https://vk.ru/{u}", 4),
        ("{u}", 10),
        ("@{u}", 5),
        ("http://vk.com/{u}/", 3),
        ("https://m.vk.com/{u}?from=profile", 2),
        ("new.vk.com/{u}", 1),
        ("vkontakte.ru/{u}", 1),
        ("https://www.vk.com/{u}", 2),
        ("VK.COM/{U}", 1),
    )
)
_VK_ID = Weighted(
    (
        ("https://vk.com/id{n}", 35),
        ("vk.com/id{n}", 30),
        ("id{n}", 10),
        ("m.vk.com/id{n}", 6),
        ("https://vk.ru/id{n}", 5),
        ("http://vkontakte.ru/id{n}", 2),
        ("https://vk.com/id{n}?w=wall{n}_1", 1),
        ("{n}", 5),
    )
)
_TG = Weighted(
    (
        ("@{u}", 55),
        ("t.me/{u}", 15),
        ("https://t.me/{u}", 12),
        ("{u}", 8),
        ("telegram.me/{u}", 2),
        ("tg://resolve?domain={u}", 1),
        ("@{C}", 5),
        ("{u}.t.me", 1),
        ("https://telegram.me/{u}/", 1),
    )
)
_IG = Weighted(
    (
        ("@{u}", 30),
        ("instagram.com/{u}", 20),
        ("https://www.instagram.com/{u}/", 20),
        ("https://instagram.com/{u}?igshid={h}", 8),
        ("{u}", 15),
        ("instagr.am/{u}", 2),
        ("www.instagram.com/{u}", 5),
        ("Instagram.com/{C}", 1),
    )
)
_WA = Weighted(
    (
        ("wa.me/{d}", 60),
        ("https://wa.me/{d}", 20),
        ("https://api.whatsapp.com/send?phone={d}", 10),
        ("wa.me/+{d}", 5),
        ("whatsapp://send?phone={d}", 2),
    )
)


def _cap(u: str) -> str:
    return "_".join(p[:1].upper() + p[1:] for p in u.split("_"))


def vk(vk_id: int | None, screen: str | None, rng: Random) -> str:
    """A VK profile link by screen name or by numeric id (``vk_id=None``: screen name only)."""
    if screen and (vk_id is None or rng.random() < 0.65):
        return _VK_SCREEN.pick(rng).format(u=screen, U=screen.upper())
    return _VK_ID.pick(rng).format(n=vk_id)


def telegram(user: str, rng: Random) -> str:
    return _TG.pick(rng).format(u=user, C=_cap(user))


def instagram(user: str, rng: Random) -> str:
    h = f"{rng.getrandbits(40):010x}"
    return _IG.pick(rng).format(u=user, C=_cap(user), h=h)


def whatsapp(digits: str, rng: Random) -> str:
    return _WA.pick(rng).format(d=digits)
