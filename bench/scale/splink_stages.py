"""Splink 5 on one generated set, timed by phase: the child process ``bench/scale/run.py`` measures.

    python bench/scale/splink_stages.py RECORDS OUT [MEMORY_LIMIT]

The model is ``bench/quality/splink_baseline.py``'s ``generated`` one (the person pattern of
Splink's ``deduplicate_50k_synthetic`` example: deterministic rules for the prior, u by random
sampling, two EM sessions, predict, cluster), clustered once at its documented threshold (0.95).
Each phase starts with a ``▶ <phase>`` line on stderr, as the product's stages do, so that the
parent can attribute time and memory to it. OUT: source, source_id, cluster_id.

MEMORY_LIMIT (e.g. ``12GB``) is DuckDB's ``memory_limit`` for Splink's connection, spilling to a
folder beside OUT: DuckDB's own advice when the OS kills a job at its default of 80 % of the
machine's memory (https://duckdb.org/docs/stable/guides/troubleshooting/oom_errors).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "quality"))
from splink import DuckDBAPI, Linker  # noqa: E402
from splink_baseline import DOCUMENTED_THRESHOLD, MODELS, PREDICT_THRESHOLD, SEED  # noqa: E402


def _phase(name: str) -> None:
    print(f"▶ {name}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = argv or sys.argv[1:]
    records, out = Path(args[0]), Path(args[1])
    memory_limit = args[2] if len(args) > 2 else None
    started = time.perf_counter()
    _phase("load")
    model = MODELS["generated"]()
    con = duckdb.connect()
    if memory_limit:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise SystemExit(f"splink_stages: memory limit {memory_limit!r} is not like 12GB")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET temp_directory = ?", [str(out.parent / "spill")])
    con.execute("CREATE TABLE records AS SELECT * FROM read_parquet($p)", {"p": str(records)})
    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        db_api.register(con.sql(model["sql"])), model["settings"], log_level=logging.WARNING
    )
    _phase("train")
    training = linker.training
    training.estimate_probability_two_random_records_match(
        model["deterministic"], recall=model["recall"]
    )
    training.estimate_u_using_random_sampling(max_pairs=model["u_pairs"], seed=SEED)
    for rule in model["em"]:
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=model["em_without_tf"]
        )
    _phase("predict")
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    _phase("cluster")
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=DOCUMENTED_THRESHOLD
    )
    df = clustered.as_duckdbpyrelation().select("unique_id, cluster_id").pl()
    _phase("write")
    keys = pl.read_parquet(records, columns=["unique_id", "source", "source_id"])
    keys.join(df, on="unique_id", how="left").select(
        "source", "source_id", pl.col("cluster_id").cast(pl.String)
    ).write_parquet(out)
    print(f"splink: done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
