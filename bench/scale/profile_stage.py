"""Profile stages of a finished run, in process, on a copy of its home.

    python bench/scale/profile_stage.py HOME INPUTS STAGE [STAGE ...] [--top 25]

HOME is a home an ``edin run INPUTS --home HOME`` left (``bench/scale/run.py`` keeps them); it
is copied to a temporary folder first, so the stages rerun over its warehouse as they ran in the
pipeline. Prints each stage's wall time and cProfile's top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from resolution import load_config
from resolution.stages import STAGES, RunSettings
from resolution.warehouse import connect


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("home", type=Path)
    p.add_argument("inputs", type=Path)
    p.add_argument("stages", nargs="+", choices=sorted(STAGES))
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="edin-profile-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(args.home, home, symlinks=True)
        run = RunSettings(home=home, inputs=(args.inputs,), config=load_config(None))
        con = connect(run.paths.warehouse)
        for name in args.stages:
            prof = cProfile.Profile()
            started = time.perf_counter()
            prof.enable()
            STAGES[name](con, run)
            prof.disable()
            print(f"== {name}: {time.perf_counter() - started:.1f} s")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
