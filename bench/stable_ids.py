"""Benchmark: how many existing profile IDs change when 1 % new contacts arrive.

Generates N people, holds out a random share of their contacts (``--new``, default 1 %), runs
`edin run` on the rest, then on everything in the same home (a full re-cluster with the saved
model, or a fresh one with ``--retrain``), and compares the two published snapshots:

- contacts changed: contacts published in both runs whose profile ID differs;
- IDs not live: IDs live after the first run that no longer are (merged away or erased);
- the change feed of the second run, by event.

Prints a table and appends a JSON line to bench/results/stable_ids.jsonl. Usage:

    python bench/stable_ids.py --persons 20000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from provenance import provenance

from synth import Dataset, generate, write_dataset

RESULTS = Path(__file__).resolve().parent / "results" / "stable_ids.jsonl"
KEY = ["source", "source_id"]


def hold_out(ds: Dataset, share: float, seed: int) -> Dataset:
    """``ds`` without a random ``share`` of its contacts (and their interactions)."""
    kept = ds.contacts.sample(fraction=1 - share, seed=seed).select(KEY)
    return Dataset(
        contacts=ds.contacts.join(kept, on=KEY, how="semi"),
        interactions=ds.interactions.join(kept, on=KEY, how="semi"),
        truth=ds.truth.join(kept, on=KEY, how="semi"),
    )


def id_changes(before: pl.DataFrame, after: pl.DataFrame) -> dict[str, float]:
    """Contacts of ``before`` whose profile ID changed in ``after``, and IDs no longer live."""
    both = before.join(after, on=KEY, suffix="_after")
    moved = both.filter(pl.col("profile_id") != pl.col("profile_id_after")).height
    old_ids = set(before["profile_id"].to_list())
    gone = len(old_ids - set(after["profile_id"].to_list()))
    return {
        "contacts_before": before.height,
        "contacts_changed": moved,
        "contacts_changed_share": moved / max(both.height, 1),
        "ids_before": len(old_ids),
        "ids_not_live": gone,
        "ids_not_live_share": gone / max(len(old_ids), 1),
    }


def run(data: Path, home: Path, *extra: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "edin", "run", str(data), "--home", str(home), *extra],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        print(proc.stderr[-5000:], file=sys.stderr)
        raise SystemExit(1)
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--new", type=float, default=0.01, help="share of contacts added (0.01)")
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument(
        "--retrain",
        action="store_true",
        help="retrain the model in the second run (a full re-cluster)",
    )
    args = p.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="edin-bench-ids-"))
    full = generate(args.persons, seed=args.seed)
    write_dataset(hold_out(full, args.new, args.seed), work / "before")
    write_dataset(full, work / "after")
    home = work / "home"
    first_s = run(work / "before", home)
    before = pl.read_parquet(home / "current" / "members.parquet")
    second_s = run(work / "after", home, *(["--retrain"] if args.retrain else []))
    after = pl.read_parquet(home / "current" / "members.parquet")
    changes = pl.read_parquet(home / "current" / "changes.parquet")
    last_run = changes["run_id"].max()
    events = dict(changes.filter(pl.col("run_id") == last_run).group_by("event").len().iter_rows())
    row = {
        "persons": args.persons,
        "seed": args.seed,
        "new_share": args.new,
        "model": "retrained" if args.retrain else "reused",
        "contacts_after": after.height,
        **id_changes(before, after),
        "events": events,
        "first_run_s": round(first_s, 1),
        "second_run_s": round(second_s, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row | provenance()) + "\n")
    print(
        f"{'contacts':>9} {'new':>6} {'changed':>8} {'share':>8} {'IDs':>7} {'not live':>9} "
        f"{'share':>8}"
    )
    print(
        f"{row['contacts_before']:>9,} {after.height - before.height:>6,} "
        f"{row['contacts_changed']:>8,} {row['contacts_changed_share']:>8.4%} "
        f"{row['ids_before']:>7,} {row['ids_not_live']:>9,} {row['ids_not_live_share']:>8.4%}"
    )
    print("events of the second run: " + ", ".join(f"{k} {v}" for k, v in sorted(events.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
