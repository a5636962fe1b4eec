"""Benchmark: how F1 grows with 0, 20, 50 and 100 answered pairs of the label queue.

Generates N people, runs `edin run`, then answers the queue `edin label` would show (the
same ``resolution.feedback.label_queue``), with the answers taken from the truth, in rounds of
``--round`` pairs, re-running `edin run --labels` after each round (the model is retrained on
the seeds plus every answer so far). Prints pairwise and B-cubed F1 at each budget and appends
JSON lines to bench/results/label_curve.jsonl. Usage:

    python bench/label_curve.py --persons 4000 --seed 11
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

from resolution import evaluate
from synth import generate, write_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent / "quality"))
from provenance import provenance
from simulated_answers import answer_queue  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "label_curve.jsonl"
BUDGETS = (0, 20, 50, 100)


def run(home: Path, data: Path, labels: Path | None) -> float:
    started = time.perf_counter()
    args = [sys.executable, "-m", "edin", "run", str(data), "--home", str(home)]
    if labels is not None:
        args += ["--labels", str(labels)]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, default=4000)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--round", type=int, default=10, help="answers between two runs")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="label-curve-") as tmp:
        data, home = Path(tmp) / "data", Path(tmp) / "home"
        ds = generate(args.persons, seed=args.seed)
        write_dataset(ds, data)
        truth_df = ds.truth.select("source", "source_id", pl.col("entity_id").cast(pl.String))
        truth = {(s, i): e for s, i, e in truth_df.iter_rows()}
        labels = Path(tmp) / "labels.csv"
        answered = matched = 0
        rows = []
        print(
            f"{'answered':>8} {'match':>6} {'pair P':>7} {'pair R':>7} {'pair F1':>8} "
            f"{'B3 F1':>7} {'run s':>6}"
        )
        for budget in BUDGETS:
            while answered < budget:
                got, same = answer_queue(home, labels, truth, min(args.round, budget - answered))
                if got == 0:  # the queue ran dry
                    break
                answered, matched = answered + got, matched + same
                if answered < budget:  # an intermediate round: retrain, then ask again
                    run(home, data, labels)
            seconds = run(home, data, labels if answered else None)
            scores = evaluate(truth_df, pl.read_parquet(home / "current" / "members.parquet"))
            row = {
                "persons": args.persons,
                "seed": args.seed,
                "contacts": ds.contacts.height,
                "answered": answered,
                "answered_match": matched,
                "round": args.round,
                "pairwise_precision": round(scores.pairwise_precision, 4),
                "pairwise_recall": round(scores.pairwise_recall, 4),
                "pairwise_f1": round(scores.pairwise_f1, 4),
                "bcubed_f1": round(scores.bcubed_f1, 4),
                "run_seconds": round(seconds, 1),
            }
            rows.append(row)
            print(
                f"{answered:>8} {matched:>6} {row['pairwise_precision']:>7.4f} "
                f"{row['pairwise_recall']:>7.4f} {row['pairwise_f1']:>8.4f} "
                f"{row['bcubed_f1']:>7.4f} {seconds:>6.1f}",
                flush=True,
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row | provenance()) + "\n")


if __name__ == "__main__":
    main()
