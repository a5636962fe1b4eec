"""Learning and applying the match model: labels, model, blocking, scoring, clustering."""

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    MaterializeResult,
    asset,
    asset_check,
)

from pipelines.assets._stage import run_stage, warehouse_row
from pipelines.resources import EdinResource

GROUP = "resolve"


@asset(deps=["normalized_contacts"], group_name=GROUP)
def training_labels(context: AssetExecutionContext, edin: EdinResource) -> MaterializeResult:
    """Cold-start seed labels from strong evidence, plus labelled pairs from a file."""
    meta = run_stage(context, edin, "labels")
    meta["dagster/row_count"] = meta["match"] + meta["distinct"] + meta["unsure"]
    return MaterializeResult(metadata=meta)


@asset(deps=["normalized_contacts", "training_labels"], group_name=GROUP)
def dedupe_model(context: AssetExecutionContext, edin: EdinResource) -> MaterializeResult:
    """The trained dedupe model (HOME/model/model.json + training.json)."""
    meta = run_stage(context, edin, "train")
    # the model's rows: the training pairs it was fitted on
    meta["dagster/row_count"] = meta.get("match_examples", 0) + meta.get("distinct_examples", 0)
    return MaterializeResult(metadata=meta)


@asset(deps=["dedupe_model"], group_name=GROUP)
def candidate_pairs(context: AssetExecutionContext, edin: EdinResource) -> MaterializeResult:
    """Distinct pairs of contacts sharing a block of the model's fingerprinter."""
    return MaterializeResult(metadata=run_stage(context, edin, "block", rows="candidate_pairs"))


@asset(deps=["candidate_pairs"], group_name=GROUP)
def scored_pairs(context: AssetExecutionContext, edin: EdinResource) -> MaterializeResult:
    """Match probability of each candidate pair."""
    return MaterializeResult(metadata=run_stage(context, edin, "score", rows="scored_pairs"))


@asset(deps=["scored_pairs"], group_name=GROUP)
def clusters(context: AssetExecutionContext, edin: EdinResource) -> MaterializeResult:
    """Every contact in exactly one cluster; oversized clusters held for review."""
    meta = run_stage(context, edin, "cluster")
    meta["dagster/row_count"] = meta["reclustered_contacts"] + meta["kept_contacts"]
    return MaterializeResult(metadata=meta)


@asset_check(
    asset="clusters",
    blocking=True,
    description="Every normalized contact is in exactly one cluster.",
)
def every_contact_clustered(edin: EdinResource) -> AssetCheckResult:
    contacts, rows, distinct = warehouse_row(
        edin,
        "SELECT (SELECT count(*) FROM normalized_contacts), count(*), "
        "count(DISTINCT record_id) FROM clusters",
    )
    return AssetCheckResult(
        passed=contacts == rows == distinct,
        metadata={"contacts": contacts, "rows": rows, "distinct": distinct},
    )


@asset_check(
    asset="scored_pairs",
    blocking=True,
    description="Every scored pair has its per-field reasons (for `edin explain`).",
)
def every_pair_explained(edin: EdinResource) -> AssetCheckResult:
    scored, explained, missing = warehouse_row(
        edin,
        "SELECT (SELECT count(*) FROM scored_pairs), count(*), "
        "(SELECT count(*) FROM scored_pairs s ANTI JOIN scored_pair_reasons r "
        "USING (record_id_l, record_id_r)) FROM scored_pair_reasons",
    )
    return AssetCheckResult(
        passed=scored == explained and missing == 0,
        metadata={"scored": scored, "explained": explained, "missing": missing},
    )
