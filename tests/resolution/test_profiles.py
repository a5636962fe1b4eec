"""Golden record (rule per field, with provenance) and helpdesk statistics of a profile."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from resolution.config import ProfileSettings, parse_config
from resolution.errors import ConfigError
from resolution.publishing.profiles import build_history, build_profiles, golden_field


def at(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


# One person, four contacts: two say "Иван Иванов" (vk, oldest ones), the newest telegram one
# says "Ваня", the crm one (middle) "Иван Петрович Иванов".
CONTACTS = pl.DataFrame(
    [
        (0, "vk", "1", "Иван Иванов", "москва", at(1)),
        (1, "vk", "2", "Иван Иванов", None, at(2)),
        (2, "crm", "7", "Иван Петрович Иванов", "тула", at(3)),
        (3, "telegram", "5", "Ваня", "казань", at(4)),
    ],
    schema={
        "record_id": pl.Int64,
        "source": pl.String,
        "source_id": pl.String,
        "display_name": pl.String,
        "city_key": pl.String,
        "created_at": pl.Datetime("us", "UTC"),
    },
    orient="row",
).with_columns(pl.lit("p1").alias("profile_id"))


@pytest.mark.parametrize(
    ("rule", "priority", "value", "contact"),
    [
        ("most_frequent", (), "Иван Иванов", ("vk", "2")),  # the more recent of the two
        ("most_recent", (), "Ваня", ("telegram", "5")),
        ("source_priority", ("crm", "vk"), "Иван Петрович Иванов", ("crm", "7")),
        ("source_priority", ("vk",), "Иван Иванов", ("vk", "2")),
        ("source_priority", ("email",), "Ваня", ("telegram", "5")),  # none listed: most recent
    ],
)
def test_golden_name_rules_with_provenance(rule, priority, value, contact):
    got = golden_field(CONTACTS, "display_name", rule, priority)
    assert got.row(0) == ("p1", value, *contact)


def test_nulls_never_win():
    got = golden_field(CONTACTS, "city_key", "most_recent")
    assert got.row(0) == ("p1", "казань", "telegram", "5")
    got = golden_field(CONTACTS.filter(pl.col("source") == "vk"), "city_key", "most_recent")
    assert got.row(0) == ("p1", "москва", "vk", "1")


def test_profile_carries_provenance_and_statistics():
    contacts = CONTACTS.drop("profile_id").with_columns(
        pl.lit([], pl.List(pl.String)).alias(c)
        for c in ("emails_display", "phones_display", "handles_display")
    )
    members = CONTACTS.select("profile_id", "source", "source_id", pl.lit(1.0).alias("confidence"))
    clusters = CONTACTS.select(
        "record_id",
        pl.lit(0).alias("cluster_id"),
        pl.lit(1.0).alias("confidence"),
        pl.lit("clustered").alias("status"),
    )
    interactions = pl.DataFrame(
        [
            ("vk", "1", "i1", at(5), "message", "Оплата", "good", "Ира"),
            ("vk", "2", "i2", at(6), "message", "Доставка", "bad", "Ира"),
            ("telegram", "5", "i3", at(7), "message", "Возврат", "bad", None),
            ("crm", "7", "i4", at(8), "call", "Возврат", None, "Олег"),
        ],
        schema=[
            "source",
            "source_id",
            "interaction_id",
            "started_ts",
            "channel",
            "subject",
            "rating",
            "operator",
        ],
        orient="row",
    )
    history = build_history(interactions, members)
    settings = ProfileSettings(name="source_priority", city="most_recent", source_priority=("crm",))
    row = build_profiles(contacts, members, clusters, history, settings).row(0, named=True)
    assert (row["display_name"], row["name_source"], row["name_source_id"]) == (
        "Иван Петрович Иванов",
        "crm",
        "7",
    )
    assert (row["city"], row["city_source"], row["city_source_id"]) == ("Казань", "telegram", "5")
    assert (row["csat_good"], row["csat_neutral"], row["csat_bad"]) == (1, 0, 2)
    assert row["bad_share"] == pytest.approx(2 / 3)
    assert row["interactions"] == 4 and row["preferred_channel"] == "vk"
    assert row["first_seen"] == at(1) and row["last_seen"] == at(8)
    assert row["channels"] == ["crm", "telegram", "vk"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "oldest"}, "expected one of"),
        ({"name": "source_priority"}, "lists no sources"),
        ({"phone": "most_recent"}, "unknown [profile] key"),
    ],
)
def test_profile_config_errors_say_what_to_fix(raw, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        parse_config({"profile": raw})
