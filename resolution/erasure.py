"""Erasure of a person (invariant 7; 152-FZ, GDPR Art. 17/19): ``edin erase``.

``find_person`` resolves who is meant: the contacts whose phone, e-mail or handle match key
equals the given value (or the contact keys given), widened by default to the whole published
profile(s) they are in. ``erase`` then removes their contacts and interactions from everything
the home keeps:

- every retained snapshot (each Parquet file and ``profiles.duckdb`` rewritten into a new
  folder, then swapped in; the current one is published again under the erasure's run ID with
  ``erased`` events and an ``id_map`` saying so, and ``current`` is switched atomically);
- the warehouse (rows deleted, then the database copied into a fresh file so no freed page
  keeps them);
- the model's training pairs and its Fellegi–Sunter value counts (HOME/model and each snapshot's
  copy), the label files, operator decisions and the review app's notes
  and journal (SQLite files vacuumed);
- leftover ``*.partial`` snapshot folders.

A salted-hash tombstone of every erased contact key and identifier (``inputs/tombstones.py``)
stops a later run from ingesting them again. No contact value is ever logged.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from resolution.contract import CHANGES
from resolution.errors import EdinError, NotFoundError
from resolution.files import write_atomic
from resolution.home import MODEL_FILE, Home
from resolution.inputs.tombstones import (
    add_tombstones,
    identifier_keys,
    lift_tombstones,
    query_key,
)
from resolution.publishing.current import switch_current
from resolution.publishing.snapshot import (
    STATE_TABLES,
    Snapshot,
    check_snapshot,
    new_run_id,
    write_database,
)

log = logging.getLogger("edin")

KEY = ["source", "source_id"]


class ErasureError(EdinError):
    """An erasure cannot proceed; the message says what to do."""


@dataclass(frozen=True)
class Person:
    """Who an erasure removes: contact keys, the profiles they are in, and the identifier
    match keys to tombstone (never printed)."""

    contacts: pl.DataFrame  # source, source_id
    profiles: tuple[str, ...]  # published profiles they are in (current snapshot)
    widened: int  # contacts added because they share a profile with the named ones
    identifiers: tuple[str, ...]  # match keys ("phone:+7…") to tombstone


@dataclass(frozen=True)
class Erased:
    """What an erasure did (counts and IDs only: no contact values)."""

    run_id: str
    contacts: int
    interactions: int
    profiles: tuple[str, ...]
    widened: int
    snapshots: int
    tombstones: int


def _snapshots(home: Path) -> list[Path]:
    root = Home(home).snapshots
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and "." not in p.name)


def _read(path: Path, name: str) -> pl.DataFrame | None:
    file = path / f"{name}.parquet"
    return pl.read_parquet(file) if file.exists() else None


def identifier_query(email: str | None, phone: str | None, handle: str | None) -> str:
    """The match key of the one identifier given (``phone:+7…``), or an error saying why it
    reads as none."""
    given = [(k, v) for k, v in (("email", email), ("phone", phone), ("handle", handle)) if v]
    if len(given) != 1:
        raise ErasureError("give exactly one of --email, --phone, --handle (or contact keys)")
    kind, value = given[0]
    key = query_key(kind, value)
    if key is None:
        raise ErasureError(f"the --{kind} given reads as no valid {kind}; check how it is written")
    return key


def find_person(
    home: Path,
    *,
    identifier: str | None = None,
    contacts: Iterable[tuple[str, str]] = (),
    whole_profiles: bool = True,
) -> Person:
    """The contacts to erase: those of any retained snapshot whose match keys include
    ``identifier`` (``phone:+7…``), plus the ``contacts`` named; with ``whole_profiles``, every
    member of the current profiles they are in. ``NotFoundError`` when nothing matches."""
    snaps = _snapshots(home)
    named = {(s.strip().lower(), i.strip()) for s, i in contacts}
    found: set[tuple[str, str]] = set()
    all_raw = []
    for snap in snaps:
        raw = _read(snap, "raw_contacts")
        if raw is not None:
            all_raw.append(raw)
        members = _read(snap, "members")
        keys = (
            {(s, i) for s, i in members.select(KEY).iter_rows()} if members is not None else set()
        )
        found |= named & keys
    raw_all = (
        pl.concat(all_raw, how="diagonal_relaxed").unique(KEY, keep="last") if all_raw else None
    )
    # the identifiers of every contact any snapshot holds, read once (the normalizers are the
    # costly part)
    all_ids = identifier_keys(raw_all) if raw_all is not None else None
    if raw_all is not None and all_ids is not None:
        found |= named & {(s, i) for s, i in raw_all.select(KEY).iter_rows()}
        if identifier:
            hits = all_ids.filter(pl.col("key") == identifier)
            found |= {(s, i) for s, i, _ in hits.iter_rows()}
    if not found:
        what = "that identifier" if identifier else "those contacts"
        raise NotFoundError(
            f"no contact with {what} in any snapshot of {home}; check the value (or run "
            "`edin explain` on a contact key to see what the home holds)"
        )
    profiles: set[str] = set()
    widened = 0
    current = Home(home).current_target()
    members = _read(current, "members") if current else None
    if members is not None:
        picked = pl.DataFrame(sorted(found), schema=KEY, orient="row")
        profiles = set(members.join(picked, on=KEY, how="semi")["profile_id"].to_list())
        if whole_profiles and profiles:
            more = members.filter(pl.col("profile_id").is_in(sorted(profiles)))
            extra = {(s, i) for s, i in more.select(KEY).iter_rows()} - found
            widened = len(extra)
            found |= extra
    people = pl.DataFrame(sorted(found), schema=KEY, orient="row")
    identifiers = {identifier} if identifier else set()
    if all_ids is not None:
        ids = all_ids.filter(~pl.col("key").str.starts_with("contact:"))
        mine = ids.join(people, on=KEY, how="semi")
        # a value another (kept) contact also holds is not tombstoned: it would block them
        shared = set(ids.join(people, on=KEY, how="anti")["key"].to_list())
        identifiers |= set(mine["key"].to_list()) - shared
    return Person(
        contacts=people,
        profiles=tuple(sorted(profiles)),
        widened=widened,
        identifiers=tuple(sorted(identifiers)),
    )


def erase(home: Path, person: Person, run_id: str | None = None) -> Erased:
    """Remove ``person`` from every store of ``home`` (module docstring), holding the home's
    write lock; tombstone their keys; publish ``erased`` events. Returns the counts."""
    home = Path(home)
    paths = Home(home)
    run_id = run_id or new_run_id("erase")
    paths.lock(run_id)
    keys = person.contacts
    # tombstones first: if anything below fails, a rerun of the erasure finds what is left and
    # no run in between can bring the person back
    tombs = add_tombstones(
        home,
        [f"contact:{s}:{i}" for s, i in keys.iter_rows()] + list(person.identifiers),
        run_id,
    )
    for stale in paths.snapshots.glob("*.partial") if paths.snapshots.exists() else ():
        shutil.rmtree(stale, ignore_errors=True)
    records = _erased_records(home, keys)
    # the side stores first and the current snapshot last: a crash part-way leaves the person
    # in `current`, so running the same `edin erase` again finds them and finishes the job
    _erase_warehouse(paths.warehouse, keys)
    theirs = _only_theirs(records, home, keys)
    _erase_training(paths.training_file, theirs)
    _erase_model(paths.model_file, theirs)
    for labels in (paths.labels, paths.skipped_labels):
        _erase_labels(labels, keys)
    _erase_decisions(paths.decisions, keys)
    _erase_review(paths.review, keys, person.profiles)
    current = paths.current_run_id()
    interactions = 0
    erased_profiles: set[str] = set()
    snaps = _snapshots(home)
    for snap in sorted(snaps, key=lambda p: p.name == current):
        is_current = snap.name == current
        got = _rewrite_snapshot(home, snap, keys, run_id if is_current else None, theirs)
        if is_current:
            interactions, erased_profiles = got
    log.info(
        "erased %d contact(s), %d interaction(s), %d profile(s); %d new tombstone(s)",
        keys.height,
        interactions,
        len(erased_profiles),
        tombs,
    )
    return Erased(
        run_id=run_id,
        contacts=keys.height,
        interactions=interactions,
        profiles=tuple(sorted(erased_profiles)),
        widened=person.widened,
        snapshots=len(_snapshots(home)),
        tombstones=tombs,
    )


def lift(home: Path, identifier: str | None, contacts: Iterable[tuple[str, str]]) -> int:
    """Remove the tombstones of an identifier match key and of contact keys, so that the next
    run ingests them again; returns how many there were."""
    keys = [f"contact:{s.strip().lower()}:{i.strip()}" for s, i in contacts]
    Home(home).lock(new_run_id("lift"))
    return lift_tombstones(home, keys + ([identifier] if identifier else []))


# ---- snapshots


def _drop_keys(df: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """``df`` without rows naming an erased contact (by key, or on either side of a pair)."""
    if set(KEY) <= set(df.columns):
        df = df.join(keys, on=KEY, how="anti")
    for side in ("l", "r"):
        cols = [f"source_{side}", f"source_id_{side}"]
        if set(cols) <= set(df.columns):
            df = df.join(keys.rename(dict(zip(KEY, cols, strict=True))), on=cols, how="anti")
    return df


def _scrub_profiles(
    profiles: pl.DataFrame,
    members: pl.DataFrame,
    contacts: pl.DataFrame | None,
    history: pl.DataFrame,
    removed: pl.DataFrame | None,
) -> pl.DataFrame:
    """Profiles that kept some members but lost others: values only the removed contacts held
    leave the lists, a name or city taken from a removed contact is taken from a kept one, and
    the counts follow the members and history left."""
    if contacts is None or removed is None or removed.is_empty():
        return profiles
    kept_vals: dict[str, dict[str, set[str]]] = {}
    by_key = {(r["source"], r["source_id"]): r for r in contacts.iter_rows(named=True)}
    for m in members.iter_rows(named=True):
        row = by_key.get((m["source"], m["source_id"]))
        if row is None:
            continue
        vals = kept_vals.setdefault(
            m["profile_id"], {"phones": set(), "emails": set(), "handles": set()}
        )
        for col in vals:
            vals[col] |= set(row[col] or [])
    gone = {(r["source"], r["source_id"]) for r in removed.iter_rows(named=True)}
    counts = dict(members.group_by("profile_id").len().iter_rows())
    inter = dict(history.group_by("profile_id").len().iter_rows())
    first: dict[str, dict[str, Any] | None] = {}
    for m in members.sort(KEY).iter_rows(named=True):
        first.setdefault(m["profile_id"], by_key.get((m["source"], m["source_id"])))
    out = []
    for p in profiles.iter_rows(named=True):
        pid = p["profile_id"]
        vals = kept_vals.get(pid, {})
        for col in ("phones", "emails", "handles"):
            if p.get(col) is not None:
                p[col] = [v for v in p[col] if v in vals.get(col, set())]
        donor = first.get(pid)
        if (p.get("name_source"), p.get("name_source_id")) in gone:
            p["display_name"] = donor["display_name"] if donor else None
            p["name_source"], p["name_source_id"] = (
                (donor["source"], donor["source_id"]) if donor else (None, None)
            )
        if (p.get("city_source"), p.get("city_source_id")) in gone:
            p["city"] = donor["city"] if donor else None
            p["city_source"], p["city_source_id"] = (
                (donor["source"], donor["source_id"]) if donor else (None, None)
            )
        p["contacts"] = counts.get(pid, 0)
        p["interactions"] = inter.get(pid, 0)
        out.append(p)
    return pl.DataFrame(out, schema=profiles.schema)


def _rewrite_snapshot(
    home: Path,
    snap: Path,
    keys: pl.DataFrame,
    run_id: str | None,
    theirs: set[tuple[str, str]],
) -> tuple[int, set[str]]:
    """Rewrite one snapshot without the erased contacts, into a new folder swapped in when
    whole. With ``run_id`` (the current snapshot) it is published again under that ID, with
    ``erased`` events, and ``current`` switched to it. Returns (interactions removed, profiles
    erased)."""
    names = sorted(p.stem for p in snap.glob("*.parquet"))
    tables = {n: pl.read_parquet(snap / f"{n}.parquet") for n in names}
    members = tables.get("members")
    removed = members.join(keys, on=KEY, how="semi") if members is not None else None
    before_hist = tables["history"].height if "history" in tables else 0
    for n in names:
        tables[n] = _drop_keys(tables[n], keys)
    interactions = before_hist - tables["history"].height if "history" in tables else 0
    erased: set[str] = set()
    if members is not None and "profiles" in tables:
        left = set(tables["members"]["profile_id"].to_list())
        hit = set(removed["profile_id"].to_list()) if removed is not None else set()
        erased = hit - left
        profiles = tables["profiles"].filter(~pl.col("profile_id").is_in(sorted(erased)))
        tables["profiles"] = _scrub_profiles(
            profiles, tables["members"], tables.get("contacts"), tables["history"], removed
        )
        if "id_map" in tables:
            tables["id_map"] = _erase_ids(tables["id_map"], erased, run_id or snap.name)
        if run_id and "changes" in tables and removed is not None:
            tables["changes"] = _erased_events(tables["changes"], removed, erased, run_id)
    manifest_file = snap / "manifest.json"
    manifest: dict[str, Any] = (
        json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else {}
    )
    _check(tables, snap)
    manifest["counts"] = {n: tables[n].height for n in manifest.get("counts", {}) if n in tables}
    final = Home(home).snapshot(run_id) if run_id else snap
    if run_id:
        manifest["erased_from"] = manifest.get("run_id", snap.name)
        manifest["run_id"] = run_id
    partial = final.with_name(final.name + ".partial")
    partial.mkdir(parents=True)
    for f in sorted(snap.iterdir()):
        if (
            f.suffix not in (".parquet", ".duckdb", ".wal")
            and f.name != "manifest.json"
            and f.is_file()
        ):
            shutil.copy2(f, partial / f.name)
    _erase_model(partial / MODEL_FILE, theirs)  # the snapshot's copy of the model
    for n, df in tables.items():
        df.write_parquet(partial / f"{n}.parquet", compression="zstd", statistics=True)
    if (snap / "profiles.duckdb").exists():
        write_database(
            partial / "profiles.duckdb",
            {n: partial / f"{n}.parquet" for n in tables if n not in STATE_TABLES},
        )
    (partial / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    if run_id:
        os.replace(partial, final)
        switch_current(home, Snapshot(run_id=run_id, path=final, counts=manifest["counts"]))
        shutil.rmtree(snap)
    else:
        # a folder cannot be replaced by os.replace while it holds files: move the old one
        # aside (a .partial name, so a crash leaves something the next run clears), swap, drop
        old = snap.with_name(snap.name + ".old.partial")
        os.replace(snap, old)
        os.replace(partial, snap)
        shutil.rmtree(old)
    return interactions, erased


def _check(tables: dict[str, pl.DataFrame], snap: Path) -> None:
    if not all(t in tables for t in ("members", "profiles", "history", "quarantine")):
        return
    q = tables["quarantine"]
    contacts = (
        tables["raw_contacts"].height if "raw_contacts" in tables else tables["members"].height
    )
    inter = (
        tables["raw_interactions"].height
        if "raw_interactions" in tables
        else tables["history"].height
    )
    problems = check_snapshot(
        tables,
        contacts + q.filter(pl.col("kind") == "contact").height,
        inter + q.filter(pl.col("kind") == "interaction").height,
    )
    if problems:
        raise ErasureError(
            f"snapshot {snap.name} would break its checks after the erasure "
            f"({'; '.join(problems)}); nothing of it was changed; report this as a bug"
        )


def _erase_ids(id_map: pl.DataFrame, erased: set[str], run_id: str) -> pl.DataFrame:
    """id_map rows of erased profiles (and of IDs that resolved to them): erased, no successor."""
    hit = pl.col("profile_id").is_in(sorted(erased)) | pl.col("current_id").is_in(sorted(erased))
    return id_map.with_columns(
        pl.when(hit).then(pl.lit("erased")).otherwise(pl.col("status")).alias("status"),
        pl.when(hit).then(None).otherwise(pl.col("current_id")).alias("current_id"),
        pl.when(hit).then(pl.lit(run_id)).otherwise(pl.col("run_id")).alias("run_id"),
    )


def _erased_events(
    changes: pl.DataFrame, removed: pl.DataFrame, erased: set[str], run_id: str
) -> pl.DataFrame:
    """The cumulative feed plus one ``erased`` event per erased profile (and ``updated`` for a
    profile that lost only some contacts), numbered after the last."""
    sizes = dict(removed.group_by("profile_id").len().iter_rows())
    start = int(changes["seq"].max() or 0) + 1 if changes.height else 1  # type: ignore[arg-type]
    at = datetime.now(UTC)
    rows = [
        {
            "seq": start + n,
            "run_id": run_id,
            "at": at,
            "event": "erased" if pid in erased else "updated",
            "profile_id": pid,
            "other_id": None,
            "contacts": sizes[pid],
        }
        for n, pid in enumerate(sorted(sizes, key=lambda p: (p not in erased, p)))
    ]
    new = pl.DataFrame(rows, schema=CHANGES)
    return pl.concat([changes, new.select(changes.columns).cast(changes.schema)])


# ---- warehouse


def _erase_warehouse(path: Path, keys: pl.DataFrame) -> None:
    """Delete the erased contacts' rows from every warehouse table, then copy the database
    into a fresh file: a DELETE only marks pages free, and freed pages keep the bytes."""
    if not path.exists():
        return
    con = duckdb.connect(str(path))
    try:
        con.register("erased_keys", keys.to_arrow())
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        record_ids: list[int] = []
        if "normalized_contacts" in tables:
            record_ids = [
                r[0]
                for r in con.execute(
                    "SELECT record_id FROM normalized_contacts "
                    "JOIN erased_keys USING (source, source_id)"
                ).fetchall()
            ]
        con.register(
            "erased_ids", pl.DataFrame({"rid": record_ids}, schema={"rid": pl.Int64}).to_arrow()
        )
        # a profile holding an erased contact goes whole from the working tables: its golden
        # record carries their values, and the next run rebuilds it from what is left
        profile_ids: list[str] = []
        if "members" in tables:
            profile_ids = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT profile_id FROM members "
                    "JOIN erased_keys USING (source, source_id)"
                ).fetchall()
            ]
        con.register(
            "erased_profiles",
            pl.DataFrame({"pid": profile_ids}, schema={"pid": pl.String}).to_arrow(),
        )
        for table in tables:
            cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            conds = []
            if {"source", "source_id"} <= cols:
                conds.append("(source, source_id) IN (SELECT source, source_id FROM erased_keys)")
            for s in ("l", "r"):
                if {f"source_{s}", f"source_id_{s}"} <= cols:
                    conds.append(
                        f"(source_{s}, source_id_{s}) IN "
                        "(SELECT source, source_id FROM erased_keys)"
                    )
            if table == "profiles" and "profile_id" in cols:
                conds.append("profile_id IN (SELECT pid FROM erased_profiles)")
            for f in ("name", "city"):
                if {f"{f}_source", f"{f}_source_id"} <= cols:
                    conds.append(
                        f"({f}_source, {f}_source_id) IN "
                        "(SELECT source, source_id FROM erased_keys)"
                    )
            for c in ("record_id", "record_id_l", "record_id_r", "a", "b"):
                if c in cols:
                    conds.append(f"{c} IN (SELECT rid FROM erased_ids)")
            if conds:
                con.execute(f"DELETE FROM {table} WHERE {' OR '.join(conds)}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    fresh = path.with_name(path.name + ".erasing")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect(str(fresh))
    try:
        con.execute("ATTACH $p AS old (READ_ONLY)", {"p": str(path)})
        con.execute("COPY FROM DATABASE old TO " + _current_db(con))
        con.execute("DETACH old")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(fresh, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    # DuckDB spills past [resolution] memory_limit into PATH.tmp/ and leaves the files of a
    # killed run there (it does not clear them when it next opens the database)
    shutil.rmtree(Path(str(path) + ".tmp"), ignore_errors=True)


def _current_db(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    return f'"{row[0]}"'


# ---- training data, labels, decisions, review notes


def _erased_records(home: Path, keys: pl.DataFrame) -> list[dict[str, Any]]:
    """The model records (``contacts.parquet``'s ``match_record``) of the erased contacts, from
    every snapshot."""
    out: list[dict[str, Any]] = []
    for snap in _snapshots(home):
        contacts = _read(snap, "contacts")
        if contacts is not None and "match_record" in contacts.columns:
            mine = contacts.join(keys, on=KEY, how="semi")
            out += [json.loads(r) for r in mine["match_record"].drop_nulls().to_list()]
    return out


def _atoms(record: dict[str, Any]) -> set[tuple[str, str]]:
    """(field, value) for every string value of a record (dedupe's JSON: tuples wrapped)."""
    atoms = set()
    for field, value in record.items():
        if isinstance(value, dict) and "__value__" in value:
            value = value["__value__"]
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v:
                atoms.add((field, v))
    return atoms


def _only_theirs(
    records: list[dict[str, Any]], home: Path, keys: pl.DataFrame
) -> set[tuple[str, str]]:
    """(field, value) of the erased contacts' records that no other contact of the current
    snapshot has."""
    if not records:
        return set()
    mine = set().union(*(_atoms(r) for r in records))
    current = Home(home).current_target()
    contacts = _read(current, "contacts") if current else None
    if contacts is not None and "match_record" in contacts.columns:
        others = contacts.join(keys, on=KEY, how="anti")["match_record"].drop_nulls().to_list()
        for r in others:
            mine -= _atoms(json.loads(r))
    return mine


def _erase_training(path: Path, theirs: set[tuple[str, str]]) -> None:
    """Drop every training pair holding a record with a value only the erased contacts had
    (training also holds damaged copies of a record, so equality alone would miss them)."""
    if not path.exists() or not theirs:
        return
    data = json.loads(path.read_text(encoding="utf-8"))

    def keep(pair: Any) -> bool:
        sides = pair["__value__"] if isinstance(pair, dict) else pair
        return not any(_atoms(side) & theirs for side in sides)

    out = {label: [p for p in pairs if keep(p)] for label, pairs in data.items()}
    write_atomic(path, json.dumps(out, ensure_ascii=False))


def _erase_model(path: Path, theirs: set[tuple[str, str]]) -> None:
    """A model.json without the values only the erased contacts had: the Fellegi–Sunter model
    of an identifier-free home keeps the counts of its fields' repeated values (its term
    frequencies); such a value scores afterwards as one held by a single record."""
    if not path.exists() or not theirs:
        return
    model = json.loads(path.read_text(encoding="utf-8"))
    counts = model.get("fellegi_sunter", {}).get("counts", {})
    gone = [(f, v) for f, values in counts.items() for v in values if (f, v) in theirs]
    for f, v in gone:
        del counts[f][v]
    if gone:
        write_atomic(path, json.dumps(model, ensure_ascii=False, indent=2))


def _erase_labels(path: Path, keys: pl.DataFrame) -> None:
    """Rows of a labels CSV naming an erased contact on either side go (kept rows as they were)."""
    if not path.exists():
        return
    gone = {(s, i) for s, i in keys.iter_rows()}
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return
    head = rows[0]
    idx = {c: n for n, c in enumerate(head)}

    def names(row: list[str]) -> bool:
        for s in ("l", "r"):
            a, b = idx.get(f"source_{s}"), idx.get(f"source_id_{s}")
            if (
                a is not None
                and b is not None
                and len(row) > max(a, b)
                and (row[a].strip().lower(), row[b].strip()) in gone
            ):
                return True
        return False

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([head] + [r for r in rows[1:] if not names(r)])
    write_atomic(path, out.getvalue())


def _vacuum(con: sqlite3.Connection) -> None:
    # VACUUM rewrites the file without freed pages; the WAL then holds copies until truncated
    con.execute("PRAGMA secure_delete = ON")
    con.execute("VACUUM")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _erase_decisions(path: Path, keys: pl.DataFrame) -> None:
    """Decisions naming an erased contact go whole (their pairs, revocations and notes too)."""
    if not path.exists():
        return
    gone = {(s, i) for s, i in keys.iter_rows()}
    con = sqlite3.connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        ids = set()
        if "decisions" in tables:
            for did, contacts in con.execute("SELECT id, contacts FROM decisions"):
                if any(tuple(c) in gone for c in json.loads(contacts)):
                    ids.add(did)
        if "pair_decisions" in tables:
            for row in con.execute(
                "SELECT decision_id, source_l, source_id_l, source_r, source_id_r "
                "FROM pair_decisions"
            ):
                if (row[1], row[2]) in gone or (row[3], row[4]) in gone:
                    ids.add(row[0])
        with con:
            for table in ("pair_decisions", "revocations"):
                if table in tables:
                    con.executemany(
                        f"DELETE FROM {table} WHERE decision_id = ?", [(i,) for i in ids]
                    )
            if "decisions" in tables:
                con.executemany("DELETE FROM decisions WHERE id = ?", [(i,) for i in ids])
        _vacuum(con)
    finally:
        con.close()


def _erase_review(path: Path, keys: pl.DataFrame, profiles: tuple[str, ...]) -> None:
    """The review app's notes on the erased profiles, and journal and skip rows naming them or
    their contacts, go."""
    if not path.exists():
        return
    needles = [f"{s}:{i}" for s, i in keys.iter_rows()] + list(profiles)
    con = sqlite3.connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        with con:
            if "notes" in tables:
                con.executemany("DELETE FROM notes WHERE profile_id = ?", [(p,) for p in profiles])
            for table, cols in (("actions", ("item", "profile_ids")), ("skips", ("item",))):
                if table not in tables:
                    continue
                for n in needles:
                    where = " OR ".join(f"instr({c}, ?) > 0" for c in cols)
                    con.execute(f"DELETE FROM {table} WHERE {where}", [n] * len(cols))
        _vacuum(con)
    finally:
        con.close()
