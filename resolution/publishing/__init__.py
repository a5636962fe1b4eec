"""Publishing: stable profile IDs, golden records and merged histories, the change feed, the
snapshot written and checked, ``HOME/current`` switched to it and read back, and exports."""

from typing import TYPE_CHECKING

from resolution._lazy import lazy_exports

# Imported on first use (resolution._lazy): the names below are the API.
if TYPE_CHECKING:
    from resolution.contract import KEPT_HOUSEHOLD, KEPT_NAMESAKES
    from resolution.publishing.changes import change_events, events_since
    from resolution.publishing.chart import RUN_CHART, run_chart
    from resolution.publishing.current import (
        Explainable,
        Published,
        read_explainable,
        read_published,
        require_published,
        switch_current,
    )
    from resolution.publishing.export import EXPORT_TABLES, export_tables, write_export
    from resolution.publishing.identity import assign_ids, profile_id
    from resolution.publishing.reasons import parse_record
    from resolution.publishing.snapshot import (
        SNAPSHOT_TABLES,
        STATE_TABLES,
        Snapshot,
        check_snapshot,
        new_run_id,
        write_database,
        write_snapshot,
    )

__all__ = [
    "KEPT_HOUSEHOLD",
    "KEPT_NAMESAKES",
    "RUN_CHART",
    "SNAPSHOT_TABLES",
    "STATE_TABLES",
    "run_chart",
    "EXPORT_TABLES",
    "Explainable",
    "Published",
    "Snapshot",
    "assign_ids",
    "change_events",
    "check_snapshot",
    "events_since",
    "export_tables",
    "new_run_id",
    "parse_record",
    "profile_id",
    "read_explainable",
    "read_published",
    "require_published",
    "switch_current",
    "write_database",
    "write_export",
    "write_snapshot",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
