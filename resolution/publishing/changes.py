"""The change feed: what happened to which profile in a run, for CRM syncs.

One event per change, derived from the ID assignment (``resolution.publishing.identity``) and a
comparison of the previous and the new snapshot:

- ``created`` (profile_id = the new profile): a new ID none of whose contacts was published.
- ``merged`` (profile_id = the survivor, other_id = the ID merged into it): a previously live
  ID now resolves to another.
- ``split`` (profile_id = the profile that lost contacts, other_id = the profile they went to,
  new or existing): contacts of a profile went to another profile.
- ``updated`` (profile_id): a profile live before and after whose members or golden record
  changed.
- ``erased`` (profile_id): a previously live ID none of whose contacts is left.

``contacts`` is the number of contacts concerned (moved, or the new profile's size).
``changes.parquet`` in every snapshot is cumulative: all events of all runs, numbered by ``seq``
in publishing order; ``events_since`` gives those after a run.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from resolution.contract import CHANGE_EVENTS, CHANGES, conform
from resolution.publishing.identity import Assignment

ORDER = {e: i for i, e in enumerate(CHANGE_EVENTS)}


def empty_changes() -> pl.DataFrame:
    return pl.DataFrame(schema=CHANGES)


def _row_hashes(profiles: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return profiles.select("profile_id", profiles.select(columns).hash_rows(seed=0).alias("h"))


def change_events(
    assignment: Assignment,
    prev_members: pl.DataFrame | None,
    prev_profiles: pl.DataFrame | None,
    members: pl.DataFrame,
    profiles: pl.DataFrame,
    published_rows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """This run's events (seq, run_id and at still null: ``stamp`` fills them when publishing).
    Within a run they are ordered by event kind (erased, merged, split, created, updated),
    then profile_id and other_id.

    The members are compared but for the profiles the assignment settled (their contacts are
    those published), and the golden records but for ``published_rows`` (profile_id: profiles
    whose row is the one ``prev_profiles`` holds, taken from it)."""
    events: list[tuple[str, str, str | None, int]] = []
    inflow: dict[str, int] = {}
    for from_id, to_id, n in assignment.flows.filter(
        pl.col("from_id") != pl.col("to_id")
    ).iter_rows():
        inflow[to_id] = inflow.get(to_id, 0) + n
        if assignment.merged_into.get(from_id) == to_id:
            events.append(("merged", to_id, from_id, n))
        else:
            events.append(("split", from_id, to_id, n))
    sizes = members.group_by("profile_id").len().with_columns(pl.col("len").cast(pl.Int64))
    created = (
        pl.DataFrame({"profile_id": assignment.new_ids}, schema={"profile_id": pl.String})
        .filter(~pl.col("profile_id").is_in(pl.Series(list(inflow), dtype=pl.String).implode()))
        .join(sizes, on="profile_id", how="left")
    )
    frames = [
        created.select(
            pl.lit("created").alias("event"),
            "profile_id",
            pl.lit(None, pl.String).alias("other_id"),
            pl.col("len").fill_null(0).alias("contacts"),
        )
    ]
    events.extend(("erased", pid, None, 0) for pid in assignment.erased)
    if prev_members is not None and prev_members.height:
        common = [
            c
            for c in profiles.columns
            if prev_profiles is not None and c in prev_profiles.columns and c != "profile_id"
        ]
        keys = ["profile_id", "source", "source_id"]
        # the profiles live before and after
        both = (
            members.select("profile_id")
            .unique()
            .join(prev_members.select("profile_id").unique(), on="profile_id")
        )
        # ... whose contacts changed (a contact gained or lost, compared as rows; a settled
        # profile's are the same on both sides)
        now, before = members.select(keys), prev_members.select(keys)
        if assignment.settled.height:
            now = now.join(assignment.settled, on="profile_id", how="anti")
            before = before.join(assignment.settled, on="profile_id", how="anti")
        moved = pl.concat(
            [
                now.join(before, on=keys, how="anti"),
                before.join(now, on=keys, how="anti"),
            ]
        ).select("profile_id")
        changed = both.join(moved.unique(), on="profile_id", how="semi")
        if prev_profiles is not None and common:
            # ... or whose golden record changed (a row taken from the snapshot has not)
            built, published = profiles, prev_profiles
            if published_rows is not None and published_rows.height:
                built = profiles.join(published_rows, on="profile_id", how="anti")
                published = prev_profiles.join(
                    built.select("profile_id"), on="profile_id", how="semi"
                )
            after = _row_hashes(built, common).join(both, on="profile_id", how="semi")
            before = _row_hashes(published, common)
            rewritten = after.join(before, on="profile_id", suffix="_prev").filter(
                pl.col("h") != pl.col("h_prev")
            )
            changed = pl.concat([changed, rewritten.select("profile_id")]).unique()
        frames.append(
            changed.select("profile_id")
            .join(sizes, on="profile_id", how="left")
            .select(
                pl.lit("updated").alias("event"),
                "profile_id",
                pl.lit(None, pl.String).alias("other_id"),
                pl.col("len").fill_null(0).alias("contacts"),
            )
        )
    schema = {
        "event": pl.String,
        "profile_id": pl.String,
        "other_id": pl.String,
        "contacts": pl.Int64,
    }
    out = (
        pl.concat([pl.DataFrame(events, schema=schema, orient="row"), *frames])
        .with_columns(pl.col("event").replace_strict(ORDER, return_dtype=pl.Int64).alias("_order"))
        .sort(["_order", "profile_id", pl.col("other_id").fill_null("")])
        .drop("_order")
    )
    return conform(
        out.with_columns(
            pl.lit(None, pl.Int64).alias("seq"),
            pl.lit(None, pl.String).alias("run_id"),
            pl.lit(None, pl.Datetime("us", "UTC")).alias("at"),
        ),
        CHANGES,
        "changes",
    )


def stamp(changes: pl.DataFrame, run_id: str, at: datetime) -> pl.DataFrame:
    """The cumulative feed with this run's events (those without a run ID) stamped: numbered on
    from the previous events, with the run's ID and time."""
    pending = pl.col("run_id").is_null()
    prev_max = changes["seq"].max()
    start = 0 if prev_max is None else int(prev_max) + 1  # type: ignore[arg-type]
    out = changes.with_columns(
        pl.when(pending)
        .then(pending.cast(pl.Int64).cum_sum() - 1 + start)
        .otherwise(pl.col("seq"))
        .alias("seq"),
        pl.when(pending)
        .then(pl.lit(at).cast(pl.Datetime("us", "UTC")))
        .otherwise(pl.col("at"))
        .alias("at"),
        pl.col("run_id").fill_null(run_id),
    )
    return conform(out.sort("seq"), CHANGES, "changes")


def events_since(changes: pl.DataFrame, since: str | None) -> pl.DataFrame:
    """Events published after run ``since`` (all of them when ``since`` is None).

    Run IDs start with their UTC time, so "after" is a string comparison; this also works for a
    run that produced no events or whose snapshot has since been deleted.
    """
    if since is None:
        return changes.sort("seq")
    return changes.filter(pl.col("run_id") > since).sort("seq")
