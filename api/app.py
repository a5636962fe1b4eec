"""Lookup API over the published snapshot: profiles by ID (following merges), lookup by phone,
e-mail or handle (normalized exactly as the pipeline normalizes the data) and a profile's
history. OpenAPI docs at ``/docs``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from normalizers import PLATFORM_CODES, normalize_email, normalize_handle, normalize_phones
from resolution import Home
from resolution.publishing import Published, read_published

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
            raise HTTPException(404, f"no profile {requested} was ever published")
        current = self.resolves[requested]
        if current is None:
            raise HTTPException(410, f"profile {requested} was erased")
        return current

    def profile(self, pid: str, requested: str | None = None) -> Profile:
        return Profile(
            **self.profiles[pid],
            members=self.members.get(pid, []),
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
    (``review=False`` leaves it out)."""
    store = Store(Path(home))
    app = FastAPI(
        title="edin lookup API",
        description="Unified customer profiles from the published snapshot. "
        "IDs that were merged away answer with their successor "
        "(`resolved_from` says which ID was asked for).",
        version="1",
    )
    if review:
        from review import create_review_app

        app.mount("/review", create_review_app(home, trusted_header=trusted_header))

    @app.get("/health")
    def health() -> dict[str, Any]:
        index = store.get()
        return {"snapshot": index.snapshot.run_id, "profiles": len(index.profiles)}

    @app.get("/profiles/{profile_id}", response_model=Profile)
    def get_profile(profile_id: str) -> Profile:
        """A profile by ID; an ID merged into another answers with the survivor."""
        index = store.get()
        return index.profile(index.resolve(profile_id), requested=profile_id)

    @app.get("/profiles/{profile_id}/history", response_model=History)
    def get_history(profile_id: str) -> History:
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

    @app.get("/lookup", response_model=Lookup)
    def lookup(
        phone: str | None = Query(None, description="any written form: 8 916 123-45-67"),
        email: str | None = Query(None, description="case, gmail dots and tags ignored"),
        handle: str | None = Query(None, description="@name, a profile URL or tg:name"),
        platform: str | None = Query(None, description="platform of a bare @name"),
    ) -> Lookup:
        """Profiles holding the phone, e-mail or handle (normalized as the pipeline does)."""
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
                    f"{k}={v!r}"
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
        query = {k: v for k, v in (("phone", phone), ("email", email), ("handle", handle)) if v}
        return Lookup(
            query=query, normalized=keys, profiles=[index.profile(pid) for pid in sorted(found)]
        )

    return app
