"""Feedback: what operators tell the pipeline. Decisions (same person / not the same person)
pin contacts whatever the model says (and can be revoked: the review app's undo); answers to
the label queue teach the model."""

from resolution.feedback.decisions import (
    PairDecision,
    decision_history,
    pair_decisions,
    parse_contact,
    record_distinct,
    record_merge,
    record_unmerge,
    revoke_decision,
)
from resolution.feedback.label_queue import (
    ANSWER_LABELS,
    append_answers,
    label_queue,
    read_answered,
    read_answered_frame,
)

__all__ = [
    "ANSWER_LABELS",
    "PairDecision",
    "append_answers",
    "decision_history",
    "label_queue",
    "pair_decisions",
    "parse_contact",
    "read_answered",
    "read_answered_frame",
    "record_distinct",
    "record_merge",
    "record_unmerge",
    "revoke_decision",
]
