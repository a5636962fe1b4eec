"""Files are written whole or not at all; old snapshots are pruned; half-written ones cleared."""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from resolution.errors import ModelError
from resolution.files import atomic_path, write_atomic
from resolution.home import Home
from resolution.matching.model import MatchModel
from resolution.publishing.snapshot import prune_snapshots


def test_write_atomic_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "model" / "model.json"
    write_atomic(target, "old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["model.json"]


def test_a_failed_write_leaves_the_old_file_and_no_litter(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "model.json"
    write_atomic(target, "old")

    def full_disk(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    with pytest.raises(OSError), atomic_path(tmp_path / "out.parquet") as tmp:
        tmp.write_bytes(b"half")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_a_broken_model_file_names_itself_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text('{"format": 1, "fields": [', encoding="utf-8")
    with pytest.raises(ModelError, match=r"model\.json is not a readable model.*--retrain"):
        MatchModel.load(tmp_path)


def snapshots(home: Path, run_ids: list[str]) -> None:
    for run_id in run_ids:
        (Home(home).snapshot(run_id)).mkdir(parents=True)


@pytest.mark.parametrize(
    ("runs", "keep_last", "keep_days", "left"),
    [
        # ten daily runs in November, pruned on 6 December: the newest 7 stay
        ([f"202611{d:02d}T030000Z-a" for d in range(1, 11)], 7, 30, 7),
        # all younger than 30 days: all stay, whatever keep_last says
        ([f"202612{d:02d}T030000Z-a" for d in range(1, 6)], 2, 30, 5),
        # keep_days 0: only the newest keep_last
        ([f"202612{d:02d}T030000Z-a" for d in range(1, 6)], 2, 0, 2),
    ],
)
def test_prune_keeps_the_newest_and_the_young(tmp_path, runs, keep_last, keep_days, left) -> None:
    snapshots(tmp_path, runs)
    os.symlink(Path("snapshots") / runs[0], tmp_path / "current")  # current is never pruned
    removed = prune_snapshots(
        tmp_path, keep_last, keep_days, now=datetime(2026, 12, 6, 12, tzinfo=UTC)
    )
    still = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert runs[0] in still and set(removed).isdisjoint(still)
    assert len(still) == max(left, 1) + (0 if runs[0] in runs[-left:] else 1)


def test_a_full_disk_is_a_message_and_exit_2_not_a_traceback(tmp_path, monkeypatch, capsys) -> None:
    import resolution.stages as stages
    from edin.cli import main

    def full_disk(path: Path, data: object) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(stages, "write_atomic", full_disk)
    root = Path(__file__).resolve().parents[2]
    code = main(["run", str(root / "data" / "sample"), "--home", str(tmp_path / "home")])
    err = capsys.readouterr().err
    assert code == 2
    assert "edin: cannot write" in err and "No space left on device" in err
    assert not (tmp_path / "home" / "current").exists()
