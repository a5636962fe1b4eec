"""Package facades that import their modules on first use (PEP 562).

A facade's ``__init__.py`` states its public API as imports under ``if TYPE_CHECKING:`` (what
mypy, ruff and a reader see) and ends with ``__getattr__, __dir__ = lazy_exports(__name__,
__file__)``: a name is imported from its module the first time a caller asks for it. So
``from resolution import EdinError`` (every CLI command) loads ``resolution.errors`` alone, not
the engine's polars, DuckDB, numpy, phone and e-mail libraries; a command that needs
``resolution.stages`` still pays for it, once.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _type_checking_imports(init_file: str) -> dict[str, str]:
    """{exported name: module} of the ``from M import N`` statements under
    ``if TYPE_CHECKING:`` in ``init_file``."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for alias in stmt.names:
                    names[alias.asname or alias.name] = stmt.module
    return names


def lazy_exports(
    package: str, init_file: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: each name imported under
    ``if TYPE_CHECKING:`` in its ``__init__.py`` comes from its module on first access (and is
    then kept in the package, so the next access costs nothing)."""
    exports = _type_checking_imports(init_file)
    here = Path(init_file).parent
    # importing submodule ``M`` binds ``package.M`` to it: an export of that name would flip
    shadowed = [n for n in exports if (here / f"{n}.py").exists() or (here / n).is_dir()]
    if shadowed:
        raise ImportError(f"{package} exports names of its own submodules: {shadowed}")

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(importlib.import_module(package))) | set(exports))

    return __getattr__, __dir__
