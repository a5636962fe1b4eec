"""Training labels: labelled-pair files (the operator's answers), merged with the cold start's
seed labels (``resolution.training.seeds``) and turned into dedupe's training pairs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from resolution._typing import Record, TrainingData
from resolution.contract import LABEL_COLUMNS
from resolution.errors import InputError
from resolution.files import read_file
from resolution.pairs import keys_to_ids

log = logging.getLogger("edin")

LABELS = ("match", "distinct")
# Seed pairs the rules cannot decide: the first model labels them (``resolution.training.seeds``).
UNSURE = "unsure"
# training_labels.reason of the pairs an operator answered (``--labels``), not seeded by the rules.
LABELLED = "labelled"
# training_labels.reason of the pairs an operator decided (merge / unmerge, the review app).
DECIDED = "decision"
# Both are the operator's word: they outrank the seeds and weigh more in the fit.
ANSWERED = (LABELLED, DECIDED)


def read_labels(path: Path, contacts: pl.DataFrame) -> pl.DataFrame:
    """Labelled pairs from a CSV/JSONL/Parquet file keyed by (source, source_id) on each side.

    Returns (l, r, label, reason='labelled'); pairs naming unknown contacts are reported and
    skipped, a malformed file is an error.
    """
    df = read_file(Path(path))
    missing = [c for c in LABEL_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"labels file {path} lacks column(s) {missing}; expected "
            f"{', '.join(LABEL_COLUMNS)} (label = match | distinct)"
        )
    df = df.with_columns(
        pl.col("label").str.strip_chars().str.to_lowercase(),
        pl.col("source_l").str.to_lowercase(),
        pl.col("source_r").str.to_lowercase(),
    )
    bad = df.filter(~pl.col("label").is_in(list(LABELS)))
    if bad.height:
        raise InputError(
            f"labels file {path}: {bad.height} row(s) with a label other than "
            f"match/distinct, e.g. {bad['label'][0]!r}"
        )
    df = keys_to_ids(df, contacts, how="left")
    unknown = df.filter(pl.col("a").is_null() | pl.col("b").is_null()).height
    if unknown:
        log.warning(
            "labels file %s: %d pair(s) name contacts not in the input; skipped", path, unknown
        )
    df = df.drop_nulls(["a", "b"]).filter(pl.col("a") != pl.col("b"))
    return df.select(
        pl.min_horizontal("a", "b").alias("l"),
        pl.max_horizontal("a", "b").alias("r"),
        "label",
        pl.lit(LABELLED).alias("reason"),
    ).unique(["l", "r"], keep="last")


def decision_labels(decisions: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """Operator decisions (``resolution.feedback.pair_decisions``) as training labels (l, r,
    label, reason='decision'): a decision pins its contacts whatever the model says, and it
    also teaches the model the next time it is trained. Pairs naming contacts no longer in the
    input are left out."""
    if decisions.height == 0:
        return pl.DataFrame(
            schema={"l": pl.Int64, "r": pl.Int64, "label": pl.String, "reason": pl.String}
        )
    pairs = keys_to_ids(decisions, contacts).filter(pl.col("a") != pl.col("b"))
    return (
        pairs.select(
            pl.min_horizontal("a", "b").alias("l"),
            pl.max_horizontal("a", "b").alias("r"),
            "label",
            pl.lit(DECIDED).alias("reason"),
        )
        .unique(["l", "r"], keep="last", maintain_order=True)
        .sort("l", "r")
    )


def combine(seeds: pl.DataFrame, labelled: pl.DataFrame | None) -> pl.DataFrame:
    """Seeds plus labelled pairs; a labelled pair replaces a seed on the same pair."""
    if labelled is None or labelled.height == 0:
        return seeds
    return pl.concat(
        [labelled, seeds.join(labelled.select("l", "r"), on=["l", "r"], how="anti")]
    ).sort("label", "l", "r")


def training_pairs(labels: pl.DataFrame, records: Mapping[int, Record]) -> TrainingData:
    """dedupe's training structure from labelled record-id pairs (plus the ``unsure`` ones)."""
    out: TrainingData = {"match": [], "distinct": [], UNSURE: []}
    for left, right, label in labels.select("l", "r", "label").iter_rows():
        out[label].append((records[left], records[right]))
    return out
