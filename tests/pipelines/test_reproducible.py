"""The same input gives the same model and the same profiles on another machine: here, under two
BLAS kernels (OpenBLAS's Haswell and Sandybridge code paths), the arithmetic that differs most
between machines. With lbfgs stopped at sklearn's default tolerance, the weights ended up to 0.4
apart and fake_20000 moved by 0.02 pairwise F1; the choice of C by cross-validation flipped too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ("Haswell", "Sandybridge")
PROBE = (
    "import json, numpy; from threadpoolctl import threadpool_info; "
    "print(json.dumps([i.get('architecture') for i in threadpool_info() "
    "if i.get('internal_api') == 'openblas']))"
)


def environment(kernel: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "OPENBLAS_L2_SIZE")}
    return env | {"OPENBLAS_CORETYPE": kernel}


def kernel_in_use(kernel: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=environment(kernel),
        check=True,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def homes(tmp_path_factory) -> dict[str, Path]:
    if not kernel_in_use(KERNELS[0]):
        pytest.skip("numpy does not use OpenBLAS here: its kernel cannot be chosen")
    if kernel_in_use(KERNELS[0]) == kernel_in_use(KERNELS[1]):
        pytest.skip("OpenBLAS runs the same kernel under both settings on this CPU")
    out = {}
    for kernel in KERNELS:
        home = tmp_path_factory.mktemp(kernel)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "edin",
                "run",
                str(ROOT / "data" / "sample"),
                "--home",
                str(home),
            ],
            capture_output=True,
            text=True,
            env=environment(kernel),
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[kernel] = home
    return out


def test_two_blas_kernels_train_the_same_model(homes: dict[str, Path]) -> None:
    a, b = (json.loads((homes[k] / "model" / "model.json").read_text()) for k in KERNELS)
    assert a["stats"]["regularization_C"] == b["stats"]["regularization_C"]
    assert a["blocking"] == b["blocking"]
    assert a["threshold"] == b["threshold"]
    np.testing.assert_allclose(a["classifier"]["weights"], b["classifier"]["weights"], atol=1e-7)
    assert abs(a["classifier"]["bias"] - b["classifier"]["bias"]) < 1e-7


def test_two_blas_kernels_publish_the_same_profiles(homes: dict[str, Path]) -> None:
    for name in ("members.parquet", "profiles.parquet"):
        a, b = ((homes[k] / "current" / name).read_bytes() for k in KERNELS)
        assert a == b, f"{name} differs between the {' and '.join(KERNELS)} BLAS kernels"
