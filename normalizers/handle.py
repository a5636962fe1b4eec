"""Social handles and profile links to ``platform:key`` match keys.

No library covers the Russian platforms, so the knowledge is a table: for each platform its
hosts and an ordered list of routes (a regex over the link's path, the kind of thing it points
to and the key it yields). A bare value (``@ivan``, ``ivan_petrov``, ``id123``) is read as a path
on the platform named by the contact's channel (``platform_hint``).

Links are reduced before matching: scheme, ``www.``/``m.``, fragment, trailing ``/`` and every
query parameter except the few that carry an id are dropped; the rest is percent-decoded and
lowercased. Only ``kind == "user"`` keys are evidence of a person; communities and invites are
returned so the pipeline can see them and skip them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

from normalizers.phone import normalize_phone
from normalizers.text import clean_text


@dataclass(frozen=True, slots=True)
class HandleKey:
    """One social handle: its platform, match key and what it points to."""

    platform: str  # "vk" | "tg" | "ig" | "fb" | "ok" | "wa" | "unknown"
    key: str  # "vk:id123", "tg:ivan_petrov", ...; E.164 when the handle is a phone
    nickname: str | None  # lowercase username without "@"; None for numeric ids and phones
    phone: str | None  # E.164 when the handle is a phone (WhatsApp, t.me/+7916...)
    kind: str  # "user" | "community" | "invite" | "phone"


@dataclass(frozen=True, slots=True)
class _Route:
    """A path pattern on a platform: what it points to and the key it yields.

    ``key`` is a format string over the pattern's named groups; ``kind == "ignore"`` marks
    service pages (feeds, posts, settings) that identify nobody.
    """

    pattern: re.Pattern[str]
    kind: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class _Platform:
    name: str
    hosts: frozenset[str]
    routes: tuple[_Route, ...]
    id_params: tuple[str, ...] = ()
    drop_from_key: str = ""  # characters a username ignores (Facebook: dots)


def _r(pattern: str, kind: str, key: str = "") -> _Route:
    return _Route(re.compile(pattern), kind, key)


_TG_NAME = r"[a-z0-9_]{5,32}"
_IG_NAME = r"(?!\.)(?!.*\.\.)[a-z0-9_.]{1,30}(?<!\.)"
_DIGITS = r"\d{1,20}"

PLATFORMS: tuple[_Platform, ...] = (
    _Platform(
        "vk",
        frozenset({"vk.com", "vk.ru", "vkontakte.ru", "vk.me"}),
        (
            _r(rf"^/id(?P<id>{_DIGITS})$", "user", "vk:id{id}"),
            _r(rf"^/(?P<id>{_DIGITS})$", "user", "vk:id{id}"),
            _r(rf"^/(?:public|club|event|group)(?P<id>{_DIGITS})$", "community", "vk:club{id}"),
            _r(rf"^/write(?P<id>{_DIGITS})$", "user", "vk:id{id}"),
            _r(rf"^/write-(?P<id>{_DIGITS})$", "community", "vk:club{id}"),
            _r(rf"^/im\?sel=(?P<id>{_DIGITS})$", "user", "vk:id{id}"),
            _r(rf"^/im\?sel=-(?P<id>{_DIGITS})$", "community", "vk:club{id}"),
            _r(rf"^/im\?sel=c(?P<id>{_DIGITS})$", "invite", "vk:chat{id}"),
            _r(rf"^/profile\.php\?id=(?P<id>{_DIGITS})$", "user", "vk:id{id}"),
            _r(rf"^/(?:wall|photo|video|audio)-(?P<id>{_DIGITS})_\d+$", "community", "vk:club{id}"),
            _r(rf"^/(?:wall|photo|video|audio)(?P<id>{_DIGITS})_\d+$", "user", "vk:id{id}"),
            _r(r"^/(?:join|joinchat|chat)\b.*$", "invite", "vk:invite"),
            _r(
                r"^/(?:feed|im|friends|groups|search|apps?|settings|login|music|video|audio|photos?"
                r"|docs|market|services|support|help|about|terms|dev|ads|page-\d+_\d+|wall.*|away\.php"
                r"|share\.php|clips?|stories|story.*|edu|games|blog|jobs|legal|press|mail)(?:/.*)?$",
                "ignore",
            ),
            _r(r"^/(?P<name>[a-z0-9_][a-z0-9_.]{1,31})$", "user", "vk:{name}"),
        ),
        id_params=("id", "sel"),
    ),
    _Platform(
        "tg",
        frozenset({"t.me", "telegram.me", "telegram.dog", "tg"}),
        (
            _r(r"^/\+(?P<phone>\d{7,15})$", "phone"),
            _r(r"^/\+(?P<hash>[\w-]+)$", "invite", "tg:+{hash}"),
            _r(r"^/joinchat/(?P<hash>[\w-]+)$", "invite", "tg:joinchat/{hash}"),
            _r(r"^/join\?invite=(?P<hash>[\w-]+)$", "invite", "tg:+{hash}"),
            _r(r"^/addlist/(?P<hash>[\w-]+)$", "invite", "tg:addlist/{hash}"),
            _r(r"^/resolve\?phone=(?P<phone>\d{7,15})$", "phone"),
            _r(rf"^/resolve\?domain=(?P<name>{_TG_NAME})$", "user", "tg:{name}"),
            _r(r"^/user\?id=(?P<id>\d{1,15})$", "user", "tg:id{id}"),
            _r(
                r"^/(?:addstickers|addemoji|share|msg|proxy|socks|setlanguage|login|iv|confirmphone"
                r"|addtheme|bg|invoice|boost|contact)(?:/.*)?$",
                "ignore",
            ),
            _r(rf"^/s/(?P<name>{_TG_NAME})(?:/\d+)?$", "community", "tg:{name}"),
            _r(r"^/c/(?P<id>\d+)(?:/\d+)*$", "community", "tg:c{id}"),
            _r(rf"^/(?P<name>{_TG_NAME})/\d+$", "community", "tg:{name}"),
            _r(rf"^/(?P<name>{_TG_NAME})$", "user", "tg:{name}"),
            _r(r"^/(?P<id>\d{5,12})$", "user", "tg:id{id}"),
        ),
        id_params=("domain", "phone", "invite", "id"),
    ),
    _Platform(
        "ig",
        frozenset({"instagram.com", "instagr.am", "ig.me"}),
        (
            _r(rf"^/stories/(?P<name>{_IG_NAME})(?:/.*)?$", "user", "ig:{name}"),
            _r(rf"^/m/(?P<name>{_IG_NAME})$", "user", "ig:{name}"),
            _r(
                r"^/(?:p|reel|reels|tv|stories|explore|accounts|direct|about|developer|legal|web"
                r"|challenge|privacy|emails|session|oauth|api|graphql|static|help|invites)(?:/.*)?$",
                "ignore",
            ),
            _r(r"^/(?P<id>\d{5,20})$", "user", "ig:id{id}"),
            _r(rf"^/(?P<name>{_IG_NAME})(?:/.*)?$", "user", "ig:{name}"),
        ),
    ),
    _Platform(
        "fb",
        frozenset({"facebook.com", "fb.com", "fb.me", "m.me", "messenger.com"}),
        (
            _r(rf"^/profile\.php\?id=(?P<id>{_DIGITS})$", "user", "fb:id{id}"),
            _r(rf"^/people/[^/]+/(?P<id>{_DIGITS})$", "user", "fb:id{id}"),
            _r(
                r"^/(?:groups|events|pages|pg)/(?P<id>[^/?]+)(?:/.*)?$", "community", "fb:page:{id}"
            ),
            _r(
                r"^/(?:home\.php|watch|marketplace|login|share|sharer|sharer\.php|permalink\.php"
                r"|photo\.php|story\.php|messages|friends|notifications|settings|help|policies"
                r"|privacy|gaming|reel|reels|stories|hashtag|search|photo|videos?|l\.php|dialog"
                r"|plugins|business|ads|t)(?:[/?].*)?$",
                "ignore",
            ),
            _r(rf"^/(?P<id>{_DIGITS})$", "user", "fb:id{id}"),
            _r(r"^/(?P<name>[a-z0-9.]{5,50})(?:/.*)?$", "user", "fb:{key}"),
        ),
        id_params=("id",),
        drop_from_key=".",
    ),
    _Platform(
        "ok",
        frozenset({"ok.ru", "odnoklassniki.ru"}),
        (
            _r(rf"^/profile/(?P<id>{_DIGITS})(?:/.*)?$", "user", "ok:{id}"),
            _r(rf"^/group/?(?P<id>{_DIGITS})(?:/.*)?$", "community", "ok:group{id}"),
            _r(
                r"^/(?:feed|messages|music|video|game|games|app|apps|search|dk|friends|groups|guests"
                r"|notes|photos?|settings|live|holidays|gifts|help|discussions|marks)(?:[/?].*)?$",
                "ignore",
            ),
            _r(rf"^/(?P<id>{_DIGITS})$", "user", "ok:{id}"),
            _r(r"^/(?P<name>[a-z][a-z0-9_.]{1,49})(?:/.*)?$", "user", "ok:{name}"),
        ),
    ),
    _Platform(
        "wa",
        frozenset({"wa.me", "api.whatsapp.com", "whatsapp.com", "whatsapp"}),
        (
            _r(r"^/(?P<phone>\+?\d{7,15})$", "phone"),
            _r(r"^/send/?\?phone=(?P<phone>\+?\d{7,15})$", "phone"),
            _r(r"^/(?:message|qr)/(?P<hash>\w+)$", "invite", "wa:{hash}"),
        ),
        id_params=("phone",),
    ),
    _Platform(
        "wa",
        frozenset({"chat.whatsapp.com"}),
        (_r(r"^/(?:invite/)?(?P<hash>\w+)$", "invite", "wa:chat/{hash}"),),
    ),
)
"""The platform table: hosts and ordered routes; the first route that matches wins."""

PLATFORM_HINTS = {
    "vk": "vk",
    "vkontakte": "vk",
    "вк": "vk",
    "вконтакте": "vk",
    "telegram": "tg",
    "tg": "tg",
    "телеграм": "tg",
    "instagram": "ig",
    "ig": "ig",
    "insta": "ig",
    "facebook": "fb",
    "fb": "fb",
    "ok": "ok",
    "odnoklassniki": "ok",
    "одноклассники": "ok",
    "whatsapp": "wa",
    "wa": "wa",
}
"""Channel names (as sources spell them) → platform codes."""
PLATFORM_CODES = frozenset({p.name for p in PLATFORMS} | {"unknown"})
"""Every platform code a handle key may start with (``vk:id1``, ``tg:ivan``), plus ``unknown``."""


def platform_of(channel: str | None) -> str | None:
    """The platform code of a channel name as a source spells it (``"vkontakte"``, ``"insta"``,
    ``"Telegram"``), or ``None`` for a channel that is no known platform (e-mail, calls)."""
    if not isinstance(channel, str):
        return None
    return PLATFORM_HINTS.get(channel.strip().lower())


_BY_HOST = {host: p for p in PLATFORMS for host in p.hosts}
_BY_NAME = {p.name: p for p in reversed(PLATFORMS)}  # the first table row of each name wins
_HOST_PREFIXES = ("www.", "m.", "mobile.", "new.", "web.", "touch.", "business.", "api.")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_PHONEISH = re.compile(r"^\+?[\d\s().\-]{7,25}$")
_BARE_NAME = re.compile(r"^[a-z0-9_.]{3,32}$")
_HAS_LETTER = re.compile(r"[a-z]")
_URL_IN_TEXT = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)?(?:[a-z0-9-]+\.)+[a-z]{2,}/\S+|(?<![\w.])@[a-z0-9_.]+"
)


def _host_platform(host: str) -> tuple[_Platform | None, str | None]:
    """The platform a host belongs to, and the username a ``<user>.t.me`` host carries."""
    while True:
        if host in _BY_HOST:
            return _BY_HOST[host], None
        if host.endswith(".t.me") and host.count(".") == 2:
            return _BY_NAME["tg"], host.split(".")[0]
        prefix = next((p for p in _HOST_PREFIXES if host.startswith(p)), None)
        if prefix is None:
            return None, None
        host = host[len(prefix) :]


def _target(path: str, query: str, platform: _Platform) -> str:
    """The reduced path a route is matched against: ``/path`` plus kept id parameters."""
    path = "/" + path.strip("/")
    params = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k in platform.id_params
    ]
    if params:
        k, v = params[0]
        path = f"{path}?{k}={v.strip()}"
    return path


def _phone_key(platform: str, digits: str) -> HandleKey | None:
    plain = digits.lstrip("+")
    phone = normalize_phone("+" + plain) or normalize_phone(plain)
    if phone is None:
        return None
    return HandleKey(
        platform=platform, key=phone.e164, nickname=None, phone=phone.e164, kind="phone"
    )


def _route(platform: _Platform, target: str) -> HandleKey | None:
    for route in platform.routes:
        match = route.pattern.match(target)
        if match is None:
            continue
        if route.kind == "ignore":
            return None
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        if route.kind == "phone":
            return _phone_key(platform.name, groups["phone"])
        name = groups.get("name")
        if name is not None:
            drop = platform.drop_from_key
            groups["key"] = name.translate(str.maketrans("", "", drop)) if drop else name
        nickname = name if route.kind == "user" else None
        return HandleKey(
            platform=platform.name,
            key=route.key.format(**groups),
            nickname=nickname,
            phone=None,
            kind=route.kind,
        )
    return None


def _from_url(text: str) -> tuple[bool, HandleKey | None]:
    """Whether ``text`` is a link to a known platform, and the handle it points to."""
    if text.startswith(("tg:", "whatsapp:")) and "://" not in text:
        text = text.replace(":", "://", 1)
    if not (_SCHEME.match(text) or "/" in text or "." in text):
        return False, None
    try:
        parts = urlsplit(text if _SCHEME.match(text) else "//" + text)
        host = (parts.hostname or "").lower()
    except ValueError:  # "Invalid IPv6 URL": a lone "[" in a typed handle is no link
        return False, None
    path = parts.path
    if parts.scheme in ("tg", "whatsapp"):
        path, host = f"/{host}{path}", parts.scheme
    platform, subdomain_user = _host_platform(host)
    if platform is None:
        return False, None
    if subdomain_user is not None:
        path = "/" + subdomain_user
    target = _target(unquote(path).lower().replace("/@", "/"), parts.query, platform)
    return True, _route(platform, target)


def _from_bare(value: str, hint: str | None) -> HandleKey | None:
    """A bare value (``@ivan``, ``ivan_petrov``, ``id123``, a phone) read on the hinted platform."""
    name = value.removeprefix("@")
    if _PHONEISH.match(name) and (hint in ("wa", "tg", None) or name.startswith("+")):
        digits = re.sub(r"[^\d+]", "", name)
        looks_like_phone = digits.startswith("+") or len(digits) >= 10 or hint == "wa"
        if looks_like_phone:
            phone = normalize_phone(name)
            if phone is not None:
                return HandleKey(
                    platform=hint or "unknown",
                    key=phone.e164,
                    nickname=None,
                    phone=phone.e164,
                    kind="phone",
                )
            if hint == "wa":
                return None
    if hint is not None and hint in _BY_NAME:
        if hint == "wa":
            return None  # WhatsApp has no usernames: only a phone identifies a person
        return _route(_BY_NAME[hint], "/" + name.strip("/"))
    if _BARE_NAME.match(name) and _HAS_LETTER.search(name):
        return HandleKey(
            platform="unknown", key=f"unknown:{name}", nickname=name, phone=None, kind="user"
        )
    return None


@lru_cache(maxsize=1 << 17)
def _normalize(text: str, hint: str | None) -> HandleKey | None:
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    value = unquote(cleaned).strip().lower()
    value = value.split("#", 1)[0].strip()
    if not value:
        return None
    if " " in value and not _PHONEISH.match(value):
        # "VK: vk.com/id1", "Иван @ivan_p": take the link or @handle inside
        found = _URL_IN_TEXT.search(value)
        if found is None:
            return None
        value = found.group(0)
    is_link, from_url = _from_url(value)
    return from_url if is_link else _from_bare(value, hint)


def normalize_handle(raw: object, platform_hint: str | None = None) -> HandleKey | None:
    """The match key of a social handle or profile link, or ``None``.

    Links to VK, Telegram, Instagram, Facebook, OK and WhatsApp are read by the platform table
    whatever the hint; a bare value is read on the platform named by ``platform_hint`` (the
    contact's channel: "vk", "telegram", "instagram", "whatsapp", "facebook", "ok"); without a
    hint it becomes ``unknown:<name>``. WhatsApp ids and ``t.me/+<digits>`` are phones: the key
    is the E.164 number, the same as the phone field's. Telegram usernames must be 5–32 of
    ``[a-z0-9_]``; service pages, unknown hosts and text that is no handle give ``None``.
    Never raises.
    """
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else clean_text(raw)
    if text is None or len(text) > 2000:
        return None
    return _normalize(text, platform_of(platform_hint))
