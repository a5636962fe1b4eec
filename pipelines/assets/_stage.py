"""Running a resolution stage inside an asset: settings, warehouse connection, metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dagster import AssetExecutionContext, MetadataValue

from pipelines.resources import EdinResource


def run_id(context: AssetExecutionContext) -> str:
    """Snapshot run ID: UTC time of the run plus the start of Dagster's run ID."""
    from resolution.publish import new_run_id

    return new_run_id().split("-")[0] + "-" + context.run_id[:6]


def run_stage(context: AssetExecutionContext, edin: EdinResource,
              stage: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Run ``stage`` on the warehouse; return its metadata in Dagster's form."""
    settings = edin.settings(run_id(context))
    with edin.warehouse() as con:
        meta = stage(con, settings)
    return {k: (MetadataValue.path(v) if k == "path" else v) for k, v in meta.items()}
