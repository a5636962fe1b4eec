"""Matching: which fields are compared and how (declared as data), dedupe's distance features,
the trained model (JSON, no pickles), the name-only guard, the one scoring path and the
per-field explanation of every score."""

from resolution.matching.explanation import contributions, field_weights, ranked_reasons
from resolution.matching.fellegi_sunter import FellegiSunter
from resolution.matching.fields import (
    FieldSpec,
    field_specs,
    frame_records,
    hub_columns,
    identifier_columns,
    record_frame,
    records,
)
from resolution.matching.guard import (
    CREATED_BITS,
    NameWeights,
    name_evidence_bits,
    name_only,
    name_only_pairs,
)
from resolution.matching.model import MatchModel
from resolution.matching.scoring import PairScores, score_pairs

__all__ = [
    "CREATED_BITS",
    "FellegiSunter",
    "FieldSpec",
    "MatchModel",
    "NameWeights",
    "PairScores",
    "contributions",
    "field_specs",
    "field_weights",
    "frame_records",
    "hub_columns",
    "identifier_columns",
    "name_evidence_bits",
    "name_only",
    "name_only_pairs",
    "ranked_reasons",
    "record_frame",
    "records",
    "score_pairs",
]
