"""The bad-input catalogue (tests/fixtures/bad_inputs/manifest.csv) as a table: per group, the
cases, the rows their files hold, the rows accounted for (published contacts, history rows and
quarantine rows of the case) and the crashes (a traceback, or an exit other than 0 for a
readable case and 2 for an unreadable file). The same runs as tests/inputs/test_bad_inputs.py.

    python bench/faults/bad_inputs.py   # prints the table, appends bench/results/bad_inputs.jsonl
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
CASES = ROOT / "tests" / "fixtures" / "bad_inputs"
RESULTS = ROOT / "bench" / "results" / "bad_inputs.jsonl"


def edin(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "edin", *args], capture_output=True, text=True, env=env, cwd=ROOT
    )


def main() -> int:
    with (CASES / "manifest.csv").open(encoding="utf-8", newline="") as f:
        manifest = list(csv.DictReader(f))
    readable = [m for m in manifest if not m["expect"].startswith("error:")]
    unreadable = [m for m in manifest if m["expect"].startswith("error:")]
    groups: dict[str, dict[str, int]] = defaultdict(
        lambda: {"cases": 0, "rows_in": 0, "accounted": 0, "crashes": 0}
    )
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        folders = [str(CASES / m["group"] / m["case"]) for m in readable]
        got = edin("run", str(ROOT / "data" / "sample"), *folders, "--home", str(home))
        crashed = got.returncode != 0 or "Traceback" in got.stderr
        current = home / "current"
        tables = (
            {}
            if crashed
            else {
                n: pl.read_parquet(current / f"{n}.parquet")
                for n in ("members", "history", "quarantine")
            }
        )
        for m in readable:
            g = groups[m["group"]]
            g["cases"] += 1
            g["rows_in"] += int(m["rows_in"])
            if crashed:
                g["crashes"] += 1
                continue
            folder = str(CASES / m["group"] / m["case"]) + "/"
            case = m["case"]
            members = (
                tables["members"]
                .filter(
                    pl.col("source_id").str.starts_with(f"{case}-") | (pl.col("source") == case)
                )
                .height
            )
            history = (
                tables["history"]
                .filter(pl.col("interaction_id").str.starts_with(f"{case}-"))
                .height
            )
            quarantine = (
                tables["quarantine"].filter(pl.col("input_file").str.starts_with(folder)).height
            )
            g["accounted"] += members + history + quarantine
        for m in unreadable:
            g = groups["unreadable"]
            g["cases"] += 1
            run = edin(
                "run", str(CASES / m["group"] / m["case"]), "--home", str(Path(tmp) / m["case"])
            )
            lines = [x for x in run.stderr.splitlines() if x.startswith("edin:")]
            if run.returncode != 2 or "Traceback" in run.stderr or len(lines) != 1:
                g["crashes"] += 1
    total = {
        k: sum(g[k] for g in groups.values()) for k in ("cases", "rows_in", "accounted", "crashes")
    }
    print("| group | cases | rows in | rows accounted | crashes |\n|---|---|---|---|---|")
    for name, g in sorted(groups.items()):
        print(f"| {name} | {g['cases']} | {g['rows_in']} | {g['accounted']} | {g['crashes']} |")
    print(
        f"| **all** | **{total['cases']}** | **{total['rows_in']}** | "
        f"**{total['accounted']}** | **{total['crashes']}** |"
    )
    from provenance import provenance

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(
            json.dumps({"benchmark": "bad_inputs", "groups": groups, "total": total} | provenance())
            + "\n"
        )
    return 0 if total["crashes"] == 0 and total["rows_in"] == total["accounted"] else 1


if __name__ == "__main__":
    sys.exit(main())
