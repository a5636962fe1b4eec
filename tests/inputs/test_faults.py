"""A small fault campaign (bench/faults/campaign.py) on data/sample: 3 SIGKILLs, 1 full disk,
1 read-only home. After each, ``current/`` is the last good snapshot (or a new whole one), the
run said so in one ``edin:`` line with exit 2 (a kill: -9), and the next run recovers."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CAMPAIGN = ROOT / "bench" / "faults" / "campaign.py"


def _namespaces() -> bool:
    """A user + mount namespace can be made here (a tmpfs for the full disk, a read-only bind)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return probe.returncode == 0


def _campaign():
    spec = importlib.util.spec_from_file_location("fault_campaign", CAMPAIGN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_small_fault_campaign(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespaces = _namespaces()
    args = ["--kills", "3", "--no-record", "--work", str(tmp_path), "--seed", "3"]
    args += ["--disk-at-stages"]  # a full disk at each stage: tests/inputs/test_disk_full.py
    args += (
        ["--disk-steps", "1", "--read-only", "home"]
        if namespaces
        else ["--disk-steps", "0", "--read-only"]
    )
    code = _campaign().main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    # the summary: tried, current/ intact, clean stop, recovered
    assert "| kill | 3 | 3 | 3 | 3 |" in out, out
    if namespaces:
        assert "| disk_full | 1 | 1 | 1 | 1 |" in out, out
        assert "| read_only | 1 | 1 | 1 | 1 |" in out, out
