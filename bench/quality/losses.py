"""Where a run loses the true pairs: blocking, scoring, or clustering.

    python bench/quality/losses.py HOME TRUTH

HOME is an ``edin run`` home (its warehouse is read, never written), TRUTH a csv of source,
source_id, entity_id. Per stage, how many of the true pairs (two contacts of one entity) are
still there and how many pairs the stage holds:

* candidate pairs: the pairs blocking made (a true pair missing here is never compared);
* scored pairs: those the score stage kept;
* at or above the threshold: those the model (and the name-only guard) would link;
* clustered: the pairs of the published clusters.

Prints counts only, never a contact's value.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

_TRUTH_PAIRS = """
CREATE TEMP TABLE truth_pairs AS
WITH t AS (
    SELECT c.record_id, tr.entity_id
    FROM read_csv($truth, all_varchar = true) tr
    JOIN w.normalized_contacts c ON c.source = tr.source AND c.source_id = tr.source_id
)
SELECT a.record_id AS l, b.record_id AS r
FROM t a JOIN t b ON a.entity_id = b.entity_id AND a.record_id < b.record_id
"""

_ORDERED = "least(record_id_l, record_id_r) AS l, greatest(record_id_l, record_id_r) AS r"

STAGES = {
    "candidate pairs": f"SELECT {_ORDERED} FROM w.candidate_pairs",
    "scored pairs (kept)": f"SELECT {_ORDERED} FROM w.scored_pairs",
    "at or above the threshold": f"SELECT {_ORDERED} FROM w.scored_pairs WHERE score >= $threshold",
    "clustered": "SELECT a.record_id AS l, b.record_id AS r FROM w.clusters a "
    "JOIN w.clusters b ON a.cluster_id = b.cluster_id AND a.record_id < b.record_id",
}


def losses(home: Path, truth: Path) -> list[tuple[str, int, int, int]]:
    """Per stage: (stage, true pairs still there, all true pairs, pairs the stage holds)."""
    threshold = json.loads((home / "model" / "model.json").read_text(encoding="utf-8"))["threshold"]
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS w (READ_ONLY)", [str(home / "warehouse.duckdb")])
        con.execute(_TRUTH_PAIRS, {"truth": str(truth)})
        (total,) = con.execute("SELECT count(*) FROM truth_pairs").fetchall()[0]
        out = []
        for stage, sql in STAGES.items():
            params = {"threshold": threshold} if "$threshold" in sql else {}
            found, held = con.execute(
                f"WITH s AS ({sql}) SELECT (SELECT count(*) FROM s JOIN truth_pairs "
                "USING (l, r)), (SELECT count(*) FROM s)",
                params,
            ).fetchall()[0]
            out.append((stage, int(found), int(total), int(held)))
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("home", type=Path)
    p.add_argument("truth", type=Path)
    args = p.parse_args(argv)
    print(f"{'stage':28s} {'true pairs':>12s} {'recall':>7s} {'pairs':>10s} {'precision':>9s}")
    for stage, found, total, held in losses(args.home, args.truth):
        print(
            f"{stage:28s} {found:12,d} {found / max(total, 1):7.3f} {held:10,d} "
            f"{found / max(held, 1):9.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
