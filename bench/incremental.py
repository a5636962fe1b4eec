"""Benchmark: a 1 % daily drop resolved incrementally against the same drop with ``--full``.

Generates N people (``--persons 40000`` gives about 100,000 contacts), holds out a random 1 %
of their contacts as the drop (``--new``), resolves the rest into a home (training the model),
copies the home, then adds the drop to one copy incrementally (the default) and to the other
with ``edin run --full`` (every contact blocked, scored and clustered again, same model).

For each of the two drop runs: wall time of the whole ``edin run`` and of its resolution
stages (block, score, cluster), pairwise precision / recall / F1 against the generator's truth,
and how many contacts of the base changed profile ID. Also how many contacts the two homes
put under different IDs (0 when incremental and full agree), and the machine's load
(``uptime``) before and after: the machine is shared, times move with it.

Prints a table and appends a JSON line to bench/results/incremental.jsonl. Usage:

    python bench/incremental.py --persons 40000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from provenance import provenance
from stable_ids import hold_out

from resolution import evaluate
from synth import generate, write_dataset

RESULTS = Path(__file__).resolve().parent / "results" / "incremental.jsonl"
KEY = ["source", "source_id"]
RESOLVE_STAGES = ("block", "score", "cluster")
_STAGE_LINE = re.compile(r"^\s{4}(\w+)\s+([\d.]+) s")


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(data: Path, home: Path, *extra: str) -> dict[str, float]:
    """``edin run``: wall seconds and the seconds of each stage (from its summary)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "edin", "run", str(data), "--home", str(home), *extra],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stderr[-5000:], file=sys.stderr)
        raise SystemExit(1)
    stages = {
        m.group(1): float(m.group(2))
        for line in proc.stdout.splitlines()
        if (m := _STAGE_LINE.match(line)) and m.group(1) != "total"
    }
    return {"wall_s": round(wall, 2), **{f"{k}_s": v for k, v in stages.items()}}


def members(home: Path) -> pl.DataFrame:
    return pl.read_parquet(home / "current" / "members.parquet")


def moved(before: pl.DataFrame, after: pl.DataFrame) -> int:
    both = before.join(after, on=KEY, suffix="_after")
    return both.filter(pl.col("profile_id") != pl.col("profile_id_after")).height


def plan(home: Path) -> dict[str, object]:
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return dict(con.sql("SELECT * FROM resolve_plan").pl().row(0, named=True))
    finally:
        con.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, default=40000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--new", type=float, default=0.01, help="share of contacts in the drop")
    p.add_argument("--workdir", type=Path, default=None)
    args = p.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="edin-bench-incremental-"))
    full = generate(args.persons, seed=args.seed)
    base = hold_out(full, args.new, args.seed)
    write_dataset(base, work / "base")
    drop_contacts = full.contacts.join(base.contacts.select(KEY), on=KEY, how="anti")
    drop = work / "drop"
    drop.mkdir(parents=True, exist_ok=True)
    drop_contacts.write_csv(drop / "contacts.csv")
    full.interactions.join(drop_contacts.select(KEY), on=KEY, how="semi").write_csv(
        drop / "interactions.csv"
    )
    inc_home, full_home = work / "incremental", work / "full"
    load_before = load()
    first = run(work / "base", inc_home)
    shutil.copytree(inc_home, full_home, symlinks=True)
    before = members(inc_home)
    inc = run(drop, inc_home)
    inc_plan = plan(inc_home)
    fully = run(drop, full_home, "--full")
    load_after = load()
    truth = full.truth
    scores = {
        name: evaluate(truth, members(h)) for name, h in (("inc", inc_home), ("full", full_home))
    }
    resolve = {
        name: round(sum(r.get(f"{s}_s", 0.0) for s in RESOLVE_STAGES), 2)
        for name, r in (("inc", inc), ("full", fully))
    }
    row = {
        "persons": args.persons,
        "seed": args.seed,
        "new_share": args.new,
        "contacts_base": base.contacts.height,
        "contacts_drop": drop_contacts.height,
        "first_run": first,
        "incremental_run": inc,
        "full_run": fully,
        "resolve_s": resolve,
        "wall_ratio": round(inc["wall_s"] / fully["wall_s"], 4),
        "resolve_ratio": round(resolve["inc"] / max(resolve["full"], 1e-9), 4),
        "plan": inc_plan,
        "scores": {
            name: {
                "pairwise_precision": round(s.pairwise_precision, 4),
                "pairwise_recall": round(s.pairwise_recall, 4),
                "pairwise_f1": round(s.pairwise_f1, 4),
            }
            for name, s in scores.items()
        },
        "base_contacts_moved": {
            "inc": moved(before, members(inc_home)),
            "full": moved(before, members(full_home)),
        },
        "inc_vs_full_moved": moved(members(full_home), members(inc_home)),
        "load_before": load_before,
        "load_after": load_after,
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row | provenance(), ensure_ascii=False) + "\n")
    print(f"contacts {base.contacts.height:,} + drop {drop_contacts.height:,} (seed {args.seed})")
    print(f"{'run':<12} {'wall s':>8} {'resolve s':>10} {'P':>7} {'R':>7} {'F1':>7} {'moved':>7}")
    for name, r in (("incremental", inc), ("full", fully)):
        k = "inc" if name == "incremental" else "full"
        s = scores[k]
        print(
            f"{name:<12} {r['wall_s']:>8.1f} {resolve[k]:>10.2f} {s.pairwise_precision:>7.4f} "
            f"{s.pairwise_recall:>7.4f} {s.pairwise_f1:>7.4f} {row['base_contacts_moved'][k]:>7,}"
        )
    print(
        f"ratio incremental / full: wall {row['wall_ratio']:.1%}, resolution stages "
        f"{row['resolve_ratio']:.1%}; contacts under another ID than --full gives: "
        f"{row['inc_vs_full_moved']}"
    )
    print(f"dirty contacts {inc_plan['dirty']}, carried pairs {inc_plan['carried_pairs']}")
    print(f"load before: {load_before}\nload after:  {load_after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
