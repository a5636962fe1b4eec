"""Erasure (invariant 7): `edin erase` leaves no byte of a person anywhere under the home.

The canary: a person with unique values is planted as a drop, merged by an operator, labelled,
then erased by e-mail. Every file under the home is then read raw and, for Parquet, DuckDB and
SQLite, decoded table by table (compressed pages hide strings from a byte search); none may hold
any of the canary's values, nor may the commands' logs. A rerun of the same drop must not bring
the canary back (the tombstone), until the tombstone is lifted.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import CONTACT_HEADER, INTERACTION_HEADER, edin

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
KEY = ["source", "source_id"]

CANARY_CONTACTS = [
    ["telegram", "canary-tg-1", "Канарейка Тестовая", "", "", "t.me/canary_zzq", "Самара",
     "2024-03-01T10:00:00+03:00"],
    ["email", "canary-em-1", "Канарейка Тестовая", "canary.zzq@example.org", "", "", "",
     "2024-03-02T10:00:00+03:00"],
    ["phone", "canary-ph-1", "Тестовая Канарейка", "", "8 (999) 000-11-22", "", "",
     "2024-03-03T10:00:00+03:00"],
]  # fmt: skip
CANARY_INTERACTIONS = [
    ["telegram", "canary-tg-1", "canary-it-1", "2024-03-01T10:05:00+03:00", "message",
     "Вопрос", "good", "Ирина"],
    ["phone", "canary-ph-1", "canary-it-2", "2024-03-03T10:05:00+03:00", "call", "Звонок", "",
     "Ирина"],
]  # fmt: skip
# every written form of every canary value (the name transliterated as the model records it)
NEEDLES = [
    "+79990001122",
    "79990001122",
    "9990001122",
    "8 (999) 000-11-22",
    "000-11-22",
    "canary.zzq@example.org",
    "canary.zzq",
    "canary_zzq",
    "Канарейка",
    "Тестовая",
    "kanareik",
    "testovai",
    "canary-tg-1",
    "canary-em-1",
    "canary-ph-1",
    "canary-it-1",
]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def decoded_texts(path: Path) -> list[str]:
    """The decoded contents of a Parquet, DuckDB or SQLite file, every table as text."""
    out: list[str] = []
    if path.suffix == ".parquet":
        df = pl.read_parquet(path)
        out.append(str(df.to_dicts()))
    elif path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
                out.append(str(con.execute(f'SELECT * FROM "{table}"').fetchall()))
        finally:
            con.close()
    elif path.suffix == ".sqlite":
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                out.append(str(con.execute(f'SELECT * FROM "{table}"').fetchall()))
        finally:
            con.close()
    return out


def leaks(home: Path, texts: dict[str, str] | None = None) -> list[str]:
    """Where any needle appears: raw bytes of every file under ``home``, decoded tables, and
    the given texts (logs)."""
    found = []
    for root, _, files in os.walk(home):
        for name in files:
            path = Path(root) / name
            raw = path.read_bytes().lower()
            for n in NEEDLES:
                if n.lower().encode("utf-8") in raw:
                    found.append(f"{path}: {n} (bytes)")
            for text in decoded_texts(path):
                low = text.lower()
                found += [f"{path}: {n} (decoded)" for n in NEEDLES if n.lower() in low]
    for label, text in (texts or {}).items():
        found += [f"{label}: {n}" for n in NEEDLES if n.lower() in text.lower()]
    return found


@pytest.fixture(scope="module")
def canary_home(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """A home holding the sample and the canary (two runs, an operator's merge, a labels row,
    a third run applying the decision), then the canary erased by e-mail; the logs of it all."""
    tmp = tmp_path_factory.mktemp("erase")
    home, drop = tmp / "home", tmp / "canary"
    write_rows(drop / "contacts.csv", CONTACT_HEADER, CANARY_CONTACTS)
    write_rows(drop / "interactions.csv", INTERACTION_HEADER, CANARY_INTERACTIONS)
    logs: dict[str, str] = {}

    def step(name: str, *args: str) -> subprocess.CompletedProcess[str]:
        proc = edin(*args)
        assert proc.returncode == 0, proc.stderr[-3000:]
        logs[name] = proc.stderr + proc.stdout
        return proc

    step("run sample", "run", str(SAMPLE), "--home", str(home))
    step("run canary", "run", str(drop), "--home", str(home))
    members = pl.read_parquet(home / "current" / "members.parquet")
    assert members.filter(pl.col("source_id").str.starts_with("canary")).height == 3
    step(
        "merge",
        "merge",
        "--home",
        str(home),
        "telegram:canary-tg-1",
        "email:canary-em-1",
        "phone:canary-ph-1",
        "--note",
        "Канарейка Тестовая звонила, canary.zzq@example.org",
    )
    write_rows(
        home / "labels.csv",
        ["source_l", "source_id_l", "source_r", "source_id_r", "label"],
        [["telegram", "canary-tg-1", "email", "canary-em-1", "match"]],
    )
    step("run decided", "run", str(drop), "--home", str(home), "--labels", str(home / "labels.csv"))
    assert len([p for p in (home / "snapshots").iterdir()]) >= 3
    # the review app's note, journal and skip about the canary
    from review.store import ReviewStore

    members = pl.read_parquet(home / "current" / "members.parquet")
    pid = members.filter(pl.col("source_id") == "canary-tg-1")["profile_id"][0]
    store = ReviewStore(home)
    note = store.add_note(pid, "olga", "Канарейка Тестовая: перезвонить на +79990001122")
    store.log_action("olga", "note", f"profile:{pid}", None, [pid], note_id=note.id)
    store.skip("olga", "pair:telegram:canary-tg-1|email:canary-em-1")
    # a leftover folder of a killed run holding the canary
    (home / "snapshots" / "20990101T000000Z-dead00.partial").mkdir()
    (home / "snapshots" / "20990101T000000Z-dead00.partial" / "x.csv").write_text(
        "canary.zzq@example.org", encoding="utf-8"
    )
    # and DuckDB's spill file of a killed run (past [resolution] memory_limit)
    (home / "warehouse.duckdb.tmp").mkdir()
    (home / "warehouse.duckdb.tmp" / "duckdb_temp_storage-0.tmp").write_text(
        "canary.zzq@example.org", encoding="utf-8"
    )
    logs["erase"] = step(
        "erase", "erase", "--home", str(home), "--email", "canary.zzq@example.org"
    ).stdout
    return home, drop, logs


def test_the_canary_leaves_no_byte_under_the_home_nor_in_the_logs(canary_home):
    home, _, logs = canary_home
    assert leaks(home, logs) == []


def test_erase_says_it_erased_the_whole_profile_and_the_feed_shows_erased(canary_home):
    home, _, logs = canary_home
    assert "erased 3 contact(s)" in logs["erase"]
    proc = edin("changes", "--home", str(home))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    erased = [e for e in events if e["event"] == "erased" and e["run_id"].endswith("erase")]
    assert erased and all(e["contacts"] >= 1 for e in erased)
    id_map = pl.read_parquet(home / "current" / "id_map.parquet")
    gone = id_map.filter(pl.col("profile_id").is_in([e["profile_id"] for e in erased]))
    assert gone["status"].to_list() == ["erased"] * gone.height
    assert gone["current_id"].null_count() == gone.height
    key = home / "erase.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_the_snapshot_still_passes_its_checks(canary_home):
    from resolution.publishing import check_snapshot

    home, _, _ = canary_home
    for snap in (home / "snapshots").iterdir():
        assert not snap.name.endswith(".partial")
        tables = {p.stem: pl.read_parquet(p) for p in snap.glob("*.parquet")}
        q = tables["quarantine"]
        problems = check_snapshot(
            tables,
            tables["raw_contacts"].height + q.filter(pl.col("kind") == "contact").height,
            tables["raw_interactions"].height + q.filter(pl.col("kind") == "interaction").height,
        )
        assert problems == []
        manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["counts"]["members"] == tables["members"].height


def test_a_rerun_of_the_same_drop_does_not_bring_the_canary_back_until_lifted(canary_home):
    home, drop, _ = canary_home
    proc = edin("run", str(drop), "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "3 contact(s) of the drop blocked by erasure tombstones" in proc.stderr
    assert leaks(home, {"rerun log": proc.stderr + proc.stdout}) == []
    lifted = edin("erase", "--home", str(home), "--lift", "--email", "canary.zzq@example.org")
    assert lifted.returncode == 0, lifted.stderr
    # the e-mail is lifted but the contact keys and the other identifiers are still tombstoned
    proc = edin("run", str(drop), "--home", str(home))
    assert "blocked by erasure tombstones" in proc.stderr
    for contact in ("telegram:canary-tg-1", "email:canary-em-1", "phone:canary-ph-1"):
        assert edin("erase", "--home", str(home), "--lift", contact).returncode == 0
    for phone_or_handle in (("--phone", "+79990001122"), ("--handle", "t.me/canary_zzq")):
        assert edin("erase", "--home", str(home), "--lift", *phone_or_handle).returncode == 0
    proc = edin("run", str(drop), "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-3000:]
    members = pl.read_parquet(home / "current" / "members.parquet")
    assert members.filter(pl.col("source_id").str.starts_with("canary")).height == 3


def test_an_unknown_person_is_a_clear_error(tmp_path):
    proc = edin("erase", "--home", str(tmp_path), "--email", "nobody.zzq@example.org")
    assert proc.returncode == 2
    assert "no contact" in proc.stderr
    proc = edin("erase", "--home", str(tmp_path), "--phone", "12")
    assert proc.returncode == 2
    assert "reads as no valid phone" in proc.stderr


def test_only_contacts_keeps_the_rest_of_the_profile_without_the_erased_values(tmp_path):
    home = tmp_path / "home"
    proc = edin("run", str(SAMPLE), "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-3000:]
    members = pl.read_parquet(home / "current" / "members.parquet")
    contacts = pl.read_parquet(home / "current" / "contacts.parquet")
    # a profile of several contacts, one of which alone holds an e-mail
    sizes = members.group_by("profile_id").len().filter(pl.col("len") >= 2)
    cand = (
        members.join(sizes, on="profile_id")
        .join(contacts, on=KEY)
        .filter(pl.col("emails").list.len() == 1)
    )
    emails = cand.explode("emails").group_by("profile_id", "emails").len()
    unique = emails.filter(pl.col("len") == 1)
    row = cand.explode("emails").join(unique, on=["profile_id", "emails"]).row(0, named=True)
    key = f"{row['source']}:{row['source_id']}"
    proc = edin("erase", "--home", str(home), "--only-contacts", key)
    assert proc.returncode == 0, proc.stderr
    assert "erased 1 contact(s)" in proc.stdout
    after = pl.read_parquet(home / "current" / "profiles.parquet")
    profile = after.filter(pl.col("profile_id") == row["profile_id"]).row(0, named=True)
    before = members.filter(pl.col("profile_id") == row["profile_id"]).height
    assert profile["contacts"] == before - 1
    assert row["emails"] not in profile["emails"]
    kept = pl.read_parquet(home / "current" / "members.parquet")
    assert kept.filter(pl.col("profile_id") == row["profile_id"]).height >= 1
    assert kept.filter(
        (pl.col("source") == row["source"]) & (pl.col("source_id") == row["source_id"])
    ).is_empty()
    events = [json.loads(x) for x in edin("changes", "--home", str(home)).stdout.splitlines()]
    assert {"event": "updated", "profile_id": row["profile_id"]}.items() <= events[-1].items()
