"""When the graph runs on its own. Schedules start stopped: a data engineer turns them on.

Every run of the project carries the tag ``edin/home``: ``dagster.yaml`` queues runs so that
only one with that tag runs at a time (a second waits), and the home's lock file refuses a
second writer that bypasses the queue (``resolution.home.Home.lock``).
"""

from dagster import (
    Backoff,
    DefaultScheduleStatus,
    RetryPolicy,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from pipelines.partitions import add_drop

HOME_TAG = {"edin/home": "edin"}
# Transient failures (a full disk, a killed worker) are retried; every stage can run again
# (tables are replaced, a half-written snapshot folder is cleared), and current/ only moves at
# the end of a successful publish.
RETRIES = RetryPolicy(max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL)

resolve_all = define_asset_job(
    "resolve_all",
    description="Add the inputs to the home, resolve and publish.",
    tags=HOME_TAG,
    op_retry_policy=RETRIES,
)


def _day(context: ScheduleEvaluationContext) -> str:
    when = context.scheduled_execution_time
    return when.date().isoformat() if when is not None else "manual"


@schedule(
    job=resolve_all,
    cron_schedule="0 3 * * *",
    execution_timezone="Europe/Moscow",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every night at 03:00 Moscow time: the configured inputs, added as a drop "
    "(partition nightly-<date>), resolved incrementally.",
)
def nightly_resolve(context: ScheduleEvaluationContext) -> RunRequest:
    key = add_drop(context.instance, f"nightly-{_day(context)}")
    return RunRequest(partition_key=key, tags=HOME_TAG)


@schedule(
    name="weekly_full_recluster",
    job=resolve_all,
    cron_schedule="0 4 * * 0",
    execution_timezone="Europe/Moscow",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Sundays at 04:00 Moscow time: a fresh model and a full re-cluster (IDs stay).",
)
def weekly_full(context: ScheduleEvaluationContext) -> RunRequest:
    key = add_drop(context.instance, f"weekly-{_day(context)}")
    return RunRequest(
        partition_key=key,
        tags=HOME_TAG,
        run_config={"resources": {"edin": {"config": {"retrain": True}}}},
    )
