"""Benchmark: the Spark engine against the DuckDB path, time per stage, on one input.

Runs ``edin run`` on the input once per engine (each in a fresh home), Spark on ``--master``
(default ``local[2]``), and reports per engine the time of every stage, the candidate pairs per
contact, the wall and CPU seconds (of the process tree: Spark's JVM and Python workers too) per
candidate pair of block + score and the machine's load around the run, then whether the
published members, profiles, history, contacts and pair reasons are byte-identical. Rows are
appended to bench/results/spark_scale.jsonl. Usage:

    python -m edin generate --persons 20000 --seed 1 --out /tmp/gen50k
    PYTHONPATH=.:bench python bench/spark_scale.py --input /tmp/gen50k --work /tmp/spark_scale

    # about a million contacts; Spark first, then the DuckDB path on the same input
    python -m edin generate --persons 400000 --seed 1 --out /tmp/gen1m
    PYTHONPATH=.:bench python bench/spark_scale.py --input /tmp/gen1m --work /tmp/spark_1m \
        --engines spark duckdb --shuffle-partitions 8 --driver-memory 6g
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from provenance import provenance

from edin.runner import run_pipeline
from pipelines.resources import EdinResource
from resolution.spark import spark_session
from resolution.stages import Stage

RESULTS = Path(__file__).resolve().parent / "results" / "spark_scale.jsonl"
COMPARED = ("members", "profiles", "history", "contacts", "pair_reasons")


def tree_cpu() -> float:
    """CPU seconds (user + system) of this process and all its descendants (the Spark JVM,
    its Python workers, the normalizers' worker processes), with the children they reaped.
    Unlike wall time, this does not grow when other jobs share the machine's cores."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    spent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        spent[pid] = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += spent.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / ticks


def tree_pids() -> list[int]:
    """This process and all its descendants (the Spark JVM, its Python workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    pids, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def tree_memory() -> tuple[int, int]:
    """(RSS, PSS) in bytes of the process tree now. RSS counts the pages a forked Python
    worker shares with its parent once per process; PSS splits them among the sharers, so the
    tree's PSS is what it holds of the machine's memory."""
    rss = pss = 0
    for pid in tree_pids():
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:  # gone meanwhile
            continue
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key == "Rss":
                rss += int(rest.split()[0]) * 1024
            elif key == "Pss":
                pss += int(rest.split()[0]) * 1024
    return rss, pss


class PeakMemory:
    """The largest ``tree_memory`` seen, sampled every ``every`` seconds in a thread, over
    the whole run and per stage (``STAGE``, the stage running)."""

    def __init__(self, every: float = 2.0) -> None:
        self.rss = self.pss = 0
        self.by_stage: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def sample(self) -> None:
        rss, pss = tree_memory()
        self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
        if STAGE:
            self.by_stage[STAGE[-1]] = max(self.by_stage.get(STAGE[-1], 0), pss)

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


STAGE: list[str] = []
"""The stage running now (its name as the only element), for ``PeakMemory``."""

CPU: dict[str, float] = {}
"""CPU seconds of the process tree per stage of the current run."""


def _timed(call: Any) -> Any:
    def run(self: Stage, con: Any, settings: Any) -> Any:
        before = tree_cpu()
        STAGE[:] = [self.name]
        try:
            return call(self, con, settings)
        finally:
            CPU[self.name] = round(tree_cpu() - before, 2)
            STAGE.clear()

    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", type=Path, required=True, help="an input folder (edin generate)")
    p.add_argument("--work", type=Path, required=True, help="folder for the two homes")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--shuffle-partitions", default="4")
    p.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    p.add_argument("--label", default="")
    p.add_argument("--driver-memory", default="4g", help="local mode: the executors' heap too")
    args = p.parse_args()
    # the stages' progress lines (names, counts and times: no contact value)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)
    spark = spark_session(
        args.master,
        {
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": args.shuffle_partitions,
            "spark.driver.memory": args.driver_memory,
        },
    )
    spark.sparkContext.setLogLevel("ERROR")
    Stage.__call__ = _timed(Stage.__call__)  # type: ignore[method-assign]
    homes: dict[str, Path] = {}
    for engine in args.engines:
        CPU.clear()
        load_before = os.getloadavg()
        memory = PeakMemory()
        home = args.work / engine
        shutil.rmtree(home, ignore_errors=True)
        homes[engine] = home
        summary = run_pipeline(
            EdinResource(home=str(home), inputs=[str(args.input)], engine=engine)
        )
        memory.stop()
        stages = summary.stages
        contacts = int(stages["normalize"]["contacts"])
        pairs = int(stages["block"]["candidate_pairs"])
        seconds = {name: float(meta["seconds"]) for name, meta in stages.items()}
        row = {
            "label": args.label,
            "engine": engine,
            "master": args.master if engine == "spark" else "",
            "contacts": contacts,
            "candidate_pairs": pairs,
            "pairs_per_contact": round(pairs / max(contacts, 1), 2),
            "scored_pairs": int(stages["score"]["scored_pairs"]),
            "block_score_us_per_pair": round(
                1e6 * (seconds["block"] + seconds["score"]) / max(pairs, 1), 2
            ),
            "seconds": seconds,
            "total_s": summary.seconds,
            # core-seconds of this process and its descendants (Spark's JVM and workers)
            "cpu_seconds": dict(CPU),
            "block_score_core_us_per_pair": round(
                1e6 * (CPU.get("block", 0) + CPU.get("score", 0)) / max(pairs, 1), 2
            ),
            "shuffle_partitions": args.shuffle_partitions if engine == "spark" else "",
            # the machine is shared: the 1-minute load average before and after the run
            "load_before": round(load_before[0], 2),
            "load_after": round(os.getloadavg()[0], 2),
            # uptime's three averages (1, 5, 15 minutes), before and after
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            # the process tree's largest resident memory, sampled every 2 s: RSS (shared
            # pages once per process) and PSS (shared pages split), and PSS per stage
            "peak_rss_mb": round(memory.rss / 2**20),
            "peak_pss_mb": round(memory.pss / 2**20),
            "peak_pss_mb_by_stage": {k: round(v / 2**20) for k, v in memory.by_stage.items()},
            "driver_memory": args.driver_memory if engine == "spark" else "",
        }
        append(row)
    if {"duckdb", "spark"} <= homes.keys():
        same = {
            name: (homes["duckdb"] / "current" / f"{name}.parquet").read_bytes()
            == (homes["spark"] / "current" / f"{name}.parquet").read_bytes()
            for name in COMPARED
        }
        append({"label": args.label, "byte_identical": same})


def append(row: dict[str, Any]) -> None:
    """Print ``row`` and append it, with its provenance, to ``RESULTS``."""
    print(json.dumps(row), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row | provenance()) + "\n")


if __name__ == "__main__":
    main()
