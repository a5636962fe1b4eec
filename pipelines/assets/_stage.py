"""Running a resolution stage inside an asset: settings, warehouse connection, metadata."""

from __future__ import annotations

from typing import Any

from dagster import AssetExecutionContext, MetadataValue

from pipelines.resources import EdinResource
from resolution import Home
from resolution.publishing import new_run_id
from resolution.stages import STAGES

# Metadata keys holding a file's path (the snapshot, its run chart): shown as paths in the UI.
PATHS = frozenset({"path", "run_chart"})


def run_id(context: AssetExecutionContext) -> str:
    """Snapshot run ID: UTC time of the run plus the start of Dagster's run ID."""
    return new_run_id(suffix=context.run.run_id[:6])


def warehouse_row(edin: EdinResource, sql: str) -> tuple[Any, ...]:
    """The one row a check's query returns (counts to compare)."""
    with edin.warehouse() as con:
        return tuple(con.execute(sql).fetchall()[0])


def run_stage(
    context: AssetExecutionContext, edin: EdinResource, stage: str, rows: str | None = None
) -> dict[str, Any]:
    """Run the stage named ``stage`` (``resolution.stages.STAGES``) on the warehouse; return its
    metadata in Dagster's form (with the stage's name, which the run summary goes by, and
    ``dagster/row_count`` from the metadata key ``rows``, which the UI plots across runs)."""
    drop = context.run.tags.get("dagster/partition")  # the run's drop (pipelines.partitions)
    settings = edin.settings(run_id(context), drop=drop)
    Home(edin.home_path).lock(context.run.run_id)  # one writer per home, for the whole run
    with edin.warehouse() as con:
        meta = STAGES[stage](con, settings)
    meta["drop"] = drop or ""
    if rows is not None:
        meta["dagster/row_count"] = int(meta[rows])
    return {k: (MetadataValue.path(v) if k in PATHS else v) for k, v in meta.items()}
