"""Running the Dagster asset graph in process for the CLI, and summarising the run."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import (
    DagsterEventType,
    DagsterExecutionStepExecutionError,
    DagsterInstance,
    materialize,
)
from dagster._core.errors import DagsterAssetCheckFailedError

from pipelines.definitions import defs
from pipelines.partitions import add_drop, drop_partition
from pipelines.resources import EdinResource
from resolution import Home, PublishError

# Dagster's own per-event console logging is noise on a terminal; the stages report progress.
# (errors too: the CLI prints the stage's own message, or the traceback of an unexpected one).
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunSummary:
    home: Path
    seconds: float
    peak_rss_mb: float
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def stage_value(self, stage: str, key: str, default: Any = 0) -> Any:
        return self.stages.get(stage, {}).get(key, default)

    def unreadable(self) -> int:
        """Values kept raw and flagged (unreadable times and ratings, Excel-mangled phones…)."""
        return sum(
            int(v)
            for stage in ("ingest", "normalize")
            for k, v in self.stages.get(stage, {}).items()
            if k.startswith(("unreadable_", "flagged_", "capped_"))
            and k != "flagged_created_at_unreadable"
        )

    def render(self) -> str:
        s = self.stage_value
        lines = [
            "",
            "edin run finished",
            f"  contacts in      {s('ingest', 'input_contacts'):>10,}",
            f"  quarantined      {s('ingest', 'quarantined'):>10,}   (rows with a reason: "
            "quarantine.parquet)",
            f"  unreadable       {self.unreadable():>10,}   (values kept raw and flagged; rows "
            f"that did not fit the header: {s('ingest', 'broken_rows')})",
            f"  interactions     {s('ingest', 'interactions'):>10,}",
            f"  profiles out     {s('profiles', 'profiles'):>10,}",
            f"  merged profiles  {s('profiles', 'merged_profiles'):>10,}   "
            f"(largest: {s('cluster', 'largest')} contacts; held for review: "
            f"{s('cluster', 'review')})",
            f"  hub values       {s('normalize', 'hub_values'):>10,}   (shared by too many people "
            "to count as evidence)",
            "",
            "  time per stage",
        ]
        for stage, meta in self.stages.items():
            lines.append(f"    {stage:<10} {meta.get('seconds', 0):>8.1f} s")
        lines += [
            f"    {'total':<10} {self.seconds:>8.1f} s   peak memory {self.peak_rss_mb:,.0f} MB",
            "",
            f"  outputs          {Home(self.home).current}/",
            "                   members.parquet profiles.parquet history.parquet "
            "quarantine.parquet profiles.duckdb",
            f"  model            {Home(self.home).model_file}",
            "  Dagster UI       make dagster   (then open http://127.0.0.1:3000)",
        ]
        return "\n".join(lines)


def cli_drop(inputs: list[str]) -> str:
    """The drop partition of a CLI run: ``cli-`` and the names of its input files or folders."""
    return drop_partition("cli-" + "+".join(Path(p).name for p in inputs))


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", getattr(value, "path", value))


def run_pipeline(edin: EdinResource) -> RunSummary:
    """Materialize every asset (and run its checks) in this process; raise on any failure."""
    started = time.perf_counter()
    assets = list(defs.assets or [])  # type: ignore[arg-type]
    checks = list(defs.asset_checks or [])  # type: ignore[arg-type]
    with DagsterInstance.ephemeral() as instance:
        # the inputs are a drop: a partition of the ingest assets, named after the inputs
        drop = add_drop(instance, cli_drop(edin.inputs))
        try:
            result = materialize(
                [*assets, *checks],
                resources={"edin": edin},
                instance=instance,
                partition_key=drop,
                run_config=QUIET,
                raise_on_error=True,
            )
        except DagsterAssetCheckFailedError:
            # a blocking check stopped the run before publishing: say which, and why
            published = Home(edin.home_path).current_run_id()
            raise check_failure(failed_checks(instance), published) from None
        except DagsterExecutionStepExecutionError as exc:
            # Show the stage's own error (it says what to fix), not Dagster's wrapper.
            if exc.user_exception is not None:
                raise exc.user_exception from None
            raise
    summary = RunSummary(
        home=edin.home_path,
        seconds=round(time.perf_counter() - started, 1),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    for event in result.get_asset_materialization_events():
        meta = event.step_materialization_data.materialization.metadata
        if "stage" in meta:  # the asset a stage wrote its whole metadata to
            values = {k: _metadata_value(v) for k, v in meta.items()}
            summary.stages[values.pop("stage")] = values
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed:
        raise check_failure(failed, published=Home(edin.home_path).current_run_id())
    return summary


def failed_checks(instance: DagsterInstance) -> list[Any]:
    """The failed check evaluations of the instance's latest run."""
    runs = instance.get_runs(limit=1)
    if not runs:
        return []
    logs = instance.all_logs(runs[0].run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluations = [e.dagster_event.asset_check_evaluation_data for e in logs if e.dagster_event]
    return [e for e in evaluations if not e.passed]


def check_failure(failed: list[Any], published: str | None) -> PublishError:
    """The failed asset checks as the CLI says them: each check's reason, and whether
    ``current/`` moved (a blocking check stops the publish; the others run after it)."""
    why = "; ".join(f"{e.check_name}: {e.description or 'failed'}" for e in failed)
    if all(e.blocking for e in failed):
        where = f"current/ left unchanged ({published or 'nothing published'})"
    else:
        where = f"current/ is {published}"
    return PublishError(f"asset check(s) failed, {where}: {why}")
