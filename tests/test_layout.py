"""The layout tells the architecture: the engine never imports Dagster, and the code around it
(CLI, API, review app, Dagster layer, benchmarks) uses only the names each package states as
its API."""

from __future__ import annotations

import ast
import functools
import importlib
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ("normalizers", "resolution")
CALLERS = ("edin", "api", "review", "pipelines", "bench")
# Modules of the engine a caller may import from: the facades and the two public modules.
PUBLIC_MODULES = ("resolution.stages", "resolution.warehouse")


# Benchmarks' scratch (git-ignored): exported copies of the product at other commits, not code.
SCRATCH = ROOT / "bench" / "results" / "tmp"


def python_files(*packages: str) -> list[Path]:
    return sorted(
        p for pkg in packages for p in (ROOT / pkg).rglob("*.py") if not p.is_relative_to(SCRATCH)
    )


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of every import statement in the file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names], node.lineno))
    return out


@pytest.mark.parametrize("path", python_files(*ENGINE), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_engine_never_imports_dagster(path: Path) -> None:
    bad = [line for module, _, line in imports(path) if module.split(".")[0].startswith("dagster")]
    assert not bad, f"{path.relative_to(ROOT)} imports dagster at line(s) {bad}"


def facades() -> list[str]:
    return sorted(
        ".".join(p.relative_to(ROOT).parent.parts)
        for pkg in ENGINE
        for p in (ROOT / pkg).rglob("__init__.py")
    )


@pytest.mark.parametrize("name", facades())
def test_every_package_states_its_public_api(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring saying what it is"
    assert hasattr(module, "__all__"), f"{name}/__init__.py lists no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not export: {missing}"


@pytest.mark.parametrize("path", python_files(*CALLERS), ids=lambda p: str(p.relative_to(ROOT)))
def test_callers_import_only_the_stated_api(path: Path) -> None:
    facade_names = set(facades())
    wrong = []
    for module, names, line in imports(path):
        if module.split(".")[0] not in ENGINE:
            continue
        if module in PUBLIC_MODULES:
            continue
        if module not in facade_names:
            wrong.append(f"line {line}: {module} is not a package's public API")
            continue
        public = set(getattr(importlib.import_module(module), "__all__", ()))
        wrong += [
            f"line {line}: {module}.{n} is not in its __all__" for n in names if n not in public
        ]
    assert not wrong, f"{path.relative_to(ROOT)}: " + "; ".join(wrong)


# The product's own packages, and the extra a package may import from besides the dependencies.
PRODUCT = ("normalizers", "resolution", "pipelines", "edin", "api", "review")
EXTRA_FOR = {"resolution/spark": "spark"}
FIRST_PARTY = {*PRODUCT, "synth"}  # synth: the generator, shipped in the same distribution
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _declared(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


@functools.cache
def _distributions() -> dict[str, list[str]]:
    """Importable top-level module → the installed distributions providing it (one scan)."""
    return dict(packages_distributions())


@pytest.mark.parametrize("path", python_files(*PRODUCT), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_library_the_product_imports_is_declared(path: Path) -> None:
    """The product's own lock (requirements/run.txt, what a production install takes) holds
    pyproject's dependencies only, while the tests run on the dev tree, which has more: a library
    imported but not declared would pass every test and fail that install's first run."""
    declared = _declared(PROJECT["dependencies"])
    rel = path.relative_to(ROOT).as_posix()
    for prefix, extra in EXTRA_FOR.items():
        if rel.startswith(prefix):
            declared |= _declared(PROJECT["optional-dependencies"][extra])
    missing = []
    for module, _names, line in imports(path):
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in FIRST_PARTY:
            continue
        dists = {canonicalize_name(d) for d in _distributions().get(top, [top])}
        if not dists & declared:
            missing.append(f"line {line}: {module} ({', '.join(sorted(dists))})")
    assert not missing, "imported but not in pyproject's dependencies: " + "; ".join(missing)
