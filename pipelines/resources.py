"""All configuration and environment of the Dagster project, read in this one place.

Environment variables (all optional):
- ``EDIN_HOME``: the run home (warehouse, model, snapshots, ``current``); default ``home``.
- ``EDIN_INPUTS``: input files or folders, separated by ``:``; default ``data/sample``.
- ``EDIN_CONFIG``: a TOML config file (column mapping, extra fields, resolver knobs).
- ``EDIN_LABELS``: a labelled-pairs file for training.
- ``EDIN_RETRAIN``: ``1`` to train a fresh model instead of reusing the saved one.
- ``EDIN_DROPS``: a folder the ``drop_folder`` sensor watches; each new sub-folder is a drop,
  and a partition of the ``drops`` dynamic partitions (``pipelines.partitions``): a run of
  partition ``P`` reads ``EDIN_DROPS/P`` when that folder exists, else ``EDIN_INPUTS``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
from dagster import ConfigurableResource, EnvVar, InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from resolution import Home, load_config
from resolution.stages import RunSettings


class EdinResource(ConfigurableResource):
    """Where a run reads its inputs and keeps its warehouse, model and snapshots."""

    home: str = "home"
    inputs: list[str] = ["data/sample"]
    config_file: str | None = None
    labels_file: str | None = None
    retrain: bool = False
    # block, score and cluster every contact, not only what the drop touches
    full: bool = False
    full_export: bool = False
    deletes_file: str | None = None
    accept_mass_change: bool = False
    # the drop folder the sensor watches: a run of partition P reads DROPS/P when it exists
    drops: str | None = None
    # "duckdb" or "spark" (blocking and scoring on pyspark); None: the config's [resolution] engine
    engine: str | None = None

    # Within a run (setup_for_execution to teardown_after_execution) the warehouse file is
    # opened once: each ``warehouse()`` is a fresh connection (a DuckDB cursor: its own temp
    # tables and settings) to that one open database, instead of an open and a checkpointing
    # close of the file per stage and per check (~10 ms each, 14 a run).
    _in_run: bool = PrivateAttr(default=False)
    _database: ExitStack | None = PrivateAttr(default=None)
    _connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    @property
    def home_path(self) -> Path:
        return Path(self.home).resolve()

    def drop_inputs(self, drop: str | None) -> tuple[Path, ...]:
        """The files of drop partition ``drop`` (its folder in ``drops``), or the configured
        inputs when there is no such folder (a nightly run, the CLI)."""
        if drop and self.drops and (Path(self.drops) / drop).is_dir():
            return (Path(self.drops) / drop,)
        return tuple(Path(p) for p in self.inputs)

    def settings(self, run_id: str, drop: str | None = None) -> RunSettings:
        return RunSettings(
            home=self.home_path,
            inputs=self.drop_inputs(drop),
            drop=drop,
            config=load_config(Path(self.config_file) if self.config_file else None),
            labels_file=Path(self.labels_file) if self.labels_file else None,
            run_id=run_id,
            retrain=self.retrain,
            full=self.full,
            full_export=self.full_export,
            deletes_file=Path(self.deletes_file) if self.deletes_file else None,
            accept_mass_change=self.accept_mass_change,
            engine=self.engine,
        )

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._in_run = True

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._close_database()  # the one close (and checkpoint) of the run
        self._in_run = False

    def _open(self, stack: ExitStack) -> duckdb.DuckDBPyConnection:
        self.home_path.mkdir(parents=True, exist_ok=True)
        database = DuckDBResource(database=str(Home(self.home_path).warehouse))
        return stack.enter_context(database.get_connection())

    def _close_database(self) -> None:
        if self._database is not None:
            self._database.close()
        self._database = self._connection = None

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to HOME/warehouse.duckdb (the pipeline is its only writer)."""
        with ExitStack() as stack:
            if not self._in_run:  # outside a run: a connection of its own
                con = self._open(stack)
            else:
                if self._connection is None:
                    self._database = ExitStack()
                    self._connection = self._open(self._database)
                con = stack.enter_context(self._connection.cursor())
            con.execute("SET TimeZone = 'UTC'")  # timestamps read back as UTC on any machine
            try:
                yield con
            except BaseException:
                # A failed stage may leave the database unusable (a full disk invalidates it):
                # a retried step opens the file anew, as every step did before.
                if self._in_run:
                    with suppress(Exception):  # the stage's own error is what to report
                        stack.close()
                        self._close_database()
                raise


def _env(name: str, default: str | None) -> Any:
    """``EnvVar(name)`` when the variable is set, so the UI shows where the value comes from
    (and it is read when a run starts, not when the code loads); the default otherwise."""
    return EnvVar(name) if os.environ.get(name) else default


def edin_from_env() -> EdinResource:
    """The resource of the code location, from the EDIN_* environment (module docstring)."""
    inputs = os.environ.get("EDIN_INPUTS", "data/sample")
    return EdinResource(
        home=_env("EDIN_HOME", "home"),
        inputs=[p for p in inputs.split(":") if p],
        config_file=_env("EDIN_CONFIG", None),
        labels_file=_env("EDIN_LABELS", None),
        retrain=os.environ.get("EDIN_RETRAIN", "") in ("1", "true", "yes"),
        drops=_env("EDIN_DROPS", None),
    )
