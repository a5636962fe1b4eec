"""Unified profiles and the published snapshot."""

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
from pipelines.resources import EdinResource
from resolution import Home

GROUP = "publish"


@multi_asset(
    specs=[
        AssetSpec(
            "members",
            deps=["clusters"],
            group_name=GROUP,
            description="(profile_id, source, source_id): one row per contact.",
        ),
        AssetSpec(
            "profiles",
            deps=["clusters"],
            group_name=GROUP,
            description="One row per person: identifiers, activity, channels.",
        ),
        AssetSpec(
            "history",
            deps=["clusters", "raw_interactions"],
            group_name=GROUP,
            description="Every interaction of every member, with its profile_id.",
        ),
        AssetSpec(
            "id_map",
            deps=["clusters"],
            group_name=GROUP,
            description="Every profile ID ever published → the ID it resolves to now.",
        ),
        AssetSpec(
            "changes",
            deps=["clusters"],
            group_name=GROUP,
            description="The change feed: created, updated, merged, split, erased.",
        ),
    ],
)
def unified_profiles(context: AssetExecutionContext, edin: EdinResource):  # noqa: ANN201
    meta = run_stage(context, edin, "profiles", rows="profiles")
    yield MaterializeResult(
        asset_key="members",
        metadata={
            "dagster/row_count": meta["members"],
            **{k: v for k, v in meta.items() if k.startswith("labelled_")},
        },
    )
    yield MaterializeResult(asset_key="profiles", metadata=meta)
    yield MaterializeResult(
        asset_key="history", metadata={"dagster/row_count": meta["history"], "drop": meta["drop"]}
    )
    yield MaterializeResult(
        asset_key="id_map",
        metadata={"dagster/row_count": meta["id_map"], "previous_run": meta["previous_run"]},
    )
    yield MaterializeResult(
        asset_key="changes",
        metadata={
            "dagster/row_count": meta["changes"],
            **{k: v for k, v in meta.items() if k.startswith("events_")},
        },
    )


@asset_check(
    asset="members",
    blocking=True,
    description="Every input contact is in exactly one profile or in quarantine.",
)
def every_contact_accounted(edin: EdinResource) -> AssetCheckResult:
    inputs, members, distinct, quarantined = warehouse_row(
        edin,
        "SELECT (SELECT contacts FROM input_counts), count(*), "
        "count(DISTINCT (source, source_id)), "
        "(SELECT count(*) FROM quarantine WHERE kind = 'contact') FROM members",
    )
    return AssetCheckResult(
        passed=members == distinct and members + quarantined == inputs,
        metadata={"input_contacts": inputs, "members": members, "quarantined": quarantined},
    )


@asset_check(
    asset="members",
    blocking=True,
    description="Precision on operator-labelled pairs (decisions, label answers) is not below "
    "[resolution] min_labelled_precision; below it, the snapshot is not published.",
)
def labelled_precision_floor(edin: EdinResource) -> AssetCheckResult:
    pairs, merged, precision, floor, problem = warehouse_row(
        edin,
        "SELECT labelled_pairs, labelled_merged, labelled_precision, "
        "labelled_precision_floor, problem FROM labelled_precision",
    )
    return AssetCheckResult(
        passed=not problem,
        description=problem or None,
        metadata={
            "labelled_pairs": pairs,
            "labelled_merged": merged,
            "labelled_precision": precision,
            "floor": floor,
        },
    )


# It also reads the contacts and the scored pairs' reasons (to explain them), the model that
# scored them, and the input counts its checks compare against.
@asset(
    deps=[
        "members",
        "profiles",
        "history",
        "quarantine",
        "id_map",
        "changes",
        "normalized_contacts",
        "scored_pairs",
        "dedupe_model",
        "raw_contacts",
    ],
    group_name=GROUP,
)
def published_snapshot(context: AssetExecutionContext, edin: EdinResource) -> MaterializeResult:
    """HOME/snapshots/<run_id> (Parquet + read-only DuckDB), switched to HOME/current."""
    return MaterializeResult(metadata=run_stage(context, edin, "publish", rows="members"))


@asset_check(
    asset="published_snapshot", description="HOME/current points at a snapshot with all its files."
)
def current_is_complete(edin: EdinResource) -> AssetCheckResult:
    home = Home(edin.home_path)
    current = home.current
    files = [
        "members.parquet",
        "profiles.parquet",
        "history.parquet",
        "id_map.parquet",
        "changes.parquet",
        "profiles.duckdb",
    ]
    missing = [f for f in files if not (current / f).exists()]
    return AssetCheckResult(
        passed=not missing,
        metadata={"run_id": home.current_run_id() or "", "missing": ", ".join(missing) or "none"},
    )
