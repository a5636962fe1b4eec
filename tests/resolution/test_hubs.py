"""Hub identifiers: shared by more distinct people than allowed, they stop being evidence."""

from __future__ import annotations

import polars as pl
import pytest

from resolution.config import default_config
from resolution.inputs.hubs import drop_hubs, find_hubs
from resolution.matching.fields import field_specs, hub_columns

HUB_COLUMNS = hub_columns(field_specs(default_config()))


def contacts(rows: list[tuple[str | None, list[str]]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "name_key": [r[0] for r in rows],
            "phones": [r[1] for r in rows],
            "emails": [[] for _ in rows],
            "handles": [[] for _ in rows],
            "nicknames": [[] for _ in rows],
            "flags": [[] for _ in rows],
        },
        schema_overrides={
            c: pl.List(pl.String) for c in ("phones", "emails", "handles", "nicknames", "flags")
        },
    )


@pytest.mark.parametrize(
    ("people", "contacts_without_name", "max_people", "is_hub"),
    [
        (3, 0, 10, False),  # a family phone
        (10, 0, 10, False),  # exactly at the cap
        (11, 0, 10, True),  # a call-centre number
        (1, 20, 10, False),  # one person calling 21 times without a name
        (0, 51, 10, True),  # 51 nameless contacts on one number: max_people * 5 exceeded
    ],
)
def test_hub_by_distinct_people(people, contacts_without_name, max_people, is_hub):
    rows = [(f"person {i}", ["+78005553535"]) for i in range(people)]
    rows += [(None, ["+78005553535"])] * contacts_without_name
    rows += [("ivan ivanov", ["+79161234567"])]
    hubs = find_hubs(contacts(rows), max_people, HUB_COLUMNS)
    assert ("+78005553535" in hubs["value"].to_list()) is is_hub
    assert "+79161234567" not in hubs["value"].to_list()


def test_drop_hubs_removes_value_and_flags_contact():
    df = contacts([(f"p{i}", ["+78005553535", f"+7916000000{i}"]) for i in range(12)])
    out = drop_hubs(df, find_hubs(df, 10, HUB_COLUMNS))
    assert out["phones"][0].to_list() == ["+79160000000"]
    assert "phones:hub" in out["flags"][0].to_list()
