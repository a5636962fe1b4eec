"""The data contracts: input columns and the schema of every table passed between stages.

A stage validates its output against the schema here before handing it on, so a contract
break fails where it happens, with the table and the column named.
"""

from __future__ import annotations

import polars as pl

from resolution.errors import ContractError

CONTACT_COLUMNS = ("source", "source_id", "name", "email", "phone", "handle", "city", "created_at")
INTERACTION_COLUMNS = (
    "source",
    "source_id",
    "interaction_id",
    "started_at",
    "channel",
    "subject",
    "rating",
    "operator",
)
REQUIRED_CONTACT_COLUMNS = ("source", "source_id")
REQUIRED_INTERACTION_COLUMNS = ("source", "source_id", "interaction_id")
RATINGS = ("good", "neutral", "bad")
# A labelled-pairs file (the operator's answers, `--labels`): a pair by contact key, and its label.
LABEL_COLUMNS = ("source_l", "source_id_l", "source_r", "source_id_r", "label")

Schema = dict[str, pl.DataType]

QUARANTINE: Schema = {
    "kind": pl.String(),
    "source": pl.String(),
    "source_id": pl.String(),
    "input_file": pl.String(),
    "input_row": pl.Int64(),
    "reason": pl.String(),
    "payload": pl.String(),
}
STR_LIST = pl.List(pl.String())
NORMALIZED_CONTACTS: Schema = {
    "record_id": pl.Int64(),
    "source": pl.String(),
    "source_id": pl.String(),
    "display_name": pl.String(),
    "name_key": pl.String(),
    "given_key": pl.String(),
    "surname_key": pl.String(),
    "phones": STR_LIST,
    "emails": STR_LIST,
    "handles": STR_LIST,
    "nicknames": STR_LIST,
    "email_local": pl.String(),
    "city": pl.String(),
    "city_key": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
    "flags": STR_LIST,
    # display values (not match keys) for the published profile
    "phones_display": STR_LIST,
    "emails_display": STR_LIST,
    "handles_display": STR_LIST,
}
SCORED_PAIRS: Schema = {
    "record_id_l": pl.Int64(),
    "record_id_r": pl.Int64(),
    "score": pl.Float64(),
}
# Why each scored pair scored what it did (resolution.matching.explanation): the SCORED_PAIRS
# columns, then one Float32 column per field of the model, named REASON_PREFIX + field, holding that
# field's contribution to the pair's logit (positive: agreed, negative: disagreed, 0: missing).
# The contributions plus the model's bias add up to the logit of ``score``.
REASON_PREFIX = "w_"
SCORED_PAIR_REASONS: Schema = dict(SCORED_PAIRS)
# The published form (HOME/current/pair_reasons.parquet): contacts by key instead of record id,
# then score and the REASON_PREFIX columns as above.
PAIR_REASONS: Schema = {
    "source_l": pl.String(),
    "source_id_l": pl.String(),
    "source_r": pl.String(),
    "source_id_r": pl.String(),
    "score": pl.Float64(),
}
# The scored pairs whose edge a rule of the cluster stage dropped before clustering (warehouse
# table ``kept_apart``; published keyed by contact as HOME/current/kept_apart.parquet), so that
# `edin explain` and the review app can say why a pair scoring above the threshold is apart.
# ``rule``: KEPT_HOUSEHOLD (resolution.linking.households: they share only phone lines several
# people bear) or KEPT_NAMESAKES (resolution.linking.mailboxes: an equal e-mail local part on two
# mailboxes and a common name). ``why``: the household rule's reason (households.HELD_WHY:
# given_names, initials, unnamed), null for the namesakes' rule. ``bearers``: the fewest people
# bearing one of the shared phone lines / the contacts bearing the commoner of the two names.
# ``shared``: how many phone lines the pair shares (null for the namesakes' rule).
KEPT_HOUSEHOLD = "household"
KEPT_NAMESAKES = "namesake_mailbox"
_KEPT_APART_COLUMNS: Schema = {
    "rule": pl.String(),
    "why": pl.String(),
    "bearers": pl.Int64(),
    "shared": pl.Int64(),
}
KEPT_APART: Schema = {
    "record_id_l": pl.Int64(),
    "record_id_r": pl.Int64(),
    **_KEPT_APART_COLUMNS,
}
PUBLISHED_KEPT_APART: Schema = {
    "source_l": pl.String(),
    "source_id_l": pl.String(),
    "source_r": pl.String(),
    "source_id_r": pl.String(),
    **_KEPT_APART_COLUMNS,
}
# One row per published contact (HOME/current/contacts.parquet): what `edin explain` and
# `edin label` show side by side, the normalizer's flags (hub values) and the record the model
# compared, as JSON, so a pair can be re-scored from the snapshot alone.
SNAPSHOT_CONTACTS: Schema = {
    "source": pl.String(),
    "source_id": pl.String(),
    "display_name": pl.String(),
    "phones": STR_LIST,
    "emails": STR_LIST,
    "handles": STR_LIST,
    "city": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
    "flags": STR_LIST,
    "match_record": pl.String(),
}
CLUSTERS: Schema = {
    "record_id": pl.Int64(),
    "cluster_id": pl.Int64(),
    "confidence": pl.Float64(),
    "status": pl.String(),
}
MEMBERS: Schema = {
    "profile_id": pl.String(),
    "source": pl.String(),
    "source_id": pl.String(),
    "confidence": pl.Float64(),
}
PROFILES: Schema = {
    "profile_id": pl.String(),
    "display_name": pl.String(),
    # provenance of the golden fields: the contact each value was taken from
    "name_source": pl.String(),
    "name_source_id": pl.String(),
    "emails": STR_LIST,
    "phones": STR_LIST,
    "handles": STR_LIST,
    "city": pl.String(),
    "city_source": pl.String(),
    "city_source_id": pl.String(),
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
    "contacts": pl.Int64(),
    "interactions": pl.Int64(),
    "channels": STR_LIST,
    "preferred_channel": pl.String(),
    "csat_good": pl.Int64(),
    "csat_neutral": pl.Int64(),
    "csat_bad": pl.Int64(),
    "bad_share": pl.Float64(),
    "status": pl.String(),
}
HISTORY: Schema = {
    "profile_id": pl.String(),
    "source": pl.String(),
    "source_id": pl.String(),
    "interaction_id": pl.String(),
    "started_at": pl.Datetime("us", "UTC"),
    "channel": pl.String(),
    "subject": pl.String(),
    "rating": pl.String(),
    "operator": pl.String(),
}

# Every profile ID ever published → the ID it resolves to now (null once erased).
ID_MAP: Schema = {
    "profile_id": pl.String(),
    "current_id": pl.String(),
    "status": pl.String(),
    "first_run_id": pl.String(),
    "run_id": pl.String(),
}
# The change feed, cumulative: one row per event, numbered in publishing order.
CHANGE_EVENTS = ("erased", "merged", "split", "created", "updated")
CHANGES: Schema = {
    "seq": pl.Int64(),
    "run_id": pl.String(),
    "at": pl.Datetime("us", "UTC"),
    "event": pl.String(),
    "profile_id": pl.String(),
    "other_id": pl.String(),
    "contacts": pl.Int64(),
}


def conform_reasons(df: pl.DataFrame, base: Schema, table: str) -> pl.DataFrame:
    """``conform`` for a reasons table: the base columns, then every REASON_PREFIX column
    (in the frame's order) as Float32."""
    reasons = [c for c in df.columns if c.startswith(REASON_PREFIX)]
    if not reasons:
        raise ContractError(f"table `{table}` has no {REASON_PREFIX}* contribution columns")
    head = conform(df, base, table)
    return pl.concat([head, df.select(pl.col(reasons).cast(pl.Float32))], how="horizontal")


def conform(df: pl.DataFrame, schema: Schema, table: str) -> pl.DataFrame:
    """``df`` with exactly the schema's columns in order; raises if one is missing or mistyped."""
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ContractError(f"table `{table}` lacks column(s) {missing}")
    out = df.select(list(schema))
    wrong = [
        f"{c}: {out.schema[c]} (expected {t})"
        for c, t in schema.items()
        if out.schema[c] not in (t, pl.Null())
    ]
    if wrong:
        raise ContractError(f"table `{table}` has mistyped column(s): {'; '.join(wrong)}")
    return out.cast(schema)  # type: ignore[arg-type]
