"""Scale benchmark: the product and Splink 5 on the same generated contacts, in one run.

    python bench/scale/run.py --persons 40000 400000 [--seed 15] [--work /tmp/edin-scale]

For each size (``--persons``: the generator makes about 2.5 contacts per person), in this order:

1. the generated set (``edin generate``), reused when WORK already holds it, and the cleaned
   ``records.parquet`` the other systems compare (``bench/quality/cleaning.py``);
2. the product end to end: ``edin run DATA --home WORK/.../home`` in a fresh home;
3. Splink 5 (``splink_stages.py``: the model of ``bench/quality/splink_baseline.py``, trained by
   EM, predict, cluster at its documented threshold).

Each system runs as a child process; the parent reads the child's progress lines (``▶ stage``)
as they come and samples the resident memory of the child's process tree from /proc four times
a second, so wall time and peak memory are known per stage. Pairwise and B-cubed F1 of both
against the generator's truth. Prints a table and appends one JSON line per size to
``bench/results/scale.jsonl`` (with ``bench/provenance.py``'s keys and the load average).
The ratio (product wall / Splink wall) is the figure: at most 1.0 is the target of issue 15.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "quality"))
from cleaning import clean_generated  # noqa: E402
from measurement import _tree_memory_bytes  # noqa: E402
from provenance import provenance  # noqa: E402

from resolution import evaluate  # noqa: E402

REPO = HERE.parents[1]
RESULTS = HERE.parent / "results" / "scale.jsonl"
POLL_S = 0.25
_STAGE = re.compile(r"▶ (\w+)")


@dataclass
class Timed:
    """A child process's wall time and peak memory, in total and per stage."""

    status: str = "ok"
    seconds: float = 0.0
    peak_mb: float = 0.0
    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "wall_s": round(self.seconds, 1),
            "peak_mb": round(self.peak_mb),
            "stages": {
                k: {"s": round(v["s"], 1), "peak_mb": round(v["peak_mb"])}
                for k, v in self.stages.items()
            },
        }


def run_timed(
    cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Timed:
    """Run ``cmd``; time and sample its memory per stage (the stage named by its latest
    ``▶ name`` line on stdout or stderr)."""
    timed = Timed()
    current = ["start"]
    starts = {"start": time.perf_counter()}
    lock = threading.Lock()

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            text=True,
            bufsize=1,
        )

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.write(line)
                out.flush()
                m = _STAGE.search(line)
                if m:
                    with lock:
                        now = time.perf_counter()
                        timed.stages.setdefault(current[0], {"s": 0.0, "peak_mb": 0.0})
                        timed.stages[current[0]]["s"] += now - starts[current[0]]
                        current[0] = m[1]
                        starts[m[1]] = now
                        timed.stages.setdefault(m[1], {"s": 0.0, "peak_mb": 0.0})

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            mb = _tree_memory_bytes(proc.pid) / 2**20
            with lock:
                stage = timed.stages.setdefault(current[0], {"s": 0.0, "peak_mb": 0.0})
                stage["peak_mb"] = max(stage["peak_mb"], mb)
                timed.peak_mb = max(timed.peak_mb, mb)
            time.sleep(POLL_S)
        reader.join()
        timed.seconds = time.perf_counter() - started
        with lock:
            last = timed.stages.setdefault(current[0], {"s": 0.0, "peak_mb": 0.0})
            last["s"] += time.perf_counter() - starts[current[0]]
    timed.peak_mb = max(timed.peak_mb, usage.ru_maxrss / 1024)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        timed.status = f"failed: exit {code}"
    return timed


def prepare(persons: int, seed: int, work: Path) -> tuple[Path, Path, int]:
    """The generated set's folder, its records.parquet for Splink, and its contact count."""
    data = work / f"p{persons}_s{seed}"
    if not (data / "truth.csv").exists():
        subprocess.run(
            [sys.executable, "-m", "edin", "generate", "--persons", str(persons),
             "--seed", str(seed), "--out", str(data)],
            check=True,
            capture_output=True,
        )  # fmt: skip
    records = data.parent / f"{data.name}_records.parquet"
    if not records.exists():
        raw = pl.read_csv(data / "contacts.csv", infer_schema=False)
        cleaned = clean_generated(raw).with_row_index("unique_id")
        cleaned.with_columns(pl.col("unique_id").cast(pl.Int64)).write_parquet(records)
    n = pl.scan_parquet(records).select(pl.len()).collect().item()
    return data, records, int(n)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, nargs="+", default=[40000, 400000])
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--work", type=Path, default=Path("/tmp/edin-scale"))
    p.add_argument("--systems", default="edin,splink", help="comma-separated: edin, splink")
    p.add_argument("--note", default="", help="free text stored with the result rows")
    p.add_argument(
        "--splink-memory-limit",
        default="",
        help="DuckDB memory_limit for Splink's connection (e.g. 12GB; default: DuckDB's 80 %% of "
        "RAM, at which Splink's predict was killed by the OOM killer at 1M contacts)",
    )
    p.add_argument(
        "--product",
        type=Path,
        default=REPO,
        help="run the product from this source tree (a git worktree of another commit) "
        "instead of this one, to compare two commits in the same conditions",
    )
    args = p.parse_args(argv)
    systems = args.systems.split(",")
    args.work = args.work.resolve()
    env = {**os.environ, "PYTHONPATH": str(args.product.resolve())}
    header = (
        f"{'contacts':>10} {'system':<7} {'wall s':>7} {'peak MB':>8} {'pw F1':>6} "
        f"{'b3 F1':>6} {'load':>5}  stages (s / peak MB)"
    )
    rows = []
    for persons in args.persons:
        data, records, contacts = prepare(persons, args.seed, args.work)
        truth = pl.read_csv(data / "truth.csv", infer_schema=False)
        row: dict[str, object] = {"persons": persons, "seed": args.seed, "contacts": contacts}
        row["product_commit"] = subprocess.run(
            ["git", "-C", str(args.product), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        for system in systems:
            load = os.getloadavg()[0]
            run_dir = (
                args.work
                / f"{data.name}_{system}"
                / (args.product.resolve().name if system == "edin" else "")
            )
            shutil.rmtree(run_dir, ignore_errors=True)
            if system == "edin":
                home = run_dir / "home"
                cmd = [sys.executable, "-m", "edin", "run", str(data), "--home", str(home)]
                # in the product's tree: `python -m` puts the working folder before PYTHONPATH
                timed = run_timed(cmd, run_dir / "run.log", env, cwd=args.product.resolve())
                predicted = (
                    pl.read_parquet(home / "current" / "members.parquet")
                    if timed.status == "ok"
                    else None
                )
            else:
                out = run_dir / "clusters.parquet"
                cmd = [sys.executable, str(HERE / "splink_stages.py"), str(records), str(out)]
                if args.splink_memory_limit:
                    cmd.append(args.splink_memory_limit)
                timed = run_timed(cmd, run_dir / "run.log", env)
                predicted = (
                    pl.read_parquet(out).rename({"cluster_id": "profile_id"})
                    if timed.status == "ok"
                    else None
                )
            got = timed.as_dict() | {"load_at_start": round(load, 2)}
            if predicted is not None:
                scores = evaluate(truth, predicted)
                got |= {
                    "pairwise_f1": round(scores.pairwise_f1, 4),
                    "pairwise_precision": round(scores.pairwise_precision, 4),
                    "pairwise_recall": round(scores.pairwise_recall, 4),
                    "bcubed_f1": round(scores.bcubed_f1, 4),
                }
            row[system] = got
            rows.append((contacts, system, got))
        e, s = row.get("edin"), row.get("splink")
        if isinstance(e, dict) and isinstance(s, dict) and e["status"] == s["status"] == "ok":
            row["ratio_wall"] = round(e["wall_s"] / max(s["wall_s"], 1e-9), 2)
            row["ratio_peak"] = round(e["peak_mb"] / max(s["peak_mb"], 1e-9), 2)
        row["note"] = args.note
        if args.splink_memory_limit:
            row["splink_memory_limit"] = args.splink_memory_limit
        row |= provenance()
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(header)
        for contacts_n, system, got in rows:
            stages = ", ".join(
                f"{k} {v['s']}/{v['peak_mb']}"
                for k, v in got["stages"].items()  # type: ignore[attr-defined]
            )
            pw, b3 = got.get("pairwise_f1", "-"), got.get("bcubed_f1", "-")
            print(
                f"{contacts_n:>10,} {system:<7} {got['wall_s']:>7} {got['peak_mb']:>8} "
                f"{pw:>6} {b3:>6} {got['load_at_start']:>5}  {stages}"
            )
        if "ratio_wall" in row:
            print(f"ratio (edin / splink): wall {row['ratio_wall']}, peak {row['ratio_peak']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
