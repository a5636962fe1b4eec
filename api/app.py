"""Lookup API over the published snapshot: profiles by ID (following merges), lookup by phone,
e-mail or handle (normalized exactly as the pipeline normalizes the data) and a profile's
history. OpenAPI docs at ``/docs``, served from files the app ships (``api/static``).

Every data endpoint wants ``Authorization: Bearer TOKEN`` (``edin token create``). Requests are
logged by route template (``/profiles/{profile_id}``), never by URL: phones and e-mails travel
in query strings. No response echoes more than a short prefix of what was asked.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from api.route_log import RouteLog
from api.tokens import TokenStore
from normalizers import PLATFORM_CODES, normalize_email, normalize_handle, normalize_phones
from resolution import Home
from resolution.publishing import Published, read_published

log = logging.getLogger("edin.api")
STATIC = Path(__file__).parent / "static"
# How much of a caller's input a response may repeat: enough to recognise it, too little to
# turn the API into a reflector of whatever was sent.
ECHO_CHARS = 20
# Longest accepted query values: an e-mail address is at most 254 octets (RFC 5321); a phone
# written any way fits in 64 characters; a profile URL in 256.
MAX_QUERY = {"phone": 64, "email": 254, "handle": 256, "platform": 32}
_PROFILE_ID = r"^[A-Za-z0-9_\-]{1,64}$"
# The Authorization header, parsed; a missing one is our 401, not FastAPI's 403.
BEARER = HTTPBearer(
    auto_error=False, description="A token made with `edin token create --home DIR --name NAME`."
)
# The docs page: the script and style come from this app; the page holds one inline script
# (FastAPI's Swagger UI bootstrap).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)

# A handle already written as a match key (tg:ivan, vk:id1, wa:...): one platform vocabulary,
# the handle normalizer's.
_HANDLE_KEY = re.compile(rf"^({'|'.join(sorted(PLATFORM_CODES))}):[\w.\-]+$", re.IGNORECASE)


class Member(BaseModel):
    source: str
    source_id: str
    confidence: float | None = None


class Profile(BaseModel):
    """One person: the golden record (each field with the contact it came from), every
    identifier, activity and helpdesk statistics, and the contacts it is made of."""

    profile_id: str
    resolved_from: str | None = None  # the merged-away ID that was asked for, if any
    snapshot: str
    display_name: str | None = None
    name_source: str | None = None
    name_source_id: str | None = None
    emails: list[str] = []
    phones: list[str] = []
    handles: list[str] = []
    city: str | None = None
    city_source: str | None = None
    city_source_id: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    contacts: int = 0
    interactions: int = 0
    channels: list[str] = []
    preferred_channel: str | None = None
    csat_good: int = 0
    csat_neutral: int = 0
    csat_bad: int = 0
    bad_share: float | None = None
    status: str | None = None
    members: list[Member] = []


class Interaction(BaseModel):
    source: str
    source_id: str
    interaction_id: str
    started_at: datetime | None = None
    channel: str | None = None
    subject: str | None = None
    rating: str | None = None
    operator: str | None = None


class History(BaseModel):
    profile_id: str
    resolved_from: str | None = None
    snapshot: str
    interactions: list[Interaction]


class Lookup(BaseModel):
    query: dict[str, str]
    normalized: dict[str, list[str]]
    profiles: list[Profile]


@dataclass
class Index:
    """One published snapshot, loaded and indexed for lookups."""

    snapshot: Published
    history: pl.DataFrame
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resolves: dict[str, str | None] = field(default_factory=dict)
    by_phone: dict[str, set[str]] = field(default_factory=dict)
    by_email: dict[str, set[str]] = field(default_factory=dict)
    by_handle: dict[str, set[str]] = field(default_factory=dict)
    by_nickname: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, snapshot: Published) -> Index:
        history = pl.read_parquet(snapshot.path / "history.parquet")
        index = cls(snapshot=snapshot, history=history)
        for row in snapshot.profiles.iter_rows(named=True):
            pid = row["profile_id"]
            index.profiles[pid] = row
            for phone in row["phones"] or []:
                index.by_phone.setdefault(phone, set()).add(pid)
            for email in row["emails"] or []:
                key = normalize_email(email)
                index.by_email.setdefault(key.key if key else email.lower(), set()).add(pid)
            for handle in row["handles"] or []:
                index.by_handle.setdefault(handle, set()).add(pid)
                index.by_nickname.setdefault(handle.partition(":")[2], set()).add(pid)
        for row in snapshot.members.sort("source", "source_id").iter_rows(named=True):
            index.members.setdefault(row["profile_id"], []).append(
                {
                    "source": row["source"],
                    "source_id": row["source_id"],
                    "confidence": row.get("confidence"),
                }
            )
        for pid, current in snapshot.id_map.select("profile_id", "current_id").iter_rows():
            index.resolves[pid] = current
        for pid in index.profiles:
            index.resolves.setdefault(pid, pid)
        return index

    def resolve(self, requested: str) -> str:
        """The live ID for ``requested``: itself or its successor; 404 / 410 otherwise."""
        if requested not in self.resolves:
            raise HTTPException(404, f"no profile {echo(requested)} was ever published")
        current = self.resolves[requested]
        if current is None:
            raise HTTPException(410, f"profile {echo(requested)} was erased")
        return current

    def profile(self, pid: str, requested: str | None = None) -> Profile:
        return Profile(
            **self.profiles[pid],
            members=[Member(**m) for m in self.members.get(pid, [])],
            snapshot=self.snapshot.run_id,
            resolved_from=requested if requested not in (None, pid) else None,
        )


class Store:
    """The current snapshot's index, reloaded when ``HOME/current`` points elsewhere (one
    ``readlink`` per request)."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self._index: Index | None = None
        self._target: Path | None = None
        self._lock = threading.Lock()

    def get(self) -> Index:
        target = Home(self.home).current_target()
        if target is None:
            raise HTTPException(503, f"nothing published yet in {self.home}; run `edin run`")
        if target != self._target:
            with self._lock:
                if target != self._target:
                    snapshot = read_published(self.home)
                    if snapshot is None:
                        raise HTTPException(503, "the current snapshot is incomplete")
                    self._index, self._target = Index.load(snapshot), target
        if self._index is None:  # another thread failed between the check and the load
            raise HTTPException(503, "the current snapshot could not be loaded; try again")
        return self._index


def echo(value: str) -> str:
    """At most ``ECHO_CHARS`` characters of ``value``, with "…" when it was longer."""
    return value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "…"


def strict_query(name: str, value: str | None) -> str | None:
    """``value`` if it is a clean query value; a 422 if it holds a control or line-break
    character (``a\\r\\nX-Injected: 1@mail.ru`` must not look up ``1@mail.ru``), is longer than
    ``MAX_QUERY[name]``, or, for an e-mail, is not one bare address (no spaces inside)."""
    if value is None:
        return None
    for at, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise HTTPException(
                422, f"{name} holds a control character ({ord(char):#04x}) at position {at}"
            )
    if len(value) > MAX_QUERY[name]:
        raise HTTPException(422, f"{name} is longer than {MAX_QUERY[name]} characters")
    if name == "email" and any(c.isspace() for c in value.strip()):
        raise HTTPException(422, f"email={echo(value)!r} is not one address: it holds a space")
    return value


def _api_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The API's security headers; the docs page also gets a CSP so it loads nothing from
    another host."""
    headers = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]
    if path == "/docs":
        headers.append((b"content-security-policy", DOCS_CSP.encode()))
    return headers


def _api_unmatched(path: str) -> str:
    # an unmatched URL is logged as "?": its path may be anything a caller typed
    return "/docs-static" if path.startswith("/docs-static/") else "?"


def _review_path(path: str) -> bool:
    """Requests to the review app, which keeps its own log."""
    return path == "/review" or path.startswith("/review/")


def _normalized(
    phone: str | None, email: str | None, handle: str | None, platform: str | None
) -> dict[str, list[str]]:
    """The query in the pipeline's own match keys."""
    keys: dict[str, list[str]] = {}
    if phone:
        keys["phone"] = sorted({p.e164 for p in normalize_phones(phone)})
    if email:
        key = normalize_email(email)
        keys["email"] = [key.key] if key else []
    if handle and _HANDLE_KEY.match(handle.strip()):  # already a match key: tg:ivan, vk:id1
        keys["handle"] = [handle.strip().lower()]
    elif handle:
        got = normalize_handle(handle, platform_hint=platform)
        if got is None:
            keys["handle"] = []
        elif got.phone:
            keys["phone"] = sorted({*keys.get("phone", []), got.phone})
        else:
            keys["handle"] = [got.key]
    return keys


def create_app(home: Path | str, review: bool = True, trusted_header: str | None = None) -> FastAPI:
    """The lookup API over ``HOME/current``, with the operators' review app at ``/review``
    (``review=False`` leaves it out). Every data endpoint answers 401 (with ``WWW-Authenticate:
    Bearer``) unless the request carries an active token of ``HOME/api_tokens.sqlite``;
    ``/health``, ``/docs`` and ``/openapi.json`` are open."""
    store = Store(Path(home))
    tokens = TokenStore(home)
    app = FastAPI(
        title="edin lookup API",
        description="Unified customer profiles from the published snapshot. "
        "IDs that were merged away answer with their successor "
        "(`resolved_from` says which ID was asked for). Every call but `/health` wants "
        "`Authorization: Bearer TOKEN` (`edin token create --home DIR --name NAME`).",
        version="1",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        RouteLog,
        logger=log,
        headers=_api_headers,
        unmatched=_api_unmatched,
        prefix="api ",
        skip=_review_path,
    )
    app.mount("/docs-static", StaticFiles(directory=STATIC), name="docs-static")
    if review:
        from review import create_review_app

        app.mount("/review", create_review_app(home, trusted_header=trusted_header))

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> str:
        """The name of the calling token; 401 when there is none or it is not active."""
        if credentials is None:
            raise HTTPException(
                401,
                "send an API token: Authorization: Bearer TOKEN "
                "(made with `edin token create --home DIR --name NAME`)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        name = tokens.verify(credentials.credentials)
        if name is None:
            raise HTTPException(
                401,
                "the API token is unknown or revoked",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return name

    authorized = [Depends(require_token)]

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422 repeats the whole input ("input": ...): keep where and why only.
        errors = [
            {"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors}))

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} · docs",
            swagger_js_url=f"{root}/docs-static/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs-static/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs-static/favicon-32x32.png",
            # the default validator badge is an image from validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Open to anyone (for load balancers): the snapshot's run ID and its profile count."""
        index = store.get()
        return {"snapshot": index.snapshot.run_id, "profiles": len(index.profiles)}

    profile_id_param = PathParam(pattern=_PROFILE_ID, description="p_… (any published ID)")

    @app.get("/profiles/{profile_id}", response_model=Profile, dependencies=authorized)
    def get_profile(profile_id: str = profile_id_param) -> Profile:
        """A profile by ID; an ID merged into another answers with the survivor."""
        index = store.get()
        return index.profile(index.resolve(profile_id), requested=profile_id)

    @app.get("/profiles/{profile_id}/history", response_model=History, dependencies=authorized)
    def get_history(profile_id: str = profile_id_param) -> History:
        """Every interaction of the profile's contacts, across channels, in time order."""
        index = store.get()
        pid = index.resolve(profile_id)
        rows = index.history.filter(pl.col("profile_id") == pid).drop("profile_id")
        return History(
            profile_id=pid,
            snapshot=index.snapshot.run_id,
            resolved_from=profile_id if profile_id != pid else None,
            interactions=[Interaction(**r) for r in rows.iter_rows(named=True)],
        )

    @app.get("/lookup", response_model=Lookup, dependencies=authorized)
    def lookup(
        phone: str | None = Query(None, description="any written form: 8 916 123-45-67"),
        email: str | None = Query(None, description="case, gmail dots and tags ignored"),
        handle: str | None = Query(None, description="@name, a profile URL or tg:name"),
        platform: str | None = Query(None, description="platform of a bare @name"),
    ) -> Lookup:
        """Profiles holding the phone, e-mail or handle (normalized as the pipeline does).
        A value with a control character, an e-mail with a space inside or an overlong value
        answers 422; the answer repeats at most the first 20 characters of each value."""
        phone, email = strict_query("phone", phone), strict_query("email", email)
        handle, platform = strict_query("handle", handle), strict_query("platform", platform)
        if not (phone or email or handle):
            raise HTTPException(400, "give phone=, email= or handle=")
        index = store.get()
        keys = _normalized(phone, email, handle, platform)
        if not any(keys.values()):
            raise HTTPException(
                422,
                "nothing in the query reads as a phone number, an e-mail "
                "address or a handle: "
                + ", ".join(
                    f"{k}={echo(v)!r}"
                    for k, v in (("phone", phone), ("email", email), ("handle", handle))
                    if v
                ),
            )
        found: set[str] = set()
        for value in keys.get("phone", []):
            found |= index.by_phone.get(value, set())
        for value in keys.get("email", []):
            found |= index.by_email.get(value, set())
        for value in keys.get("handle", []):
            found |= index.by_handle.get(value, set())
            platform_part, _, nickname = value.partition(":")
            if platform_part == "unknown":  # a bare @name: any platform
                found |= index.by_nickname.get(nickname, set())
        query = {
            k: echo(v) for k, v in (("phone", phone), ("email", email), ("handle", handle)) if v
        }
        return Lookup(
            query=query, normalized=keys, profiles=[index.profile(pid) for pid in sorted(found)]
        )

    return app
