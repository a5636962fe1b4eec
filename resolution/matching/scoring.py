"""The one scoring path: a trained model and some record pairs in, match probabilities out.

The pipeline's scoring stage, ``edin explain`` and the label queue all score through
``score_pairs``: dedupe's distance features, the classifier's log-odds, the sigmoid and the
name-only guard, in that order, with the guard's pull kept (in log-odds) so that the reasons
of a score still add up to it.

A model with a Fellegi–Sunter part (``MatchModel.fs``: a home trained with no identifier
seeds, refined by the operator's answers if any) scores by it instead of the classifier: the
"features" are then its fields' weights ``ln(m/u)`` and the log-odds their sum plus its
prior's, so the same explanation (``resolution.matching.explanation``: one column per field,
the identity matrix) adds up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from resolution._typing import Pair
from resolution.matching.comparison import PairColumns
from resolution.matching.guard import NameWeights, cap_name_only

if TYPE_CHECKING:
    from resolution.matching.model import MatchModel


@dataclass(frozen=True)
class PairScores:
    """Scores of n pairs, with what explains them."""

    score: np.ndarray  # match probability, after the guard
    logit: np.ndarray  # the classifier's log-odds, before the guard
    guard: np.ndarray  # the name-only guard's pull, in log-odds (0 where it did not act)
    # dedupe's distance features (n × features), or the Fellegi–Sunter fields' weights
    # (n × fields), for the contributions
    features: np.ndarray


def score_pairs(model: MatchModel, pairs: Sequence[Pair] | PairColumns) -> PairScores:
    """Score ``pairs`` with ``model``: probability, log-odds, guard pull and features."""
    if not len(pairs):
        empty = np.zeros(0)
        width = len(model.fs.fields) if model.fs is not None else len(model.weights)
        return PairScores(empty, empty, empty, np.zeros((0, width), dtype="f4"))
    cols = model.columns(pairs)
    if model.fs is not None:
        features = model.fs.field_weights(cols)
        z = model.fs.logit(features)
    else:
        features = model.features(cols)
        z = model.logit(features)
    raw = 1.0 / (1.0 + np.exp(-z))
    scores = cap_name_only(cols, raw, model.specs, model.threshold, NameWeights.of_model(model))
    guard = np.where(scores < raw, np.log(scores / (1.0 - scores)) - z, 0.0)
    return PairScores(score=scores, logit=z, guard=guard, features=features)
