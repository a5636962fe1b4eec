"""``HOME/current``: switching it to a new snapshot, and reading the snapshot it points at.

Readers (the helpdesk, CRM syncs, ``edin explain``, the review app) only ever see
``HOME/current``, a symlink that ``os.replace`` moves in one step once the new snapshot has
passed its checks. The pipeline reads the previous snapshot from here too (never from the
warehouse) to keep profile IDs stable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from resolution._typing import Key
from resolution.contract import ID_MAP, PUBLISHED_KEPT_APART, conform
from resolution.errors import NoSnapshotError, PublishError
from resolution.home import MODEL_FILE, Home
from resolution.publishing.changes import empty_changes
from resolution.publishing.identity import LIVE
from resolution.publishing.snapshot import Snapshot


def switch_current(home: Path, snapshot: Snapshot) -> Path:
    """Point HOME/current at the snapshot in one atomic step."""
    current = Home(home).current
    if current.exists() and not current.is_symlink():
        raise PublishError(f"{current} exists and is not a symlink; move it away")
    tmp = Path(home) / f".current-{snapshot.run_id}"
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(os.path.relpath(snapshot.path, home), tmp)
    os.replace(tmp, current)
    return current


@dataclass(frozen=True)
class Published:
    """One published snapshot's tables (those readers need to resolve IDs and follow changes)."""

    run_id: str
    path: Path
    members: pl.DataFrame
    profiles: pl.DataFrame
    id_map: pl.DataFrame
    changes: pl.DataFrame


def read_published(home: Path) -> Published | None:
    """The current snapshot, or None when nothing has been published yet.

    A snapshot written before id_map and changes existed is read as: every profile ID live,
    first published by that run, and no events.
    """
    path = Home(home).current_target()
    if path is None or not (path / "members.parquet").exists():
        return None
    run_id = path.name
    members = pl.read_parquet(path / "members.parquet")
    profiles = pl.read_parquet(path / "profiles.parquet")
    if (path / "id_map.parquet").exists():
        id_map = pl.read_parquet(path / "id_map.parquet")
    else:
        ids = sorted(set(members["profile_id"].to_list()))
        id_map = conform(
            pl.DataFrame(
                {
                    "profile_id": ids,
                    "current_id": ids,
                    "status": [LIVE] * len(ids),
                    "first_run_id": [run_id] * len(ids),
                    "run_id": [run_id] * len(ids),
                }
            ),
            ID_MAP,
            "id_map",
        )
    changes = (
        pl.read_parquet(path / "changes.parquet")
        if (path / "changes.parquet").exists()
        else empty_changes()
    )
    return Published(
        run_id=run_id, path=path, members=members, profiles=profiles, id_map=id_map, changes=changes
    )


def require_published(home: Path) -> Published:
    """The current snapshot; a ``NoSnapshotError`` saying what to run when there is none."""
    got = read_published(home)
    if got is None:
        raise NoSnapshotError(
            f"{home}/current is not a published snapshot; run "
            f"`edin run INPUT... --home {home}` first"
        )
    return got


@dataclass(frozen=True)
class Explainable:
    """What a published snapshot holds to explain its profiles: members, profiles, the
    contacts as the model saw them, every kept pair's reasons and the model that scored them."""

    path: Path
    members: pl.DataFrame
    profiles: pl.DataFrame
    contacts: pl.DataFrame
    # scanned, not read: one contact's pairs are a few rows of millions
    reasons: pl.LazyFrame
    model: dict[str, Any]
    # the scored pairs a cluster-stage rule kept apart (contract PUBLISHED_KEPT_APART): few
    kept_apart: pl.DataFrame

    @property
    def threshold(self) -> float:
        return float(self.model["threshold"])

    @cached_property
    def kept_apart_by_pair(self) -> dict[tuple[Key, Key], dict[str, Any]]:
        """The kept_apart rows by pair, its two contact keys sorted (``kept_apart_row``)."""
        out: dict[tuple[Key, Key], dict[str, Any]] = {}
        for r in self.kept_apart.iter_rows(named=True):
            a, b = (r["source_l"], r["source_id_l"]), (r["source_r"], r["source_id_r"])
            out[(a, b) if a <= b else (b, a)] = r
        return out

    def kept_apart_row(self, a: Key, b: Key) -> dict[str, Any] | None:
        """Which rule of the cluster stage dropped the link of the pair ``a``, ``b`` (either
        order): its kept_apart row, or None."""
        return self.kept_apart_by_pair.get((a, b) if a <= b else (b, a))


def read_explainable(home: Path) -> Explainable:
    """The current snapshot's explanation tables (``NoSnapshotError`` when it has none)."""
    path = Home(home).current_target()
    if path is None or not (path / "pair_reasons.parquet").exists():
        raise NoSnapshotError(
            f"{home}/current has no explanations (pair_reasons.parquet); run "
            f"`edin run INPUT... --home {home}` with this version first"
        )
    return Explainable(
        path=path,
        members=pl.read_parquet(path / "members.parquet"),
        profiles=pl.read_parquet(path / "profiles.parquet"),
        contacts=pl.read_parquet(path / "contacts.parquet"),
        reasons=pl.scan_parquet(path / "pair_reasons.parquet"),
        model=json.loads((path / MODEL_FILE).read_text(encoding="utf-8")),
        # a snapshot published before the rules were recorded has none
        kept_apart=(
            pl.read_parquet(path / "kept_apart.parquet")
            if (path / "kept_apart.parquet").exists()
            else pl.DataFrame(schema=PUBLISHED_KEPT_APART)
        ),
    )
