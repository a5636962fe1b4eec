"""Benchmark: the floor the snapshot's file contract leaves to a run, however small its drop.

Every run publishes a complete snapshot: one Parquet file per table and ``profiles.duckdb``
(a DuckDB copy of the snapshot's TABLES and EXPLAIN_TABLES). This reads a published snapshot's
tables into memory (not timed) and writes them again with ``write_snapshot``, the function a
run publishes with, into a scratch home; then, apart, the Parquet files alone (one thread)
and the DuckDB file alone from those files. The first figure is what a run pays at least to
publish that snapshot, whatever its drop; the others say where it goes.

Usage (a 1M home's snapshot: about 10 s of CPU; run it under the bench lock):

    python bench/snapshot_floor.py HOME/current
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import polars as pl
from provenance import provenance

from resolution.publishing import (
    SNAPSHOT_TABLES,
    STATE_TABLES,
    write_database,
    write_snapshot,
)


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path, help="a published snapshot folder (HOME/current)")
    args = parser.parse_args()
    src = args.snapshot.resolve()
    names = [n for n in SNAPSHOT_TABLES if (src / f"{n}.parquet").exists()]
    frames = {n: pl.read_parquet(src / f"{n}.parquet") for n in names}
    rows = {n: f.height for n, f in frames.items()}
    before = load()
    with tempfile.TemporaryDirectory(dir=src.parent.parent) as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        snap = write_snapshot(home, "floor-1", dict(frames), {})
        whole = time.perf_counter() - started
        sizes = {p.name: p.stat().st_size for p in sorted(snap.path.iterdir())}
        parquet_dir = home / "parquet"
        parquet_dir.mkdir()
        started = time.perf_counter()
        for n, f in frames.items():
            f.write_parquet(parquet_dir / f"{n}.parquet", compression="zstd", statistics=True)
        parquet = time.perf_counter() - started
        started = time.perf_counter()
        write_database(
            home / "alone.duckdb",
            {n: parquet_dir / f"{n}.parquet" for n in names if n not in STATE_TABLES},
        )
        database = time.perf_counter() - started
        shutil.rmtree(parquet_dir)
    after = load()
    print(f"snapshot {src}, commit {provenance()['commit']}")
    print(f"load before: {before}")
    for name, size in sizes.items():
        table = name.removesuffix(".parquet")
        print(f"  {name:24} {size / 1e6:8.1f} MB  {rows.get(table, ''):>10}")
    print(f"write_snapshot (Parquet + DuckDB, two threads): {whole:6.2f} s")
    print(f"Parquet files alone (one thread):               {parquet:6.2f} s")
    print(f"profiles.duckdb alone from them:                {database:6.2f} s")
    print(f"load after: {after}")


if __name__ == "__main__":
    main()
