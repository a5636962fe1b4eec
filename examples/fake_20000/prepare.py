"""Write Splink's fake_20000 benchmark as an edin input folder: fake_20000.csv plus truth.csv.

    python examples/fake_20000/prepare.py [TARGET] [--shared DIR]

TARGET defaults to examples/fake_20000/data/. TARGET/no_email/ gets the same two files without
the e-mail column: a register with no identifier at all (``edin_no_email.toml``).

The source is ``fake_20000_from_splink_demos.csv`` in the shared benchmarks folder (a sibling of
the repository: ``<repo>/../shared/benchmarks/``). Columns: unique_id, first_name, surname, dob,
city, email and the true entity in ``group``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SOURCE_FILE = "benchmarks/fake_20000_from_splink_demos.csv"
SOURCE = "fake"  # the constant `source` set in edin.toml's [[inputs]]
INPUT_COLUMNS = ["unique_id", "first_name", "surname", "dob", "city", "email"]
TRUTH_COLUMN = "group"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "target",
        nargs="?",
        type=Path,
        default=HERE / "data",
        help="folder to write fake_20000.csv and truth.csv into (default: %(default)s)",
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="the shared folder holding benchmarks/ (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    src: Path = args.shared / SOURCE_FILE
    if not src.is_file():
        print(
            f"error: {src} not found; pass --shared DIR (the folder holding {SOURCE_FILE})",
            file=sys.stderr,
        )
        return 1

    df = pl.read_csv(src, infer_schema=False)
    absent = [c for c in [*INPUT_COLUMNS, TRUTH_COLUMN] if c not in df.columns]
    if absent:
        print(f"error: {src} lacks column(s) {absent}; header is {df.columns}", file=sys.stderr)
        return 1
    duplicates = df.height - df.get_column("unique_id").n_unique()
    if duplicates or df.get_column(TRUTH_COLUMN).null_count():
        print(f"error: {src}: unique_id must be unique and {TRUTH_COLUMN} filled", file=sys.stderr)
        return 1

    out: Path = args.target
    out.mkdir(parents=True, exist_ok=True)
    df.select(INPUT_COLUMNS).write_csv(out / "fake_20000.csv")
    truth = df.select(source=pl.lit(SOURCE), source_id="unique_id", entity_id=TRUTH_COLUMN)
    truth.write_csv(out / "truth.csv")
    bare = out / "no_email"
    bare.mkdir(exist_ok=True)
    df.select(c for c in INPUT_COLUMNS if c != "email").write_csv(bare / "fake_20000.csv")
    truth.write_csv(bare / "truth.csv")
    sizes = truth.group_by("entity_id").len().get_column("len")
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    print(
        f"wrote {out / 'fake_20000.csv'} ({df.height:,} records) and {out / 'truth.csv'} "
        f"({sizes.len():,} entities, {true_pairs:,} true pairs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
