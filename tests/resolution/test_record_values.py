"""A record_frame's columns as the values its records hold: the fast conversion of set fields
gives what a row-by-row conversion gives."""

from __future__ import annotations

import polars as pl
import pytest

from resolution.matching.fields import CONTACT_FIELDS, _record_value, _record_values

SETS = [
    [["+79164821537"], [], None, ["a", "b"], [None, "x"], ["c"], None, []],
    [None, None],
    [[], []],
    [["only"]],
    [],
]


@pytest.mark.parametrize("values", SETS)
@pytest.mark.parametrize("sliced", [False, True])
def test_a_set_column_becomes_the_tuples_each_row_makes(values, sliced):
    col = pl.Series("phones", values, dtype=pl.List(pl.String))
    if sliced and len(values) > 2:  # a view into a longer column: offsets not from 0
        col = col.slice(1, len(values) - 2)
    spec = next(s for s in CONTACT_FIELDS if s.name == "phones")
    assert _record_values(col, spec) == [_record_value(v, spec) for v in col.to_list()]


def test_a_set_column_of_several_chunks():
    spec = next(s for s in CONTACT_FIELDS if s.name == "phones")
    a = pl.Series("phones", [["1"], [], None], dtype=pl.List(pl.String))
    b = pl.Series("phones", [["2", "3"], None, ["4"]], dtype=pl.List(pl.String))
    col = a.append(b)
    assert col.n_chunks() == 2
    assert _record_values(col, spec) == [("1",), None, None, ("2", "3"), None, ("4",)]
