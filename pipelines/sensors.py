"""Sensors: a drop folder watched for new drops, each run exactly once; and the operators'
decisions, applied by a run as soon as they are made.

A drop is a folder inside ``EDIN_DROPS`` (a daily export: ``contacts.csv`` and perhaps
``interactions.csv``). A drop is new when its name and its files (names, sizes, modification
times) have not been seen: the sensor's cursor keeps the keys of the drops it requested, and
the run key is the same key, so Dagster never launches one drop twice even if the cursor is
lost. Drops run in name order (name them by date: ``2026-12-06``). Each drop is a partition of
the ``drops`` dynamic partitions (``pipelines.partitions``), named after its folder; the run
of that partition reads the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.partitions import add_drop, drop_partition
from pipelines.schedules import HOME_TAG, resolve_all
from resolution import Home

# Keys kept in the cursor; older drops are also protected by their run keys.
CURSOR_KEYS = 1000
DROP_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")


def drop_key(folder: Path) -> str | None:
    """The identity of a drop folder's content, or None when it holds no input file yet."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in DROP_SUFFIXES)
    if not files:
        return None
    h = hashlib.sha256(folder.name.encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(folder)}\x1f{st.st_size}\x1f{st.st_mtime_ns}".encode())
    return f"{folder.name}-{h.hexdigest()[:12]}"


def new_drops(root: Path, seen: set[str]) -> list[tuple[str, Path]]:
    """(key, folder) of the drops under ``root`` not in ``seen``, in name order."""
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        key = drop_key(folder)
        if key is not None and key not in seen:
            out.append((key, folder))
    return out


@sensor(
    job=resolve_all,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Runs resolve_all once for each new folder in EDIN_DROPS.",
)
def drop_folder(context: SensorEvaluationContext):  # noqa: ANN201
    root = os.environ.get("EDIN_DROPS")
    if not root:
        yield SkipReason("EDIN_DROPS is not set: no drop folder to watch")
        return
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    drops = new_drops(Path(root), seen)
    if not drops:
        yield SkipReason(f"no new drop in {root}")
        return
    for key, folder in drops:
        seen.add(key)
        # the drop is a partition of the ingest assets: the UI lists what each drop made
        partition = add_drop(context.instance, drop_partition(folder.name))
        yield RunRequest(
            run_key=key,
            partition_key=partition,
            run_config={"resources": {"edin": {"config": {"inputs": [str(folder)]}}}},
            tags={**HOME_TAG, "edin/drop": folder.name},
        )
    context.update_cursor(json.dumps(sorted(seen)[-CURSOR_KEYS:]))


def latest_decision(home: Path) -> int:
    """The ID of the latest operator decision in the home (0 when there is none)."""
    import sqlite3

    db = Home(home).decisions
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        row = con.execute("SELECT coalesce(max(id), 0) FROM decisions").fetchone()
    except sqlite3.Error:
        return 0
    finally:
        con.close()
    return int(row[0]) if row else 0


@sensor(
    job=resolve_all,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Runs resolve_all when operators have made new decisions (the review app, "
    "edin merge / unmerge), so they take effect without a separate command.",
)
def operator_decisions(context: SensorEvaluationContext):  # noqa: ANN201
    home = Path(os.environ.get("EDIN_HOME", "home"))
    latest = latest_decision(home)
    done = int(context.cursor or 0)
    if latest <= done:
        yield SkipReason(f"no new decision in {home} (latest #{latest})")
        return
    context.update_cursor(str(latest))
    yield RunRequest(
        run_key=f"decisions-{latest}",
        partition_key=add_drop(context.instance, f"decisions-{latest}"),
        tags={**HOME_TAG, "edin/decisions": str(latest)},
    )
