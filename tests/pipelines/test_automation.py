"""Dagster automation: the drop sensor runs each drop once; one writer per home."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    DagsterInstance,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from pipelines.definitions import defs
from pipelines.resources import EdinResource
from pipelines.schedules import nightly_resolve, weekly_full
from pipelines.sensors import drop_folder, new_drops
from resolution.home import Home, HomeBusyError

ROOT = Path(__file__).resolve().parents[2]


def tick(instance: DagsterInstance, cursor: str | None) -> tuple[list, str | None]:
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    results = list(drop_folder(context))
    return results, context.cursor


def make_drop(root: Path, name: str, rows: int = 1) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    lines = ["source,source_id,name"] + [f"vk,{name}-{i},Иван" for i in range(rows)]
    (folder / "contacts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_sensor_requests_each_drop_exactly_once(tmp_path, monkeypatch) -> None:
    drops = tmp_path / "drops"
    make_drop(drops, "2026-12-05")
    monkeypatch.setenv("EDIN_DROPS", str(drops))
    with DagsterInstance.ephemeral() as instance:
        first, cursor = tick(instance, None)
        assert [type(r) for r in first] == [RunRequest]
        assert first[0].tags["edin/drop"] == "2026-12-05"
        assert first[0].run_config["resources"]["edin"]["config"]["inputs"] == [
            str(drops / "2026-12-05")
        ]
        again, cursor = tick(instance, cursor)  # fired twice: nothing new
        assert [type(r) for r in again] == [SkipReason]
        make_drop(drops, "2026-12-06")
        third, cursor = tick(instance, cursor)
        assert [r.tags["edin/drop"] for r in third if isinstance(r, RunRequest)] == ["2026-12-06"]
        # the run key is the drop's content: a lost cursor still gives Dagster the same keys
        lost, _ = tick(instance, None)
        assert sorted(r.run_key for r in lost) == sorted([first[0].run_key, third[0].run_key])
        # each drop is a partition of the drops dynamic partitions, named after its folder
        assert [first[0].partition_key, third[0].partition_key] == ["2026-12-05", "2026-12-06"]
        assert instance.get_dynamic_partitions("drops") == ["2026-12-05", "2026-12-06"]


def test_a_run_of_a_drop_partition_reads_that_drop(tmp_path) -> None:
    drops = tmp_path / "drops"
    folder = make_drop(drops, "2026-12-05")
    edin = EdinResource(home=str(tmp_path / "home"), inputs=["data/sample"], drops=str(drops))
    assert edin.settings("r1", drop="2026-12-05").inputs == (folder,)
    # a partition without a folder (a nightly run, the CLI): the configured inputs
    assert edin.settings("r2", drop="nightly-2026-12-06").inputs == (Path("data/sample"),)
    assert edin.settings("r3").inputs == (Path("data/sample"),)


def test_the_nightly_run_is_a_drop_partition_of_its_day() -> None:
    when = datetime(2026, 12, 6, 3, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    with instance_for_test() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=when)
        request = nightly_resolve(context)
        assert isinstance(request, RunRequest)
        assert request.partition_key == "nightly-2026-12-06"
        assert request.tags.get("edin/home")
        assert instance.has_dynamic_partition("drops", "nightly-2026-12-06")
        weekly = weekly_full(context)
        assert isinstance(weekly, RunRequest)
        assert weekly.run_config["resources"]["edin"]["config"]["retrain"] is True


def test_a_drop_still_being_written_is_not_a_new_drop_twice(tmp_path) -> None:
    drops = tmp_path / "drops"
    (drops / "2026-12-07").mkdir(parents=True)  # the export has not written its files yet
    assert new_drops(drops, set()) == []


def test_without_a_drop_folder_the_sensor_says_why(monkeypatch) -> None:
    monkeypatch.delenv("EDIN_DROPS", raising=False)
    with DagsterInstance.ephemeral() as instance:
        results, _ = tick(instance, None)
    assert isinstance(results[0], SkipReason) and "EDIN_DROPS" in results[0].skip_message


HOLDER = """
import sys, time
from resolution.home import Home
Home(sys.argv[1]).lock("holder-run")
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_writer_is_refused_while_a_run_holds_the_home(tmp_path) -> None:
    home = tmp_path / "home"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(HomeBusyError, match="another run is writing"):
            Home(home).lock("second-run")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
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
            env=env,
            timeout=600,
        )
        assert proc.returncode == 2
        assert "another run is writing" in proc.stderr and "holder-run" in proc.stderr
        assert not (home / "current").exists()
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    Home(home).lock("after")  # the lock went with the holder's process


def test_every_run_is_queued_one_per_home() -> None:
    job = defs.resolve_job_def("resolve_all")
    assert job.tags.get("edin/home")
    config = (ROOT / "dagster.yaml").read_text(encoding="utf-8")
    assert "edin/home" in config and "limit: 1" in config


def test_new_operator_decisions_start_a_run_once(tmp_path, monkeypatch) -> None:
    from pipelines.sensors import operator_decisions
    from resolution.feedback import record_merge

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    subprocess.run(
        [sys.executable, "-m", "edin", "run", str(ROOT / "data" / "sample"), "--home", str(home)],
        check=True,
        capture_output=True,
        env=env,
        timeout=600,
    )
    monkeypatch.setenv("EDIN_HOME", str(home))
    with DagsterInstance.ephemeral() as instance:

        def tick(cursor: str | None) -> tuple[list, str | None]:
            context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
            return list(operator_decisions(context)), context.cursor

        quiet, cursor = tick(None)
        assert isinstance(quiet[0], SkipReason)
        record_merge(home, [("vk", "808301380"), ("vk", "684772780")], operator="olga")
        fired, cursor = tick(cursor)
        assert [type(r) for r in fired] == [RunRequest] and fired[0].run_key == "decisions-1"
        assert fired[0].partition_key == "decisions-1"
        again, _ = tick(cursor)
        assert isinstance(again[0], SkipReason)
