"""Benchmark: generate N people, resolve them with `edin run`, score against the truth.

Prints one table row and appends a JSON line to bench/results/resolve_generated.jsonl:
contacts, seconds per stage (from the run summary), wall time, peak RSS of the whole run
(GNU time), pairwise and B-cubed P/R/F1. Usage:

    python bench/resolve_generated.py --persons 20000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from provenance import provenance

from resolution import evaluate
from synth import generate, write_dataset

RESULTS = Path(__file__).resolve().parent / "results" / "resolve_generated.jsonl"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="a folder written earlier by this script for the same --persons and "
        "--seed (WORKDIR/data): resolve it again instead of generating it",
    )
    args = p.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="edin-bench-"))
    home = work / "home"
    data = args.data or work / "data"
    if args.data is None:
        write_dataset(generate(args.persons, seed=args.seed), data)
    load = os.getloadavg()[0]  # other work on the machine distorts the wall time
    started = time.perf_counter()
    proc = subprocess.run(
        [
            "/usr/bin/time",
            "-v",
            sys.executable,
            "-m",
            "edin",
            "run",
            str(data),
            "--home",
            str(home),
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stderr[-5000:], file=sys.stderr)
        return 1
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
    stages = dict(re.findall(r"^    (\w+)\s+([\d.]+) s", proc.stdout, flags=re.M))
    scores = evaluate(
        pl.read_csv(data / "truth.csv", infer_schema=False),
        pl.read_parquet(home / "current" / "members.parquet"),
    )
    row = {
        "persons": args.persons,
        "seed": args.seed,
        "contacts": scores.contacts,
        "wall_s": round(wall, 1),
        "load_at_start": round(load, 2),
        "peak_rss_mb": round(peak_kb / 1024),
        "stages_s": {k: float(v) for k, v in stages.items()},
        **scores.as_dict(),
        **provenance(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(
        f"{'contacts':>9} {'wall s':>7} {'peak MB':>8} {'pw P':>6} {'pw R':>6} {'pw F1':>6} "
        f"{'b3 P':>6} {'b3 R':>6} {'b3 F1':>6}"
    )
    print(
        f"{scores.contacts:>9,} {wall:>7.1f} {peak_kb / 1024:>8,.0f} "
        f"{scores.pairwise_precision:>6.3f} {scores.pairwise_recall:>6.3f} "
        f"{scores.pairwise_f1:>6.3f} {scores.bcubed_precision:>6.3f} "
        f"{scores.bcubed_recall:>6.3f} {scores.bcubed_f1:>6.3f}"
    )
    print("stages (s): " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
