"""The lookup API on a real published snapshot: by ID (following merges), by any written form of
each identifier, history, reload when ``current`` switches, OpenAPI docs served from the app."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
from fastapi.testclient import TestClient

from api import create_app
from resolution.publishing.current import switch_current
from resolution.publishing.identity import stamp_id_map
from resolution.publishing.snapshot import Snapshot


def profile_of(home: Path, source: str, source_id: str) -> str:
    members = pl.read_parquet(home / "current" / "members.parquet")
    return members.filter((pl.col("source") == source) & (pl.col("source_id") == source_id))[
        "profile_id"
    ].item()


def phone_forms(e164: str) -> list[str]:
    if not (e164.startswith("+7") and len(e164) == 12):
        return [e164]
    d = e164[2:]
    return [
        e164,
        f"8 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}",
        f"+7 ({d[:3]}) {d[3:6]} {d[6:8]} {d[8:]}",
        "7" + d,
        f"8{d}",
    ]


def email_forms(email: str) -> list[str]:
    local, _, domain = email.partition("@")
    forms = [email, email.upper(), f"  {email.lower()}  "]
    if domain.lower() == "gmail.com":
        plain = local.replace(".", "")
        forms += [f"{plain}@gmail.com", f"{'.'.join(plain)}@GMail.com", f"{plain}+crm@gmail.com"]
    return forms


URLS = {
    "tg": "https://t.me/{}",
    "vk": "https://vk.com/{}",
    "ig": "https://www.instagram.com/{}",
    "fb": "https://www.facebook.com/{}",
    "ok": "https://ok.ru/{}",
}


def handle_forms(key: str) -> list[str]:
    platform, _, name = key.partition(":")
    forms = [key, "@" + name]
    if platform in URLS:
        forms.append(URLS[platform].format(name))
    return forms


def test_a_phone_written_any_way_finds_the_profile(client, home):
    pid = profile_of(home, "vk", "api-1")
    for form in ("8 916 342-78-15", "+7 (916) 342 78 15", "89163427815", "+79163427815"):
        got = client.get("/lookup", params={"phone": form}).json()
        assert pid in [p["profile_id"] for p in got["profiles"]], form
        assert got["normalized"]["phone"] == ["+79163427815"]


def test_every_identifier_of_every_profile_in_any_written_form(client, home):
    profiles = pl.read_parquet(home / "current" / "profiles.parquet")
    checked = 0
    for row in profiles.iter_rows(named=True):
        queries = (
            [("phone", f) for p in row["phones"] for f in phone_forms(p)]
            + [("email", f) for e in row["emails"] for f in email_forms(e)]
            + [("handle", f) for h in row["handles"] for f in handle_forms(h)]
        )
        for kind, form in queries:
            got = client.get("/lookup", params={kind: form})
            assert got.status_code == 200, (kind, form, got.text)
            found = [p["profile_id"] for p in got.json()["profiles"]]
            assert row["profile_id"] in found, (kind, form, got.json()["normalized"])
            checked += 1
    assert checked > 200


def test_profile_by_id_with_provenance_members_and_statistics(client, home):
    pid = profile_of(home, "telegram", "api-2")
    body = client.get(f"/profiles/{pid}").json()
    assert body["profile_id"] == pid and body["resolved_from"] is None
    assert {"source": "telegram", "source_id": "api-2"} in [
        {k: m[k] for k in ("source", "source_id")} for m in body["members"]
    ]
    assert body["name_source"] in {"vk", "telegram"}
    assert {"csat_good", "csat_bad", "bad_share", "preferred_channel"} <= set(body)


def test_history_is_one_timeline(client, home):
    pid = profile_of(home, "vk", "api-1")
    history = pl.read_parquet(home / "current" / "history.parquet").filter(
        pl.col("profile_id") == pid
    )
    body = client.get(f"/profiles/{pid}/history").json()
    assert [i["interaction_id"] for i in body["interactions"]] == history[
        "interaction_id"
    ].to_list()


def test_unknown_id_and_empty_query(client):
    assert client.get("/profiles/p_nope").status_code == 404
    assert client.get("/lookup").status_code == 400
    assert client.get("/lookup", params={"phone": "+7 999 000-00-01"}).json()["profiles"] == []
    garbage = client.get("/lookup", params={"phone": "12", "email": "not-an-address"})
    assert garbage.status_code == 422
    assert "phone='12'" in garbage.json()["detail"]


def test_openapi_docs(client):
    docs = client.get("/docs", headers={"Authorization": ""})
    assert docs.status_code == 200
    assert not re.search(r"(https?:)?//[\w.-]+", docs.text), "the docs page names another host"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', docs.text):
        assert client.get(asset).status_code == 200, asset
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/profiles/{profile_id}", "/lookup", "/profiles/{profile_id}/history"} <= set(paths)


def test_merged_away_id_answers_with_its_successor_after_current_switches(
    home, api_token, tmp_path
):
    """A snapshot where one ID was merged into another; the app notices the switch."""
    work = tmp_path / "home"
    shutil.copytree(home, work, symlinks=True)
    client = TestClient(create_app(work), headers={"Authorization": f"Bearer {api_token}"})
    current = work / "current"
    members = pl.read_parquet(current / "members.parquet")
    a, b = sorted(members["profile_id"].unique().to_list())[:2]
    assert client.get(f"/profiles/{b}").json()["profile_id"] == b
    # Publish a hand-made next snapshot in which b was merged into a.
    snap = work / "snapshots" / "99990101T000000Z-merged"
    shutil.copytree(current.resolve(), snap)
    merged = members.with_columns(pl.col("profile_id").replace(b, a))
    merged.write_parquet(snap / "members.parquet")
    profiles = pl.read_parquet(snap / "profiles.parquet").filter(pl.col("profile_id") != b)
    profiles.write_parquet(snap / "profiles.parquet")
    id_map = pl.read_parquet(snap / "id_map.parquet").with_columns(
        pl.when(pl.col("profile_id") == b)
        .then(pl.lit(a))
        .otherwise(pl.col("current_id"))
        .alias("current_id"),
        pl.when(pl.col("profile_id") == b)
        .then(pl.lit("merged"))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.lit(None, pl.String).alias("run_id"),
    )
    stamp_id_map(id_map, snap.name).write_parquet(snap / "id_map.parquet")
    switch_current(work, Snapshot(run_id=snap.name, path=snap, counts={}))
    body = client.get(f"/profiles/{b}").json()
    assert body["profile_id"] == a and body["resolved_from"] == b
    assert client.get(f"/profiles/{b}/history").json()["profile_id"] == a
