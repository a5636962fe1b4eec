"""Normalized contacts: every raw contact turned into match keys by the normalizers.

One row per contact with a dense ``record_id`` (assigned in (source, source_id) order, so the
same input always gets the same ids). Display values are kept beside the match keys: keys
decide matches, display values are what the profile shows.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import polars as pl

from normalizers.city import normalize_city
from normalizers.email import normalize_email
from normalizers.handle import normalize_handle
from normalizers.name import normalize_name
from normalizers.phone import normalize_phones
from resolution.config import EdinConfig
from resolution.contract import NORMALIZED_CONTACTS, conform

_EMAIL_SPLIT = re.compile(r"[;,\s]+")
_SET_SPLIT = re.compile(r"\s*[;,|]\s*")
# Channel names as the handle normalizer knows them.
PLATFORM_HINTS = {"vk": "vk", "telegram": "telegram", "tg": "telegram", "instagram": "instagram",
                  "ig": "instagram", "whatsapp": "whatsapp", "wa": "whatsapp",
                  "facebook": "facebook", "fb": "facebook", "ok": "ok"}


def _emails(raw: str | None) -> list[Any]:
    if not raw:
        return []
    parts = [raw] if raw.count("@") <= 1 else _EMAIL_SPLIT.split(raw)
    keys = [normalize_email(p) for p in parts if p]
    return [k for k in keys if k is not None]


def normalize_contact(row: dict[str, Any], normalizers: dict[str, Any]) -> dict[str, Any]:
    """Match keys and display values of one contact (see NORMALIZED_CONTACTS)."""
    flags: set[str] = set()
    name = normalizers["name"](row["name"])
    phones = list(normalizers["phone"](row["phone"]))
    if name is not None:
        flags.update(f"name:{f}" for f in name.flags)
    if row["name"] and name is None:
        flags.add("name:no_evidence")
        # A phone typed as the name is phone evidence (REFERENCE.md, bad inputs).
        phones += normalizers["phone"](row["name"])
    emails = list(normalizers["email"](row["email"]))
    handle = normalizers["handle"]((row["handle"], PLATFORM_HINTS.get(row["source"] or "")))
    handles, nicknames = [], []
    if handle is not None:
        if handle.phone:
            phones += normalizers["phone"](handle.phone)
        elif handle.kind == "user":
            handles.append(handle.key)
            if handle.nickname:
                nicknames.append(handle.nickname)
        else:
            flags.add(f"handle:{handle.kind}")
    match_phones = sorted({p.e164 for p in phones if not p.generic})
    match_emails = sorted({e.key for e in emails if not e.generic})
    flags.update("phone:generic" for p in phones if p.generic)
    flags.update("email:generic" for e in emails if e.generic)
    for e in emails:
        flags.update(f"email:{f}" for f in e.flags)
    local = next((e.local for e in emails if not e.generic), None)
    return {
        "display_name": name.display if name else None,
        "name_key": name.key if name else None,
        "given_key": name.given_key if name else None,
        "surname_key": name.surname_key if name else None,
        "phones": match_phones,
        "emails": match_emails,
        "handles": sorted(set(handles)),
        "nicknames": sorted(set(nicknames)),
        "email_local": local,
        "city": row["city"],
        "city_key": normalizers["city"](row["city"]),
        "flags": sorted(flags),
        "phones_display": list(dict.fromkeys(p.e164 for p in phones)),
        "emails_display": list(dict.fromkeys(e.normalized for e in emails)),
        "handles_display": sorted(set(handles)),
    }


def normalize_contacts(contacts: pl.DataFrame, config: EdinConfig) -> pl.DataFrame:
    """The normalized_contacts table (plus ``f_<name>`` columns for configured extra fields)."""
    region = config.resolution.default_region
    # Caches live for this call only: many contacts repeat a value, and the memory is freed after.
    normalizers = {
        "name": cache(normalize_name),
        "phone": cache(lambda raw: tuple(normalize_phones(raw, default_region=region))),
        "email": cache(_emails),
        "handle": cache(lambda pair: normalize_handle(pair[0], platform_hint=pair[1])),
        "city": cache(normalize_city),
    }
    base = contacts.sort("source", "source_id")
    rows = [normalize_contact(r, normalizers) for r in base.select(
        "source", "name", "email", "phone", "handle", "city").iter_rows(named=True)]
    norm = pl.DataFrame(rows, schema={k: v for k, v in NORMALIZED_CONTACTS.items()
                                      if k not in ("record_id", "source", "source_id",
                                                   "created_at")})
    out = pl.concat([
        base.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("record_id"),
                    "source", "source_id", pl.col("created_ts").alias("created_at")),
        norm,
    ], how="horizontal")
    out = conform(out, NORMALIZED_CONTACTS, "normalized_contacts")
    extras = [_extra(base[f"f_{f.name}"], f.type).alias(f"f_{f.name}") for f in config.fields]
    return out.with_columns(extras) if extras else out


def _extra(col: pl.Series, ftype: str) -> pl.Series:
    cleaned = col.str.strip_chars().str.to_lowercase()
    if ftype == "set":
        return cleaned.map_elements(lambda v: sorted(set(_SET_SPLIT.split(v)) - {""}),
                                    return_dtype=pl.List(pl.String))
    return cleaned
