"""The wheel holds what the product reads at run time: a production install (``pip install
--require-hashes -r requirements/run.txt`` then the wheel, not ``-e .``) has no checkout to fall
back on."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
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
    # a copy of what the build reads (pyproject, its readme, the packages it finds), so the
    # build leaves nothing in the checkout
    src = tmp_path_factory.mktemp("src")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for name in ("pyproject.toml", pyproject["project"]["readme"]):
        shutil.copy2(ROOT / name, src / name)
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        for package in ROOT.glob(pattern.removesuffix("*")):
            shutil.copytree(
                package, src / package.name, ignore=shutil.ignore_patterns("__pycache__")
            )
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
