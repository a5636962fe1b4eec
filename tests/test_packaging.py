"""The wheel holds what the product reads at run time: a production install (``pip install
--require-hashes -r requirements/run.txt`` then the wheel, not ``-e .``) has no checkout to fall
back on."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Files the packages open beside their code (``Path(__file__)``), relative to the site-packages.
READ_AT_RUN_TIME = [
    *(
        f"normalizers/dictionaries/{p.name}"
        for p in (ROOT / "normalizers" / "dictionaries").glob("*")
    ),
    "review/templates/base.html",
]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    # a copy of the sources, so the build leaves nothing in the checkout
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", *(p.name for p in ROOT.iterdir() if p.is_dir())):
        path = ROOT / name
        if name.startswith(".") or name in {"tests", "bench", "home", "build", "data", "docs"}:
            continue
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


@pytest.mark.parametrize("path", READ_AT_RUN_TIME)
def test_the_wheel_holds_every_file_the_product_reads(wheel_names: set[str], path: str) -> None:
    assert path in wheel_names
