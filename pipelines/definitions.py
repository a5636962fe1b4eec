"""The Dagster code location: every asset, check, job, schedule and sensor of the project."""

from dagster import (
    Definitions,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from pipelines.assets import ingest, publish, resolve
from pipelines.resources import edin_from_env
from pipelines.schedules import nightly_resolve, resolve_all, weekly_full
from pipelines.sensors import drop_folder, operator_decisions

_modules = [ingest, resolve, publish]

defs = Definitions(
    assets=load_assets_from_modules(_modules),
    asset_checks=load_asset_checks_from_modules(_modules),
    jobs=[resolve_all],
    schedules=[nightly_resolve, weekly_full],
    sensors=[drop_folder, operator_decisions],
    resources={"edin": edin_from_env()},
    # One DuckDB writer at a time: steps run one after another in one process.
    executor=in_process_executor,
)
