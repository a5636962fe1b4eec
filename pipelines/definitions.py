"""The Dagster code location: every asset, check and job of the project."""

from dagster import (
    Definitions,
    define_asset_job,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from pipelines.assets import ingest, publish, resolve
from pipelines.resources import edin_from_env

_modules = [ingest, resolve, publish]

resolve_job = define_asset_job("resolve_all", description="Ingest, resolve and publish everything.")

defs = Definitions(
    assets=load_assets_from_modules(_modules),
    asset_checks=load_asset_checks_from_modules(_modules),
    jobs=[resolve_job],
    resources={"edin": edin_from_env()},
    # One DuckDB writer at a time: steps run one after another in one process.
    executor=in_process_executor,
)
