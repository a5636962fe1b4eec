"""When the graph runs on its own. Schedules start stopped: a data engineer turns them on."""

from dagster import DefaultScheduleStatus, ScheduleDefinition, define_asset_job

resolve_all = define_asset_job("resolve_all", description="Ingest, resolve and publish everything.")

nightly_resolve = ScheduleDefinition(
    job=resolve_all,
    cron_schedule="0 3 * * *",
    execution_timezone="Europe/Moscow",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Full re-resolution every night at 03:00 Moscow time.",
)
