"""Reading the published snapshot (``HOME/current``), the only thing readers ever read.

The pipeline reads the previous snapshot from here (never from the warehouse) to keep profile
IDs stable; the lookup API, ``edin changes`` and ``edin export`` read it too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from resolution.changes import empty_changes
from resolution.contract import ID_MAP, conform
from resolution.identity import LIVE


class NoSnapshotError(FileNotFoundError):
    """HOME has no published snapshot yet."""


@dataclass(frozen=True)
class Published:
    """One published snapshot's tables (those readers need to resolve IDs and follow changes)."""

    run_id: str
    path: Path
    members: pl.DataFrame
    profiles: pl.DataFrame
    id_map: pl.DataFrame
    changes: pl.DataFrame


def current_target(home: Path) -> Path | None:
    """The snapshot folder ``HOME/current`` points at (resolved), or None."""
    current = Path(home) / "current"
    if not current.is_symlink():
        return None
    return (current.parent / os.readlink(current)).resolve()


def read_published(home: Path) -> Published | None:
    """The current snapshot, or None when nothing has been published yet.

    A snapshot written before id_map and changes existed is read as: every profile ID live,
    first published by that run, and no events.
    """
    path = current_target(home)
    if path is None or not (path / "members.parquet").exists():
        return None
    run_id = path.name
    members = pl.read_parquet(path / "members.parquet")
    profiles = pl.read_parquet(path / "profiles.parquet")
    if (path / "id_map.parquet").exists():
        id_map = pl.read_parquet(path / "id_map.parquet")
    else:
        ids = sorted(set(members["profile_id"].to_list()))
        id_map = conform(pl.DataFrame({"profile_id": ids, "current_id": ids,
                                       "status": [LIVE] * len(ids),
                                       "first_run_id": [run_id] * len(ids),
                                       "run_id": [run_id] * len(ids)}), ID_MAP, "id_map")
    changes = (pl.read_parquet(path / "changes.parquet") if (path / "changes.parquet").exists()
               else empty_changes())
    return Published(run_id=run_id, path=path, members=members, profiles=profiles,
                     id_map=id_map, changes=changes)


def require_published(home: Path) -> Published:
    got = read_published(home)
    if got is None:
        raise NoSnapshotError(f"{home}/current is not a published snapshot; run "
                              f"`edin run INPUT... --home {home}` first")
    return got
