"""The fixed cost of an ``edin`` command: what each one imports before it does anything.

Each case starts a fresh interpreter (``sys.modules`` of this test process holds everything) and
lists which heavy modules the code under test pulled in. No wall-clock time is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, edin_ok

HEAVY = ("polars", "duckdb", "numpy", "scipy", "dagster", "dedupe.api", "sklearn", "pandas")


def loaded_after(code: str) -> list[str]:
    """The modules of ``HEAVY`` loaded once ``code`` has run in a new interpreter."""
    probe = (
        f"import json, sys\n{code}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("code", "allowed"),
    [
        # every command: the CLI, its parser and the error type it catches
        ("import edin.cli; edin.cli.parser(); from resolution import EdinError", ()),
        # the engine's facade and its light names
        ("import resolution; resolution.Home; resolution.EdinError", ()),
        # `edin status` reads the published snapshot with polars (and DuckDB's file)
        ("from edin.status import status", ("polars", "duckdb", "numpy")),
        # `edin run` loads the Dagster graph and every stage, but not dedupe's training API
        ("import edin.runner", ("polars", "duckdb", "numpy", "scipy", "dagster")),
    ],
    ids=["cli", "resolution", "status", "run"],
)
def test_what_a_command_imports_at_start(code: str, allowed: tuple[str, ...]) -> None:
    extra = [m for m in loaded_after(code) if m not in allowed]
    assert not extra, f"{code!r} imports {extra}"


def test_a_run_that_reuses_its_model_never_loads_scikit_learn(tmp_path: Path) -> None:
    home = tmp_path / "home"
    edin_ok("run", str(ROOT / "tests/fixtures/four_ivans"), "--home", str(home))  # trains
    drop = tmp_path / "drop"
    drop.mkdir()
    lines = (ROOT / "tests/fixtures/four_ivans/contacts.csv").read_text(encoding="utf-8")
    header, first = lines.splitlines()[:2]
    (drop / "contacts.csv").write_text(
        f"{header}\n{first.replace('Москва', 'Казань')}\n", encoding="utf-8"
    )
    argv = ["run", str(drop), "--home", str(home)]
    loaded = loaded_after(f"from edin.cli import main\nassert main({argv!r}) == 0")
    assert "dagster" in loaded and "dedupe.api" not in loaded and "sklearn" not in loaded


def test_dedupe_is_whole_when_its_training_api_is_asked_for() -> None:
    code = (
        "import resolution.matching.model\n"  # dedupe's predicates and data model only
        "assert 'dedupe.api' not in sys.modules\n"
        "import dedupe\n"
        "from dedupe import branch_and_bound\n"
        "assert 'dedupe.api' not in sys.modules, 'a submodule must not load the API'\n"
        "assert dedupe.StaticDedupe.__name__ == 'StaticDedupe'\n"
        "from dedupe import Dedupe, write_training\n"
        "from dedupe.api import flatten_training\n"
        "assert Dedupe is dedupe.api.Dedupe and callable(write_training)\n"
    )
    assert "sklearn" in loaded_after(code)


def test_lazy_facades_export_what_they_state() -> None:
    code = (
        "import resolution, resolution.publishing\n"
        "for pkg in (resolution, resolution.publishing):\n"
        "    missing = [n for n in pkg.__all__ if getattr(pkg, n, None) is None]\n"
        "    assert not missing, (pkg.__name__, missing)\n"
        "    assert set(pkg.__all__) <= set(dir(pkg))\n"
    )
    loaded_after(code)


def test_the_whitespace_table_is_what_str_split_splits_on() -> None:
    from resolution.publishing.reasons import SPLIT_WHITESPACE

    scan = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and c != 32)
    assert scan == SPLIT_WHITESPACE
