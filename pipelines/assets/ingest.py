"""Raw inputs into the warehouse, and their normalized match keys."""

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    asset,
    asset_check,
    multi_asset,
)

from pipelines.assets._stage import run_stage, warehouse_row
from pipelines.partitions import DROPS
from pipelines.resources import EdinResource

GROUP = "ingest"


@multi_asset(
    specs=[
        AssetSpec(
            "raw_contacts",
            group_name=GROUP,
            description="Input contacts on the contract, one row per (source, source_id).",
        ),
        AssetSpec(
            "raw_interactions",
            group_name=GROUP,
            description="Input interactions of known contacts.",
        ),
        AssetSpec(
            "quarantine",
            group_name=GROUP,
            description="Input rows that cannot be used, each with its reason.",
        ),
    ],
    # one partition per drop: the run reads that drop's files (EDIN_DROPS/<partition>)
    partitions_def=DROPS,
)
def raw_inputs(context: AssetExecutionContext, edin: EdinResource):  # noqa: ANN201
    meta = run_stage(context, edin, "ingest", rows="contacts")
    yield MaterializeResult(asset_key="raw_contacts", metadata=meta)
    yield MaterializeResult(
        asset_key="raw_interactions",
        metadata={"dagster/row_count": meta["interactions"], "drop": meta["drop"]},
    )
    yield MaterializeResult(
        asset_key="quarantine",
        metadata={
            "dagster/row_count": meta["quarantined"],
            "drop": meta["drop"],
            **{k: v for k, v in meta.items() if k.startswith("quarantined (")},
        },
    )


@asset(deps=["raw_contacts"], group_name=GROUP)
def normalized_contacts(context: AssetExecutionContext, edin: EdinResource) -> MaterializeResult:
    """Match keys of every contact (phones, e-mails, handles, name keys), hub values removed."""
    return MaterializeResult(metadata=run_stage(context, edin, "normalize", rows="contacts"))


@asset_check(
    asset="normalized_contacts",
    blocking=True,
    description="Exactly one normalized row per raw contact.",
)
def one_row_per_contact(edin: EdinResource) -> AssetCheckResult:
    raw, norm, distinct = warehouse_row(
        edin,
        "SELECT (SELECT count(*) FROM raw_contacts), count(*), "
        "count(DISTINCT (source, source_id)) FROM normalized_contacts",
    )
    return AssetCheckResult(
        passed=raw == norm == distinct,
        metadata={"raw": raw, "normalized": norm, "distinct": distinct},
    )
