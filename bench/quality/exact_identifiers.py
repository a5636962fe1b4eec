"""Exact-identifier baseline: union-find over equal cleaned e-mail, phone or handle.

    python bench/quality/exact_identifiers.py RECORDS OUT --columns email,phone,handle

REFERENCE.md ("Baselines to beat"): contacts sharing an exact cleaned identifier value are one
person, after dropping values shared by more than ``--max-shared`` (default 25) records (call
centres, office mailboxes). Writes OUT (Parquet: source, source_id, cluster_id).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

MAX_SHARED = 25


def clusters(records: pl.DataFrame, columns: list[str], max_shared: int) -> pl.DataFrame:
    """source, source_id, cluster_id: connected components of the shared-value graph."""
    values = pl.concat(
        [
            records.select("unique_id", pl.lit(c).alias("kind"), pl.col(c).alias("value"))
            for c in columns
        ]
    ).drop_nulls("value")
    usable = values.filter(pl.len().over("kind", "value") <= max_shared)
    # link every record to the first record holding the same value: a star per value
    edges = usable.with_columns(pl.col("unique_id").min().over("kind", "value").alias("root"))
    n = records.height
    graph = coo_matrix(
        (np.ones(edges.height), (edges["unique_id"].to_numpy(), edges["root"].to_numpy())),
        shape=(n, n),
    )
    _, labels = connected_components(graph, directed=False)
    order = records["unique_id"].to_numpy()
    return records.select(
        "source", "source_id", pl.Series("cluster_id", labels[order]).cast(pl.String)
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("records", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--columns", required=True, help="comma-separated identifier columns")
    p.add_argument("--max-shared", type=int, default=MAX_SHARED)
    args = p.parse_args(argv)
    records = pl.read_parquet(args.records)
    out = clusters(records, args.columns.split(","), args.max_shared)
    out.write_parquet(args.out)
    print(f"exact identifiers: {out['cluster_id'].n_unique():,} clusters of {out.height:,} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
