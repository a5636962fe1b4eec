"""Training: cold-start seed labels (no human needed), the operator's labelled pairs, the
blocking rules and the classifier, fitted into a ``MatchModel``."""

from resolution.training.labels import (
    ANSWERED,
    DECIDED,
    LABEL_COLUMNS,
    LABELLED,
    UNSURE,
    combine,
    decision_labels,
    read_labels,
    training_pairs,
)
from resolution.training.seeds import conflicting_neighbours, seed_labels
from resolution.training.train import train

__all__ = [
    "ANSWERED",
    "DECIDED",
    "decision_labels",
    "LABELLED",
    "LABEL_COLUMNS",
    "UNSURE",
    "combine",
    "conflicting_neighbours",
    "read_labels",
    "seed_labels",
    "train",
    "training_pairs",
]
