"""dedupe's package without its training API until something asks for it.

``import dedupe.predicates`` (or any dedupe module) first runs ``dedupe/__init__.py``, which
imports ``dedupe.api`` and with it scikit-learn, SciPy's statistics, pandas and pyarrow: about
0.8 s of a run's start. A run that reuses its model needs only dedupe's predicates, variables,
data model and clustering, none of which imports scikit-learn. ``defer_dedupe_api`` puts the
``dedupe`` package in ``sys.modules`` without running its ``__init__.py``: its modules import
as usual (``dedupe.predicates``, ``from dedupe import branch_and_bound``), and the first use of
a name only ``__init__.py`` defines (``dedupe.Dedupe``, ``dedupe.StaticDedupe``,
``dedupe.write_training``…) runs it then, in the same package object: callers see dedupe as
it always is. Nothing changes when dedupe was imported before.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any


def defer_dedupe_api() -> None:
    """Register the ``dedupe`` package with its ``__init__.py`` not yet run (module docstring);
    a no-op when dedupe is imported already or not installed."""
    if "dedupe" in sys.modules:
        return
    spec = importlib.util.find_spec("dedupe")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)

    def __getattr__(name: str) -> Any:
        if importlib.util.find_spec(f"dedupe.{name}") is not None:
            return importlib.import_module(f"dedupe.{name}")  # a module: binds dedupe.<name>
        _run_init(package)
        return getattr(package, name)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules["dedupe"] = package


def _run_init(package: ModuleType) -> None:
    """Run ``dedupe/__init__.py`` in ``package`` (once): dedupe.api and its exports."""
    vars(package).pop("__getattr__", None)
    spec = package.__spec__
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(package)
