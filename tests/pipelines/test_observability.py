"""Every asset reports its row count and key numbers as metadata the Dagster UI plots across
runs; the run is a partition of the drops it ingested."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, materialize

from pipelines.definitions import defs
from pipelines.partitions import add_drop
from pipelines.resources import EdinResource

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def test_every_asset_reports_its_row_count_and_key_numbers(tmp_path) -> None:
    edin = EdinResource(home=str(tmp_path / "home"), inputs=[str(SAMPLE)])
    assets = list(defs.assets or [])  # type: ignore[arg-type]
    checks = list(defs.asset_checks or [])  # type: ignore[arg-type]
    with DagsterInstance.ephemeral() as instance:
        drop = add_drop(instance, "2026-12-06")
        result = materialize(
            [*assets, *checks], resources={"edin": edin}, instance=instance, partition_key=drop
        )
        assert result.success
        meta = {
            e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
            for e in result.get_asset_materialization_events()
        }
        partitions = {
            e.asset_key.to_user_string(): e.partition
            for e in result.get_asset_materialization_events()
        }
        checks_passed = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    expected = {
        "raw_contacts", "raw_interactions", "quarantine", "normalized_contacts",
        "training_labels", "dedupe_model", "candidate_pairs", "scored_pairs", "clusters",
        "members", "profiles", "history", "id_map", "changes", "published_snapshot",
    }  # fmt: skip
    assert set(meta) == expected
    missing = sorted(k for k, m in meta.items() if "dagster/row_count" not in m)
    assert missing == []
    assert meta["raw_contacts"]["dagster/row_count"].value == 2498
    assert partitions["raw_contacts"] == "2026-12-06"  # the drop that made this snapshot
    assert meta["published_snapshot"]["drop"].value == "2026-12-06"
    assert meta["candidate_pairs"]["mode"].value == "full"
    assert meta["profiles"]["merge_rate"].value > 0
    assert meta["members"]["labelled_precision"].value == -1.0  # no labelled pair yet
    sizes = {k: m.value for k, m in meta["clusters"].items() if k.startswith("clusters_size_")}
    assert sum(sizes.values()) == meta["clusters"]["clusters"].value
    assert checks_passed["labelled_precision_floor"] is True
