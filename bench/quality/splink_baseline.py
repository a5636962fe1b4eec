"""Splink 5 (DuckDB) configured as its documentation does for each data set.

    python bench/quality/splink_baseline.py DATASET RECORDS OUT

Unsupervised, as in Splink's tutorials: ``estimate_probability_two_random_records_match`` from
deterministic rules with a guessed recall, ``estimate_u_using_random_sampling``, two
``estimate_parameters_using_expectation_maximisation`` sessions whose blocking rules together
leave every comparison estimated, ``predict`` and ``cluster_pairwise_predictions_at_threshold``.

Sources of each configuration (Splink repository, docs/demos/):

* febrl3: ``examples/duckdb/febrl3`` as published (comparisons, blocking rules, deterministic
  rules with recall 0.9, u from 1e6 pairs with seed 2, EM on date of birth then postcode).
* fake_20000: the tutorial's model for ``fake_1000`` (the same generator):
  ``tutorials/04_Estimating_model_parameters`` (comparisons, deterministic rules at recall 0.7,
  EM on first name + surname then dob) with the blocking rules of ``tutorials/03_Blocking``;
  fake_20000_noemail: the same without the e-mail column.
* generated: the person pattern of ``examples/duckdb/deduplicate_50k_synthetic``
  (``ForenameSurnameComparison`` with a concatenated-name column for term frequencies, recall
  0.6, u from 1e7 pairs), with ``EmailComparison`` and term-frequency-adjusted exact matches for
  phone, handle and city, which is how the tutorials treat such columns.

Clusters are written at :data:`THRESHOLDS` (OUT: source, source_id, threshold, cluster_id); the
documented one is :data:`DOCUMENTED_THRESHOLD` (the 50k persons example and the README's
quickstart cluster at 0.95). The others exist only so the report can show a threshold picked
with the truth, labelled as such.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import ColumnExpression, DuckDBAPI, Linker, SettingsCreator, block_on

PREDICT_THRESHOLD = 0.2  # keep every pair a cluster threshold below might use
DOCUMENTED_THRESHOLD = 0.95
THRESHOLDS = (0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
SEED = 2


def _febrl3(ssn: bool = True) -> dict[str, Any]:
    """The FEBRL3 demo's model; ``ssn=False``: the same without soc_sec_id (its comparison,
    blocking rule and deterministic rule), for the identifier-free FEBRL sets."""
    blocking = [
        *([block_on("soc_sec_id")] if ssn else []),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    return {
        "settings": SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=blocking,
            comparisons=[
                cl.NameComparison("given_name"),
                cl.NameComparison("surname"),
                cl.DateOfBirthComparison(
                    "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
                ),
                *([cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2])] if ssn else []),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            ],
        ),
        "deterministic": [
            *([block_on("soc_sec_id")] if ssn else []),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ],
        "recall": 0.9,
        "u_pairs": 1e6,
        "em": [block_on("date_of_birth"), block_on("postcode")],
        "em_without_tf": False,
        "sql": "SELECT * FROM records",
    }


def _fake_20000(email: bool = True) -> dict[str, Any]:
    """The tutorial's model; ``email=False``: the same without the e-mail column (its
    comparison, blocking rule and deterministic rule), for the identifier-free variant."""
    blocking = [
        block_on("substr(first_name, 1,1)", "surname"),
        block_on("surname"),
        *([block_on("email")] if email else []),
        block_on("city", "first_name"),
        "l.first_name = r.first_name and levenshtein(l.surname, r.surname) < 2",
    ]
    return {
        "settings": SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=blocking,
            comparisons=[
                cl.NameComparison("first_name"),
                cl.NameComparison("surname"),
                cl.LevenshteinAtThresholds(ColumnExpression("dob").cast_to_string(), 1),
                cl.ExactMatch("city").configure(term_frequency_adjustments=True),
                *([cl.EmailComparison("email")] if email else []),
            ],
        ),
        "deterministic": [
            block_on("first_name", "dob"),
            "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2",
            *([block_on("email")] if email else []),
        ],
        "recall": 0.7,
        "u_pairs": 1e7,
        "em": [block_on("first_name", "surname"), block_on("dob")],
        "em_without_tf": False,
        "sql": "SELECT * FROM records",
    }


def _generated() -> dict[str, Any]:
    blocking = [
        block_on("substr(first_name, 1,1)", "surname"),
        block_on("surname"),
        block_on("email"),
        block_on("phone"),
        block_on("handle"),
        block_on("city", "first_name"),
    ]
    return {
        "settings": SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=blocking,
            comparisons=[
                cl.ForenameSurnameComparison(
                    "first_name",
                    "surname",
                    forename_surname_concat_col_name="first_name_surname_concat",
                ),
                cl.EmailComparison("email"),
                cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
                cl.ExactMatch("handle").configure(term_frequency_adjustments=True),
                cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            ],
        ),
        "deterministic": [
            block_on("first_name", "surname", "city"),
            block_on("email"),
            block_on("phone"),
            block_on("handle"),
        ],
        "recall": 0.6,
        "u_pairs": 1e7,
        "em": [block_on("first_name", "surname"), block_on("phone")],
        "em_without_tf": True,
        # as the 50k example does: a concatenated name for term frequencies of the full name
        "sql": "SELECT *, first_name || ' ' || surname AS first_name_surname_concat FROM records",
    }


MODELS = {
    "febrl3": _febrl3,
    "fake_20000": _fake_20000,
    "fake_20000_noemail": lambda: _fake_20000(email=False),
    **{f"febrl{n}_noid": lambda: _febrl3(ssn=False) for n in range(1, 5)},
    "generated": _generated,
}


def run(dataset: str, records: Path) -> pl.DataFrame:
    model = MODELS[dataset]()
    con = duckdb.connect()
    con.sql(f"CREATE TABLE records AS SELECT * FROM read_parquet('{records}')")
    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        db_api.register(con.sql(model["sql"])), model["settings"], log_level=logging.WARNING
    )
    training = linker.training
    training.estimate_probability_two_random_records_match(
        model["deterministic"], recall=model["recall"]
    )
    training.estimate_u_using_random_sampling(max_pairs=model["u_pairs"], seed=SEED)
    for rule in model["em"]:
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=model["em_without_tf"]
        )
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    keys = pl.read_parquet(records, columns=["unique_id", "source", "source_id"])
    out = []
    for threshold in THRESHOLDS:
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        df = clustered.as_duckdbpyrelation().select("unique_id, cluster_id").pl()
        out.append(
            keys.join(df, on="unique_id", how="left").select(
                "source",
                "source_id",
                pl.lit(threshold).alias("threshold"),
                pl.col("cluster_id").cast(pl.String),
            )
        )
    return pl.concat(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset", choices=sorted(MODELS))
    p.add_argument("records", type=Path)
    p.add_argument("out", type=Path)
    args = p.parse_args(argv)
    clusters = run(args.dataset, args.records)
    clusters.write_parquet(args.out)
    print(f"splink: {clusters.height:,} rows at {len(THRESHOLDS)} thresholds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
