"""A full disk at each of a run's writes (bench/faults/campaign.py ``--disk-at-stages``): the
run stops with one ``edin:`` line naming the file it could not write, exit 2, and leaves
nothing behind that the next run trips on. These are the product's side of it, fast; the
campaign itself (a real tmpfs filled as each stage starts) is the slow test at the end."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

import resolution.home as home_module
from edin.cli import _disk_problem, main
from resolution.files import write_atomic
from resolution.home import Home
from tests.conftest import ROOT
from tests.inputs.test_faults import _campaign, _namespaces

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def test_a_write_that_finds_the_disk_full_names_its_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model" / "training.json"
    write_atomic(target, "old")

    def full(_fd: int) -> None:  # what fsync (or write) of a real full disk raises: no file name
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as raised:
        write_atomic(target, "new")
    assert raised.value.filename == str(target)
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["training.json"]


class _FullDisk:
    """A lock file on a full disk: opening and locking work; what is written stays in the
    buffer, and flushing it fails, on ``flush()`` and again on ``close()`` (a real full disk)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self._real.close()
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_lock_file_that_cannot_be_written_is_a_message_and_the_next_run_takes_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setattr(
        home_module,
        "open",
        lambda *a, **k: _FullDisk(open(*a, **k)),  # noqa: SIM115 (the lock keeps it open)
        raising=False,
    )
    code = main(["run", str(ROOT / "data" / "sample"), "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("edin:")]
    assert lines == [
        f"edin: cannot write {home / '.lock'}: No space left on device; free space or fix the "
        "permissions, then run again (current/ is as it was)"
    ]
    assert "Traceback" not in err
    assert not (home / "current").exists()
    # the failed lock was let go: space freed, the same process (or the next run) takes it
    monkeypatch.undo()
    Home(home).lock("next")
    assert '"run_id": "next"' in (home / ".lock").read_text()


def test_duckdb_saying_the_disk_is_full_names_the_file() -> None:
    wal = "/srv/edin/warehouse.duckdb.wal"
    exc = duckdb.TransactionException(
        f'TransactionContext Error: Failed to commit: Could not write file "{wal}": '
        "No space left on device"
    )
    assert _disk_problem(exc) == f"{wal}: No space left on device"
    # without a file name: what it is, still not a traceback
    assert _disk_problem(duckdb.FatalException("No space left on device")) == (
        "the warehouse or a snapshot (FatalException: No space left on device)"
    )
    assert _disk_problem(ValueError("a bug")) is None


@pytest.mark.slow
def test_a_full_disk_as_each_of_three_stages_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The campaign fills a real tmpfs as the lock, training and publishing start, on a fresh
    home: each stops cleanly, current/ stays as it was, the next run recovers."""
    if not _namespaces():
        pytest.skip("no user + mount namespaces here (unshare -rm)")
    args = ["--kills", "0", "--disk-steps", "0", "--read-only", "--no-record"]
    args += ["--work", str(tmp_path), "--disk-at-stages", "fresh", "--disk-margins", "1"]
    args += ["--disk-stages", "start", "train", "publish", "--strace", "no"]
    code = _campaign().main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| disk_full | 3 | 3 | 3 | 3 | publish, start, train |" in out, out
