"""Plain dedupe 3 used as its documentation shows, with labels answered from the truth.

    python bench/quality/dedupe_baseline.py DATASET RECORDS TRUTH OUT --labels 50

``dedupe.Dedupe(variables)``, ``prepare_training``, active learning (``uncertain_pairs`` answered
from the truth, ``mark_pairs``: what ``dedupe.console_label`` does with a person at the
keyboard), ``train()``, ``partition(data, threshold=0.5)`` (the default threshold). One
departure, from REFERENCE.md: ``prepare_training`` does not bound its memory by
``sample_size`` and reached 17-24 GB on 5,000 FEBRL records, so it is given a seeded sample of
:data:`TRAINING_RECORDS` records; the trained model then partitions every record.
Writes OUT (Parquet: source, source_id, cluster_id); a record in no cluster is its own.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
from pathlib import Path
from typing import Any

import dedupe
import numpy as np
import polars as pl
from dedupe.variables import Exact, ShortString, String

TRAINING_RECORDS = 2000
SEED = 101


def _febrl(ssn: bool) -> list[Any]:
    """FEBRL's fields; ``ssn=False``: without soc_sec_id (the identifier-free sets)."""
    return [
        String("given_name", has_missing=True),
        String("surname", has_missing=True),
        ShortString("street_number", has_missing=True),
        String("address_1", has_missing=True),
        String("address_2", has_missing=True),
        ShortString("suburb", has_missing=True),
        ShortString("postcode", has_missing=True),
        Exact("state", has_missing=True),
        ShortString("date_of_birth", has_missing=True),
        *([ShortString("soc_sec_id", has_missing=True)] if ssn else []),
    ]


VARIABLES = {
    "febrl3": lambda: _febrl(ssn=True),
    **{f"febrl{n}_noid": lambda: _febrl(ssn=False) for n in range(1, 5)},
    "fake_20000": lambda: [
        String("first_name", has_missing=True),
        String("surname", has_missing=True),
        ShortString("dob", has_missing=True),
        ShortString("city", has_missing=True),
        String("email", has_missing=True),
    ],
    "fake_20000_noemail": lambda: [
        String("first_name", has_missing=True),
        String("surname", has_missing=True),
        ShortString("dob", has_missing=True),
        ShortString("city", has_missing=True),
    ],
    "generated": lambda: [
        String("name", has_missing=True),
        String("email", has_missing=True),
        ShortString("phone", has_missing=True),
        ShortString("handle", has_missing=True),
        ShortString("city", has_missing=True),
    ],
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset", choices=sorted(VARIABLES))
    p.add_argument("records", type=Path)
    p.add_argument("truth", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--labels", type=int, default=50)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    random.seed(SEED)
    np.random.seed(SEED)

    variables = VARIABLES[args.dataset]()
    fields = [v.field for v in variables]
    records = pl.read_parquet(args.records)
    truth = pl.read_csv(args.truth, infer_schema=False)
    entity = dict(
        records.join(truth, on=["source", "source_id"], how="left")
        .select("unique_id", "entity_id")
        .iter_rows()
    )
    data = {
        row["unique_id"]: row for row in records.select("unique_id", *fields).iter_rows(named=True)
    }

    deduper = dedupe.Dedupe(variables)
    ids = sorted(data)
    sample = random.Random(SEED).sample(ids, min(TRAINING_RECORDS, len(ids)))
    deduper.prepare_training({i: data[i] for i in sample})
    answered = {"match": 0, "distinct": 0}
    for _ in range(args.labels):
        pairs = deduper.uncertain_pairs()
        if not pairs:
            break
        left, right = pairs[0]
        same = entity[left["unique_id"]] == entity[right["unique_id"]]
        label = "match" if same else "distinct"
        answered[label] += 1
        deduper.mark_pairs(
            {"match": [pairs[0]] if same else [], "distinct": [] if same else [pairs[0]]}
        )
    print(f"dedupe: answered {answered['match']} match, {answered['distinct']} distinct")
    deduper.train()
    clusters = deduper.partition(data, threshold=0.5)
    members = {rid: f"c{n}" for n, (ids_, _) in enumerate(clusters) for rid in ids_}
    out = records.select("unique_id", "source", "source_id").with_columns(
        pl.col("unique_id")
        .map_elements(lambda i: members.get(i, f"s{i}"), return_dtype=pl.String)
        .alias("cluster_id")
    )
    out.select("source", "source_id", "cluster_id").write_parquet(args.out)
    print(f"dedupe: {len(clusters):,} clusters of {out.height:,} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
