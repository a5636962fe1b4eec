"""Tombstones: salted hashes of erased contacts and identifiers that ingest drops."""

from __future__ import annotations

import polars as pl
import pytest

from resolution.inputs.ingest import Ingested
from resolution.inputs.tombstones import (
    add_tombstones,
    drop_tombstoned,
    identifier_keys,
    lift_tombstones,
    query_key,
)

CONTACTS = pl.DataFrame(
    {
        "source": ["phone", "email", "telegram", "vk"],
        "source_id": ["1", "2", "3", "4"],
        "name": ["a", "b", "c", "d"],
        "email": [None, "Canary.ZZQ@Example.org", None, None],
        "phone": ["8 (999) 000-11-22", None, None, "+7 916 123-45-67"],
        "handle": [None, None, "canary_zzq", None],
    }
)


@pytest.mark.parametrize(
    ("kind", "value", "key"),
    [
        ("phone", "8 (999) 000-11-22", "phone:+79990001122"),
        ("phone", "+7 999 000 11 22", "phone:+79990001122"),
        ("email", "Canary.ZZQ@Example.org", "email:canary.zzq@example.org"),
        ("handle", "https://t.me/canary_zzq", "handle:tg:canary_zzq"),
        ("phone", "12", None),
        ("email", "not an e-mail", None),
    ],
)
def test_query_keys_are_spelled_like_the_contacts_keys(kind, value, key):
    assert query_key(kind, value) == key


def test_identifier_keys_read_every_identifier_column():
    keys = set(identifier_keys(CONTACTS)["key"].to_list())
    assert {
        "contact:phone:1",
        "phone:+79990001122",
        "email:canary.zzq@example.org",
        "handle:tg:canary_zzq",
    } <= keys


@pytest.mark.parametrize(
    ("tombstone", "dropped"),
    [
        ("phone:+79990001122", {"1"}),
        ("email:canary.zzq@example.org", {"2"}),
        ("handle:tg:canary_zzq", {"3"}),
        ("contact:vk:4", {"4"}),
        ("phone:+70000000000", set()),
    ],
)
def test_ingest_drops_what_a_tombstone_blocks_until_lifted(tmp_path, tombstone, dropped):
    interactions = CONTACTS.select("source", "source_id").with_columns(
        interaction_id=pl.col("source_id")
    )
    quarantine = pl.DataFrame(
        {"kind": ["interaction"], "source": [None], "source_id": [None]},
        schema={"kind": pl.String, "source": pl.String, "source_id": pl.String},
    )
    drop = Ingested(CONTACTS, interactions, quarantine, ())
    add_tombstones(tmp_path, [tombstone], "test")
    assert (tmp_path / "erase.key").stat().st_mode & 0o777 == 0o600
    assert tombstone.encode() not in (tmp_path / "tombstones.sqlite").read_bytes()
    kept, n = drop_tombstoned(drop, tmp_path)
    assert n == len(dropped)
    assert set(CONTACTS["source_id"]) - set(kept.contacts["source_id"]) == dropped
    assert set(CONTACTS["source_id"]) - set(kept.interactions["source_id"]) == dropped
    assert kept.quarantine.height == 1  # a row naming no contact stays
    assert lift_tombstones(tmp_path, [tombstone]) == 1
    assert drop_tombstoned(drop, tmp_path)[1] == 0
