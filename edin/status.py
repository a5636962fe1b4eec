"""``edin status``: the last runs of a home, as the Dagster UI shows them, in a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from resolution import Home, NoSnapshotError
from resolution.publishing import require_published

EVENTS = ("created", "updated", "merged", "split", "erased")


def status(home: Path, last: int = 5) -> str:
    """The current snapshot and the ``last`` published runs: contacts, profiles, quarantine
    and the change events of each."""
    paths = Home(home)
    published = require_published(home)
    snapshots = sorted(
        p for p in paths.snapshots.iterdir() if p.is_dir() and not p.name.endswith(".partial")
    )
    per_run = dict(
        published.changes.group_by("run_id", "event")
        .len()
        .group_by("run_id")
        .agg(pl.struct("event", "len"))
        .iter_rows()
    )
    lines = [
        f"home {paths.root}",
        f"current -> {published.run_id}",
        "",
        f"{'run':<26} {'contacts':>9} {'profiles':>9} {'quarant.':>9}  "
        + " ".join(f"{e:>8}" for e in EVENTS),
    ]
    for snap in snapshots[-last:]:
        manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
        counts = manifest.get("counts", {})
        events = {e["event"]: e["len"] for e in per_run.get(snap.name, [])}
        mark = "*" if snap.name == published.run_id else " "
        lines.append(
            f"{mark}{snap.name:<25} {counts.get('members', 0):>9,} "
            f"{counts.get('profiles', 0):>9,} {counts.get('quarantine', 0):>9,}  "
            + " ".join(f"{events.get(e, 0):>8,}" for e in EVENTS)
        )
    holder = paths.lock_file.read_text(encoding="utf-8").strip() if paths.lock_file.exists() else ""
    lines += ["", f"last writer: {holder or 'none recorded'}"]
    return "\n".join(lines)


__all__ = ["NoSnapshotError", "status"]
