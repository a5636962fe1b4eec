"""Benchmark: what storing explanations costs, on a home after `edin run`.

Scores the warehouse's candidate pairs twice with the saved model, once for scores only (as
before explanations) and once with per-field reasons, and reports the time of each and the
size of what the snapshot stores (pair_reasons.parquet beside the rest). Usage:

    python -m edin run DATA --home HOME && python bench/explain_cost.py --home HOME
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import polars as pl
from provenance import provenance

from resolution.linking import KEEP_SCORE, score_candidates
from resolution.matching import MatchModel, records, score_pairs
from resolution.warehouse import connect, read_table

RESULTS = Path(__file__).resolve().parent / "results" / "explain_cost.jsonl"


def scores_only(con, model: MatchModel, recs: dict, chunk: int) -> pl.DataFrame:
    """The scoring loop as it was before explanations."""
    cursor = con.execute(
        "SELECT record_id_l, record_id_r FROM candidate_pairs ORDER BY record_id_l, record_id_r"
    )
    kept = []
    while rows := cursor.fetchmany(chunk):
        left = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        right = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        s = score_pairs(model, [(recs[a], recs[b]) for a, b in rows]).score
        keep = s >= KEEP_SCORE
        kept.append(
            pl.DataFrame({"record_id_l": left[keep], "record_id_r": right[keep], "score": s[keep]})
        )
    return pl.concat(kept)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--chunk", type=int, default=200_000)
    p.add_argument("--label", default="")
    args = p.parse_args()
    con = connect(args.home / "warehouse.duckdb", read_only=True)
    model = MatchModel.load(args.home / "model")
    contacts = read_table(con, "normalized_contacts")
    recs = records(contacts, model.specs)
    candidates = con.execute("SELECT count(*) FROM candidate_pairs").fetchall()[0][0]
    plain_s, explain_s = [], []
    for _ in range(2):  # alternate, best of two: the machine is shared
        t0 = time.perf_counter()
        plain = scores_only(con, model, recs, args.chunk)
        t1 = time.perf_counter()
        got = score_candidates(con, model, recs, args.chunk)
        scored, reasons = got.scored, got.reasons
        t2 = time.perf_counter()
        plain_s.append(t1 - t0)
        explain_s.append(t2 - t1)
    t0, t1, t2 = 0.0, min(plain_s), min(plain_s) + min(explain_s)
    assert scored["score"].to_list() == plain["score"].to_list()
    snap = (args.home / "current").resolve()
    sizes = {f.name: f.stat().st_size for f in snap.iterdir() if f.suffix == ".parquet"}
    row = {
        "label": args.label,
        "contacts": contacts.height,
        "candidate_pairs": candidates,
        "scored_pairs": scored.height,
        "fields": len(reasons.columns) - 3,
        "score_s": round(t1 - t0, 2),
        "score_and_explain_s": round(t2 - t1, 2),
        "overhead_pct": round(100 * ((t2 - t1) / (t1 - t0) - 1), 1),
        "reasons_mb_in_memory": round(reasons.estimated_size() / 2**20, 1),
        "pair_reasons_parquet_mb": round(sizes.get("pair_reasons.parquet", 0) / 2**20, 2),
        "contacts_parquet_mb": round(sizes.get("contacts.parquet", 0) / 2**20, 2),
        "snapshot_parquet_mb": round(sum(sizes.values()) / 2**20, 2),
    }
    print(json.dumps(row, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row | provenance()) + "\n")


if __name__ == "__main__":
    main()
