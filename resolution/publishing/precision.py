"""The labelled-precision check: of the contact pairs operators labelled (decisions and the
label queue's answers) that a run puts into one profile, the share labelled "same person".

Decisions bind the clusters (``resolution.linking.decisions``), so on them a precision below 1
means a binding failed (contradictory decisions, a bug); answers to the label queue only teach
the model, so on them it measures the model. Below the configured floor (``[resolution]
min_labelled_precision``) the run does not publish: ``current/`` stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from resolution._typing import Metadata
from resolution.pairs import join_sides

# Fewer labelled pairs in one profile than this and the precision says too little to stop a run.
MIN_LABELLED_PAIRS = 20

LABELLED_SCHEMA = {
    "source_l": pl.String,
    "source_id_l": pl.String,
    "source_r": pl.String,
    "source_id_r": pl.String,
    "label": pl.String,
}


@dataclass(frozen=True)
class LabelledPrecision:
    """Labelled pairs with both contacts published; of them, those in one profile, and of
    those, the ones labelled ``match``."""

    labelled: int
    merged: int
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.merged if self.merged else None

    def problems(self, floor: float) -> list[str]:
        """Why the run must not publish (empty when the precision is at the floor or above,
        or measured on fewer than MIN_LABELLED_PAIRS pairs)."""
        p = self.precision
        if p is None or self.merged < MIN_LABELLED_PAIRS or p >= floor:
            return []
        return [
            f"precision on operator-labelled pairs is {p:.3f} ({self.correct} of {self.merged} "
            f"labelled pairs in one profile are the same person), below the floor {floor:g} "
            "([resolution] min_labelled_precision): look at the pairs with `edin explain`, "
            "answer more with `edin label`, or lower the floor"
        ]

    def metadata(self, floor: float) -> Metadata:
        return {
            "labelled_pairs": self.labelled,
            "labelled_merged": self.merged,
            "labelled_precision": -1.0 if self.precision is None else round(self.precision, 4),
            "labelled_precision_floor": floor,
        }


def labelled_precision(members: pl.DataFrame, labelled: pl.DataFrame) -> LabelledPrecision:
    """Precision of ``members`` (profile_id, source, source_id) on ``labelled`` pairs
    (LABELLED_SCHEMA; ``match`` or ``distinct``, the latest label per pair first wins)."""
    pairs = labelled.filter(pl.col("label").is_in(["match", "distinct"])).unique(
        subset=["source_l", "source_id_l", "source_r", "source_id_r"], keep="first"
    )
    got = join_sides(pairs, members, on=("source", "source_id"), add=("profile_id",))
    merged = got.filter(pl.col("profile_id_l") == pl.col("profile_id_r"))
    correct = merged.filter(pl.col("label") == "match").height
    return LabelledPrecision(labelled=got.height, merged=merged.height, correct=correct)
