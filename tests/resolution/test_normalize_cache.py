"""The normalize cache: a run normalizes only new and changed contacts, and its table is the
one a full normalization makes, row for row."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
from polars.testing import assert_frame_equal

import resolution.inputs.cache as cache
from resolution.config import default_config
from resolution.inputs.normalize import normalize_contacts
from resolution.warehouse import connect
from tests.resolution.test_features import contacts


def _raw() -> pl.DataFrame:
    return contacts().with_columns(
        pl.lit("in.csv").alias("input_file"), pl.int_range(0, pl.len()).alias("input_row")
    )


def test_cached_normalization_equals_a_full_one(tmp_path) -> None:
    config = default_config()
    con = connect(tmp_path / "w.duckdb")
    first = _raw()
    got, normalized = cache.normalize_cached(con, first, config)
    assert normalized == first.height
    assert_frame_equal(got, normalize_contacts(first, config))

    # a drop: one contact changed, one new (sorting before the others), one gone; the rows
    # re-read from another file at other lines are the same contacts
    second = pl.concat(
        [
            first.filter(pl.col("source_id") != "6").with_columns(
                pl.when(pl.col("source_id") == "2")
                .then(pl.lit("Иван Петров"))
                .otherwise(pl.col("name"))
                .alias("name"),
                pl.lit("drop.csv").alias("input_file"),
            ),
            first.head(1).with_columns(
                pl.lit("avito").alias("source"), pl.lit("0").alias("source_id")
            ),
        ]
    )
    got, normalized = cache.normalize_cached(con, second, config)
    assert normalized == 2
    assert_frame_equal(got, normalize_contacts(second, config))
    # the cache holds exactly the home's contacts now
    assert con.execute(f"SELECT count(*) FROM {cache.CACHE}").fetchall() == [(second.height,)]

    # nothing new: nothing normalized, the same table
    got, normalized = cache.normalize_cached(con, second, config)
    assert normalized == 0
    assert_frame_equal(got, normalize_contacts(second, config))


def test_another_basis_normalizes_everything_again(tmp_path) -> None:
    config = default_config()
    con = connect(tmp_path / "w.duckdb")
    raw = _raw()
    cache.normalize_cached(con, raw, config)
    other = replace(config, resolution=replace(config.resolution, default_region="KZ"))
    assert cache.basis(other) != cache.basis(config)
    got, normalized = cache.normalize_cached(con, raw, other)
    assert normalized == raw.height
    assert_frame_equal(got, normalize_contacts(raw, other))
