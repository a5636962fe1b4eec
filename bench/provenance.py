"""What produced a benchmark figure: the commit, the versions of the numeric stack, the CPU and
the BLAS kernel. Every row a benchmark appends to ``bench/results`` carries it, so a figure can
be traced to what made it (the BLAS kernel alone once moved fake_20000 by 0.07 pairwise F1)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

PACKAGES = ("numpy", "scikit-learn", "scipy", "dedupe", "polars", "duckdb")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> list[dict[str, Any]]:
    """The BLAS libraries numpy and scipy loaded, with the kernel each runs."""
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl reports)
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "version", "architecture", "num_threads")
    return [
        {k: info.get(k) for k in keys}
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]


@cache
def provenance() -> dict[str, Any]:
    """The keys every benchmark row carries."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()
    return {
        "commit": commit + ("+dirty" if dirty else ""),
        "versions": {p: importlib.metadata.version(p) for p in PACKAGES},
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "blas": _blas(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
