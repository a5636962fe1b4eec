"""A memory timeline of stages of a finished run, rerun in process on a copy of its warehouse.

    python bench/scale/memory_stage.py HOME INPUTS STAGE [STAGE ...] [--at NAME ...]

HOME is a home an ``edin run INPUTS --home HOME`` left (``bench/scale/run.py`` keeps them). Its
warehouse and model are copied to a temporary home without snapshots, so the stages rerun as
in a first run. A thread samples the process's resident memory twenty times a second; a line
is printed when each stage starts and ends and around each call of the functions named by
``--at`` (names in ``resolution.stages``; ``module:name`` for another module's, e.g.
``resolution.publishing.reasons:records_json``): seconds, resident MB, the peak so far and
where it was. How the peak of ``run.py`` at 5M contacts was found in publish and profiles.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resolution import load_config
from resolution.stages import STAGES, RunSettings
from resolution.warehouse import connect

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Timeline:
    """Resident memory sampled in a thread; ``mark`` prints a line and names what follows."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.now = "start"
        self.peak, self.peak_at = 0.0, "start"
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            mb = resident_mb()
            if mb > self.peak:
                self.peak, self.peak_at = mb, self.now
            time.sleep(0.05)

    def mark(self, what: str) -> None:
        self.now = what
        print(
            f"{time.perf_counter() - self.started:7.1f} s {resident_mb():7.0f} MB "
            f"(peak {self.peak:7.0f} MB at {self.peak_at}) | {what}",
            flush=True,
        )


def watch(timeline: Timeline, spec: str) -> None:
    """Mark each call of the function ``spec`` names (``name`` or ``module:name``)."""
    module_name, _, name = spec.rpartition(":")
    module = importlib.import_module(module_name or "resolution.stages")
    fn: Callable[..., Any] = getattr(module, name)

    @functools.wraps(fn)
    def marked(*args: Any, **kwargs: Any) -> Any:
        timeline.mark(f"> {name}")
        try:
            return fn(*args, **kwargs)
        finally:
            timeline.mark(f"< {name}")

    setattr(module, name, marked)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("home", type=Path)
    p.add_argument("inputs", type=Path)
    p.add_argument("stages", nargs="+", choices=sorted(STAGES))
    p.add_argument("--at", nargs="*", default=[], help="functions to mark the calls of")
    args = p.parse_args(argv)
    timeline = Timeline()
    for spec in args.at:
        watch(timeline, spec)
    with tempfile.TemporaryDirectory(prefix="edin-memory-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        shutil.copy2(args.home / "warehouse.duckdb", home / "warehouse.duckdb")
        shutil.copytree(args.home / "model", home / "model")
        run = RunSettings(home=home, inputs=(args.inputs,), config=load_config(None))
        con = connect(run.paths.warehouse)
        for name in args.stages:
            timeline.mark(f"{name} starts")
            STAGES[name](con, run)
            timeline.mark(f"{name} ends")
        con.close()
    print(f"peak {timeline.peak:.0f} MB at {timeline.peak_at}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
