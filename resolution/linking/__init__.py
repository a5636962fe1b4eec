"""Linking: candidate pairs from the model's blocking rules, every candidate scored with its
reasons, clusters per connected component, strong identifier links, and the operator's
decisions applied over the model's clusters; a lone contact joins the one profile bearing its
full name in its city."""

from resolution.linking.attach import ATTACH_REASON, ATTACHMENTS, attach_by_name_and_city, detach
from resolution.linking.blocking import BlockingStats, candidate_pairs
from resolution.linking.clustering import Hierarchy, cluster_records, hierarchical
from resolution.linking.decisions import decision_pairs, drop_pairs, enforce_decisions
from resolution.linking.links import identifier_links, join_strong_links
from resolution.linking.scoring import (
    KEEP_SCORE,
    NAME_ONLY_GUARD,
    ScoredCandidates,
    score_candidates,
    score_chunk,
)

__all__ = [
    "ATTACHMENTS",
    "ATTACH_REASON",
    "KEEP_SCORE",
    "NAME_ONLY_GUARD",
    "BlockingStats",
    "attach_by_name_and_city",
    "detach",
    "Hierarchy",
    "ScoredCandidates",
    "candidate_pairs",
    "cluster_records",
    "decision_pairs",
    "drop_pairs",
    "enforce_decisions",
    "hierarchical",
    "identifier_links",
    "join_strong_links",
    "score_candidates",
    "score_chunk",
]
