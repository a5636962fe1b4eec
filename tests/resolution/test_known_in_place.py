"""A drop added in place to the warehouse's raw tables (``known.add_drop``) gives the tables
``known.merge_drop`` gives, read in key order; a drop whose columns do not fit is refused."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from resolution.inputs.ingest import Ingested
from resolution.inputs.known import (
    CONTACT_ORDER,
    INTERACTION_ORDER,
    Known,
    add_drop,
    drop_fits,
    merge_drop,
)
from resolution.warehouse import write_table


def _contacts(rows: list[tuple[str, str, str | None]], extra: bool = True) -> pl.DataFrame:
    df = pl.DataFrame(
        {
            "source": [r[0] for r in rows],
            "source_id": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "input_row": list(range(len(rows))),
        },
        schema={
            "source": pl.String,
            "source_id": pl.String,
            "name": pl.String,
            "input_row": pl.Int64,
        },
    )
    return df.with_columns(pl.lit("x", pl.String).alias("f_extra")) if extra else df


def _interactions(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["source", "source_id", "interaction_id", "subject"], orient="row"
    )


QUARANTINE = pl.DataFrame(
    {"kind": ["contact"], "input_file": ["a.csv"], "input_row": [3], "reason": ["broken"]}
)
KNOWN = Known(
    contacts=_contacts([("tg", "1", "Ivan"), ("vk", "2", "Anna"), ("vk", "9", "Oleg")]),
    interactions=_interactions(
        [("tg", "1", "i1", "a"), ("vk", "2", "i2", "b"), ("vk", "9", "i3", "c")]
    ),
    quarantine=QUARANTINE,
)


def _drop(contacts: pl.DataFrame, interactions: pl.DataFrame) -> Ingested:
    return Ingested(contacts, interactions, QUARANTINE.clear(), files=("drop",))


DROPS = {
    # a known contact sent again (changed name), a new one between known keys, an interaction
    # sent again (changed) and a new one
    "replace and add": _drop(
        _contacts([("vk", "2", "Анна"), ("ok", "5", "Petr")]),
        _interactions([("vk", "2", "i2", "B"), ("ok", "5", "i9", "d")]),
    ),
    # the drop lacks an optional column: null, as merge_drop's diagonal concat makes it
    "without a column": _drop(
        _contacts([("aa", "1", None)], extra=False),
        _interactions([]).cast(pl.String),
    ),
    "empty": _drop(_contacts([]), _interactions([]).cast(pl.String)),
}


@pytest.mark.parametrize("name", DROPS)
def test_a_drop_added_in_place_equals_the_merge(name: str) -> None:
    drop = DROPS[name]
    con = duckdb.connect()
    write_table(con, "raw_contacts", KNOWN.contacts)
    write_table(con, "raw_interactions", KNOWN.interactions)
    write_table(con, "quarantine", KNOWN.quarantine)
    assert drop_fits(con, drop)
    added = add_drop(con, drop)
    merged = merge_drop(KNOWN, drop)
    contacts = con.sql(f"SELECT * FROM raw_contacts ORDER BY {', '.join(CONTACT_ORDER)}").pl()
    interactions = con.sql(
        f"SELECT * FROM raw_interactions ORDER BY {', '.join(INTERACTION_ORDER)}"
    ).pl()
    assert_frame_equal(contacts, merged.known.contacts)
    assert_frame_equal(interactions, merged.known.interactions)
    assert_frame_equal(added.quarantine, merged.known.quarantine)
    assert (added.contacts, added.interactions, added.new, added.replaced) == (
        merged.known.contacts.height,
        merged.known.interactions.height,
        merged.new,
        merged.replaced,
    )


def test_a_drop_with_a_column_the_home_lacks_or_of_another_type_does_not_fit() -> None:
    con = duckdb.connect()
    write_table(con, "raw_contacts", KNOWN.contacts)
    write_table(con, "raw_interactions", KNOWN.interactions)
    new_column = _contacts([("vk", "3", "Ivan")]).with_columns(pl.lit(1).alias("f_new"))
    other_type = _contacts([("vk", "3", "Ivan")]).with_columns(pl.col("input_row").cast(pl.String))
    for contacts in (new_column, other_type):
        assert not drop_fits(con, _drop(contacts, KNOWN.interactions.clear()))
