"""A snapshot: the checked tables of one run, written into a folder of its own.

The folder is written as ``snapshots/<run_id>.partial/`` and renamed when whole, so a snapshot
folder without that suffix is always complete. ``resolution.publishing.current`` then points
``HOME/current`` at it; a failed or killed run leaves the previous snapshot in place.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from resolution.errors import PublishError
from resolution.home import Home

TABLES = ("members", "profiles", "history", "quarantine", "id_map", "changes")
# Written besides TABLES: what `edin explain` and `edin label` read (contacts as the model saw
# them, the per-field reasons of every scored pair, the scored pairs a cluster-stage rule kept
# apart) and the model that scored them (MODEL_FILE).
EXPLAIN_TABLES = ("contacts", "pair_reasons", "kept_apart")
# The home's inputs (every contact and interaction ingested and not deleted): the next run adds
# its drop to them (``resolution.inputs.known``). Parquet only, not in profiles.duckdb.
STATE_TABLES = ("raw_contacts", "raw_interactions")
SNAPSHOT_TABLES = TABLES + EXPLAIN_TABLES + STATE_TABLES
# Tables every snapshot has; id_map and changes are checked when present.
CORE_TABLES = ("members", "profiles", "history", "quarantine")


@dataclass(frozen=True)
class Snapshot:
    run_id: str
    path: Path
    counts: dict[str, int]


def new_run_id(suffix: str | None = None, now: datetime | None = None) -> str:
    """UTC time of the run plus a short suffix (Dagster's run ID, or random)."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + (suffix or uuid.uuid4().hex[:6])


def check_snapshot(
    tables: dict[str, pl.DataFrame], input_contacts: int, input_interactions: int
) -> list[str]:
    """Invariant checks on a snapshot's tables; returns the failures (empty when all pass)."""
    members, profiles, history, quarantine = (tables[t] for t in CORE_TABLES)
    problems = []
    q_contacts = quarantine.filter(pl.col("kind") == "contact").height
    if members.height + q_contacts != input_contacts:
        problems.append(
            f"{input_contacts} input contacts but {members.height} members + "
            f"{q_contacts} quarantined"
        )
    if members.select(pl.struct("source", "source_id").is_duplicated().any()).item():
        problems.append("a contact appears in more than one profile")
    if profiles["profile_id"].is_duplicated().any():
        problems.append("duplicate profile_id in profiles")
    orphans = members.join(profiles, on="profile_id", how="anti").height
    if orphans:
        problems.append(f"{orphans} member(s) point to no profile")
    if profiles["contacts"].sum() != members.height:
        problems.append("profile contact counts do not add up to the members")
    q_inter = quarantine.filter(pl.col("kind") == "interaction").height
    if history.height + q_inter != input_interactions:
        problems.append(
            f"{input_interactions} input interactions but {history.height} in history "
            f"+ {q_inter} quarantined"
        )
    if "id_map" in tables:
        problems += _id_map_problems(tables["id_map"], profiles)
    if "contacts" in tables:
        problems += _explain_problems(
            tables["contacts"], tables.get("pair_reasons"), members, tables.get("kept_apart")
        )
    return problems


# Fewer profiles than this lost in one run is never a mass change, whatever the share (an
# operator's merge in a home of a few profiles is a large share of it).
MASS_CHANGE_FLOOR = 20


def mass_change(
    changes: pl.DataFrame, run_id: str, live_before: int, max_share: float
) -> list[str]:
    """A problem when this run's events erase or merge away more than ``max_share`` of the
    ``live_before`` profiles: CRM syncs delete what the feed calls erased, so a drop mistaken
    for a full export must not reach them."""
    this = changes.filter(pl.col("run_id") == run_id)
    lost = this.filter(pl.col("event").is_in(["erased", "merged"])).height
    if lost >= MASS_CHANGE_FLOOR and lost > max_share * live_before:
        return [
            f"this run erases or merges away {lost} of {live_before} live profiles (more than "
            f"{max_share:.0%}); if the input is a drop of new contacts, run without "
            "--full-export; if the loss is intended, run again with --accept-mass-change"
        ]
    return []


def _explain_problems(
    contacts: pl.DataFrame,
    reasons: pl.DataFrame | None,
    members: pl.DataFrame,
    kept_apart: pl.DataFrame | None = None,
) -> list[str]:
    """Every member has a contact row (so every profile can be explained), and every explained
    pair (pair_reasons, kept_apart) names published contacts."""
    problems = []
    keys = ["source", "source_id"]
    if contacts.height != members.height or members.join(contacts, on=keys, how="anti").height:
        problems.append("contacts do not match the members one to one")
    known = contacts.select(keys)
    for name, pairs in (("pair_reasons", reasons), ("kept_apart", kept_apart)):
        if pairs is None or not pairs.height:
            continue
        for side in ("l", "r"):
            side_keys = pairs.select(
                pl.col(f"source_{side}").alias("source"),
                pl.col(f"source_id_{side}").alias("source_id"),
            )
            if side_keys.join(known, on=keys, how="anti").height:
                problems.append(f"{name} name contacts ({side}) not in contacts")
    return problems


def _id_map_problems(id_map: pl.DataFrame, profiles: pl.DataFrame) -> list[str]:
    """Every published ID resolves: live profiles are live in id_map, and every mapping points
    at a live profile (or is an erasure)."""
    problems = []
    # joins, not Python sets of every ID (seconds at a million profiles)
    live = id_map.filter(pl.col("status") == "live").select("profile_id").unique()
    ids = profiles.select("profile_id").unique()
    unmapped = ids.join(live, on="profile_id", how="anti").height
    orphaned = live.join(ids, on="profile_id", how="anti").height
    if unmapped or orphaned:
        problems.append(
            f"{unmapped} profile(s) not live in id_map, "
            f"{orphaned} live id_map row(s) without a profile"
        )
    dangling = (
        id_map.filter(pl.col("current_id").is_not_null())
        .join(ids, left_on="current_id", right_on="profile_id", how="anti")
        .height
    )
    if dangling:
        problems.append(f"{dangling} id_map row(s) resolve to no published profile")
    if id_map["profile_id"].is_duplicated().any():
        problems.append("duplicate profile_id in id_map")
    return problems


def begin_snapshot(home: Path, run_id: str) -> Path:
    """The empty folder ``snapshots/<run_id>.partial/`` that ``write_snapshot`` completes and
    renames. Made before it to stage tables in it (``write_table_file``) while the rest of the
    snapshot is being made; a caller that fails before ``write_snapshot`` removes it (the next
    run, and an erasure, remove any ``*.partial`` folder left)."""
    final = Home(home).snapshot(run_id)
    if final.exists():
        raise PublishError(f"snapshot {final} already exists")
    path = final.with_name(run_id + ".partial")
    # half-written folders of killed runs (this one's too, when retried) go: the home has one
    # writer at a time, so no other run is writing one now
    for stale in final.parent.glob("*.partial") if final.parent.exists() else ():
        shutil.rmtree(stale, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=False)
    return path


def write_table_file(table: pl.DataFrame, file: Path) -> int:
    """A snapshot table's Parquet file, as every snapshot writes it; returns its rows."""
    table.write_parquet(file, compression="zstd", statistics=True)
    return table.height


def staged(rows: int) -> Callable[[Path], int]:
    """For ``write_snapshot``: a table whose file ``write_table_file`` already wrote into the
    folder ``begin_snapshot`` made, with its ``rows``."""

    def written(file: Path) -> int:
        if not file.exists():
            raise PublishError(f"{file.name} was not staged in {file.parent}")
        return rows

    return written


def write_snapshot(
    home: Path,
    run_id: str,
    tables: Mapping[str, pl.DataFrame | Callable[[Path], int]],
    manifest: dict[str, object],
    files: dict[str, bytes] | None = None,
    memory_limit: str = "",
    begun: Path | None = None,
    database: SnapshotDatabase | None = None,
) -> Snapshot:
    """Write Parquet files, a read-only DuckDB file, a manifest and ``files`` (name → bytes,
    such as the model that scored the pairs) into snapshots/<run_id>/. A table may be given as a
    function that writes its Parquet file to the path it is given and returns its rows
    (``warehouse.copy_to_parquet``: the largest tables streamed, never held; ``staged``: a file
    already written into ``begun``). Given a ``dict``, each frame is taken out of it once
    written, so that a caller that keeps no other reference to it lets it go before the next
    table is written. ``memory_limit`` bounds the DuckDB that makes the database file (DuckDB's
    default, 80 % of the RAM, when empty).

    The files go into ``snapshots/<run_id>.partial/`` first (``begun``, when
    ``begin_snapshot`` made it already), renamed when complete, so a snapshot folder without
    that suffix is always whole. ``database``: the folder's ``SnapshotDatabase``, when the
    caller started it already (with the tables it staged); it is finished here, and on a
    failure left to the caller to ``abandon``.
    """
    final = Home(home).snapshot(run_id)
    if begun is None:
        path = begin_snapshot(home, run_id)
    elif begun != final.with_name(run_id + ".partial") or not begun.is_dir():
        raise PublishError(f"{begun} is not the folder begin_snapshot made for run {run_id}")
    else:
        path = begun
    names = [t for t in SNAPSHOT_TABLES if t in tables]
    for file_name, content in sorted((files or {}).items()):
        (path / file_name).write_bytes(content)
    counts: dict[str, int] = {}

    def write(name: str) -> None:
        table, file = tables[name], path / f"{name}.parquet"
        if isinstance(tables, dict):
            del tables[name]  # written: not held while the others are
        if isinstance(table, pl.DataFrame):
            counts[name] = write_table_file(table, file)
        else:
            counts[name] = table(file)

    # the database is made table by table from the files as they are written, while the
    # main thread writes the next ones and then the home's inputs (both cores: DuckDB and
    # polars let go of the interpreter); a caller may have started it earlier, with the
    # tables it staged
    own = database is None
    db = SnapshotDatabase(path, memory_limit) if database is None else database
    try:
        for name in names:
            if name not in STATE_TABLES:
                write(name)
                db.add(name, path / f"{name}.parquet")
        db.close()  # the database thread stops after the last file
        for name in names:
            if name in STATE_TABLES:
                write(name)
        db.finish()
    except BaseException:
        if own:
            db.abandon()
        raise
    counts = {name: counts[name] for name in names}
    (path / "manifest.json").write_text(
        json.dumps(
            {"run_id": run_id, **manifest, "counts": counts},
            indent=2,
            ensure_ascii=False,
            default=str,
        ),
        encoding="utf-8",
    )
    os.replace(path, final)
    return Snapshot(run_id=run_id, path=final, counts=counts)


class SnapshotDatabase:
    """A snapshot's ``profiles.duckdb`` made in a second thread (``write_database``), table by
    table as the Parquet files are handed to it (``add``), so that DuckDB compresses one table
    while the main thread makes or writes the next. Started as soon as the snapshot's folder
    exists (``begin_snapshot``): the explain tables, staged first, are then in the database
    while the checked tables are still being read and checked."""

    def __init__(self, folder: Path, memory_limit: str = "") -> None:
        self._queue: queue.Queue[tuple[str, Path] | None] = queue.Queue()
        self._added: set[str] = set()
        self._closed = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="profiles.duckdb")
        self._done = self._pool.submit(
            write_database, folder / "profiles.duckdb", self._arriving(), memory_limit
        )

    def _arriving(self) -> Iterator[tuple[str, Path]]:
        while (item := self._queue.get()) is not None:
            yield item

    def add(self, name: str, file: Path) -> None:
        """Table ``name`` from Parquet ``file`` (written whole); a name added before is skipped."""
        if name not in self._added:
            self._added.add(name)
            self._queue.put((name, file))

    def close(self) -> None:
        """No more tables: the thread checkpoints the database and stops (once, however often
        this is called)."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)

    def finish(self) -> None:
        """Close and wait for the database; the thread's error, if any, is raised here."""
        self.close()
        try:
            self._done.result()
        finally:
            self._pool.shutdown()

    def abandon(self) -> None:
        """Close and wait, whatever the thread's outcome (the caller is failing already and
        removes the folder)."""
        self.close()
        self._pool.shutdown()


def write_database(
    db: Path,
    parquet: Mapping[str, Path] | Iterable[tuple[str, Path]],
    memory_limit: str = "",
) -> None:
    """The snapshot's DuckDB file: one table per Parquet file (name → file, or (name, file)
    pairs as the files are written), made within ``memory_limit`` (it runs beside the
    writing of the other files)."""
    con = duckdb.connect(str(db))
    try:
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")  # checked by the config's parser
        files = parquet.items() if isinstance(parquet, Mapping) else parquet
        for name, file in files:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet($p)", {"p": str(file)})
        con.execute("CHECKPOINT")
    finally:
        con.close()


def prune_snapshots(
    home: Path, keep_last: int, keep_days: int, now: datetime | None = None
) -> list[str]:
    """Remove the snapshots that are neither among the ``keep_last`` newest nor younger than
    ``keep_days`` days (never the one ``current`` points at); returns their run IDs. Old
    snapshots hold copies of contacts that later runs changed or erased."""
    paths = Home(home)
    if not paths.snapshots.exists():
        return []
    current = paths.current_run_id()
    now = now or datetime.now(UTC)
    whole = sorted(
        p for p in paths.snapshots.iterdir() if p.is_dir() and not p.name.endswith(".partial")
    )
    removed = []
    for snap in whole[:-keep_last] if keep_last else whole:
        if snap.name == current or now - _published_at(snap) < timedelta(days=keep_days):
            continue
        shutil.rmtree(snap)
        removed.append(snap.name)
    return removed


def _published_at(snapshot: Path) -> datetime:
    """When a snapshot was published: the UTC time its run ID starts with, else its mtime."""
    try:
        return datetime.strptime(snapshot.name[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(snapshot.stat().st_mtime, UTC)
