"""``edin status``: the last runs of a home, as the Dagster UI shows them, in a terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
        f"{'run':<26} {'mode':<11} {'contacts':>9} {'profiles':>9} {'merged':>7} "
        f"{'quarant.':>9} {'labelled P':>10}  " + " ".join(f"{e:>8}" for e in EVENTS),
    ]
    details = []
    for snap in snapshots[-last:]:
        manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
        counts = manifest.get("counts", {})
        run = manifest.get("run", {})
        events = {e["event"]: e["len"] for e in per_run.get(snap.name, [])}
        mark = "*" if snap.name == published.run_id else " "
        members, profiles = counts.get("members", 0), counts.get("profiles", 0)
        merged = 1 - profiles / members if members else 0.0
        lines.append(
            f"{mark}{snap.name:<25} {run.get('mode', '-'):<11} {members:>9,} {profiles:>9,} "
            f"{merged:>7.1%} {counts.get('quarantine', 0):>9,} {_precision(run):>10}  "
            + " ".join(f"{events.get(e, 0):>8,}" for e in EVENTS)
        )
        if run:
            details.append(_details(snap.name, run))
    lines += ["", *details] if details else []
    lines += ["merged: share of contacts in another contact's profile (1 - profiles / contacts)"]
    holder = paths.lock_file.read_text(encoding="utf-8").strip() if paths.lock_file.exists() else ""
    lines += ["", f"last writer: {holder or 'none recorded'}"]
    return "\n".join(lines)


def _precision(run: dict[str, Any]) -> str:
    """The labelled precision of a run's manifest, with how many labelled pairs it was in."""
    p = run.get("labelled_precision")
    if p is None:
        return "-"
    return "n/a" if p < 0 else f"{p:.3f}/{run.get('labelled_merged', 0)}"


def _details(run_id: str, run: dict[str, Any]) -> str:
    """The key numbers of one run, as its asset metadata shows them in the Dagster UI."""
    sizes = ", ".join(
        f"{k.removeprefix('clusters_size_')}: {v:,}"
        for k, v in run.get("cluster_sizes", {}).items()
    )
    reasons = ", ".join(f"{k}: {v:,}" for k, v in run.get("quarantine_by_reason", {}).items())
    drop = run.get("drop") or "-"
    mode = run.get("mode", "-")
    why = f" ({run['mode_reason']})" if mode == "full" and run.get("mode_reason") else ""
    dirty = f", {run.get('dirty_contacts', 0):,} dirty contacts" if mode == "incremental" else ""
    return "\n".join(
        [
            f"{run_id}  drop {drop}, {mode}{why}{dirty}",
            f"  cluster sizes  {sizes or '-'}",
            f"  quarantine     {reasons or 'none'}",
            f"  labelled pairs {run.get('labelled_pairs', 0):,} "
            f"({run.get('labelled_merged', 0):,} in one profile; precision {_precision(run)})",
        ]
    )


__all__ = ["NoSnapshotError", "status"]
