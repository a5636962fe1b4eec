"""A run whose profiles contradict the operators' labels too often does not publish: the
blocking check ``labelled_precision_floor`` (Dagster) and the CLI's ``edin:`` message, exit 2,
``current/`` as it was."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from tests.conftest import edin

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
KEY = ["source", "source_id"]


def test_a_run_below_the_labelled_precision_floor_leaves_current_as_it_was(tmp_path) -> None:
    home = tmp_path / "home"
    first = edin("run", str(SAMPLE), "--home", str(home))
    assert first.returncode == 0, first.stderr[-3000:]
    members = pl.read_parquet(home / "current" / "members.parquet")
    # an operator says "not the same person" of 25 pairs the run put in one profile
    pairs = (
        members.sort("profile_id", *KEY)
        .group_by("profile_id", maintain_order=True)
        .agg(pl.col("source").head(2), pl.col("source_id").head(2))
        .filter(pl.col("source").list.len() == 2)
        .head(25)
        .select(
            pl.col("source").list.first().alias("source_l"),
            pl.col("source_id").list.first().alias("source_id_l"),
            pl.col("source").list.last().alias("source_r"),
            pl.col("source_id").list.last().alias("source_id_r"),
            pl.lit("distinct").alias("label"),
        )
    )
    assert pairs.height == 25
    pairs.write_csv(home / "labels.csv")
    before = os.readlink(home / "current")
    empty = tmp_path / "empty"
    empty.mkdir()
    pl.DataFrame(schema={c: pl.String for c in KEY}).write_csv(empty / "contacts.csv")
    proc = edin("run", str(empty), "--home", str(home))
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "labelled_precision_floor" in proc.stderr and "below the floor 0.9" in proc.stderr
    assert "current/ left unchanged" in proc.stderr and "Traceback" not in proc.stderr
    assert os.readlink(home / "current") == before
    # a floor the operator lowers lets the run publish
    config = tmp_path / "edin.toml"
    config.write_text("[resolution]\nmin_labelled_precision = 0.0\n", encoding="utf-8")
    proc = edin("run", str(empty), "--home", str(home), "--config", str(config))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert os.readlink(home / "current") != before
