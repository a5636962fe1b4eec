"""Training the match model: blocking rules first, then the classifier.

dedupe's blocking learner sees only a seeded sample of records (its memory grows with the pairs
each candidate predicate covers in the sample). Blocking is learned on the matched pairs *and*
on copies of them stripped of strong identifiers, so that duplicates that share no phone,
e-mail or handle (about half of them in helpdesk data) still meet in some block.

The classifier is trained on the certain seeds, plus hard negatives (the sample pairs the
learned rules block together that are known to be distinct: the region the model must judge),
plus the unsure seeds a first model is confident about. The operator's answers (``--labels``)
join the matches blocking must cover and weigh more than a seed each in both fits
(``answer_weight``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dedupe
import dedupe.core
import dedupe.predicates as P
import numpy as np

from resolution._typing import Pair, Record, TrainingData
from resolution.errors import ModelError
from resolution.matching.fields import FieldSpec, blank_identifiers, variables
from resolution.matching.model import MatchModel, predicate_key
from resolution.training.blocking_rules import learn_blocking, rule_budget, sample_neighbours
from resolution.training.fit import (
    REGULARIZATION_C,
    answer_weight,
    augment,
    fit_classifier,
    self_label,
    typo,
)

log = logging.getLogger("edin")

NeighbourLabeller = Callable[[list[tuple[int, int]]], list[tuple[int, int]]]
"""Given record-id pairs the blocking rules put together, those known to be distinct."""
# Hard negatives are looked for among the blocked pairs of this many times the training sample.
NEIGHBOUR_SAMPLE_FACTOR = 10


def seeded_sample(
    records: Mapping[int, Record], size: int, rng: random.Random
) -> dict[int, Record]:
    """At most ``size`` of the records, drawn with ``rng``, in record-id order."""
    ids = sorted(records)
    if len(ids) > size:
        ids = sorted(rng.sample(ids, size))
    return {i: records[i] for i in ids}


def train(
    records: Mapping[int, Record],
    training: TrainingData,
    specs: tuple[FieldSpec, ...],
    *,
    threshold: float,
    sample_size: int,
    recall: float,
    seed: int,
    hard_negatives: NeighbourLabeller | None = None,
    answers: TrainingData | None = None,
    regularization: float = REGULARIZATION_C,
    agreeing: list[Pair] | None = None,
) -> MatchModel:
    """Learn blocking rules, then fit dedupe's classifier on the labelled pairs (see the
    module docstring). ``agreeing``: the seed matches found because their fields agree (EM's),
    which blocking learns on with a typo put back (``typo_copies``). Deterministic for a
    given ``seed``."""
    answers = {
        "match": list((answers or {}).get("match", [])),
        "distinct": list((answers or {}).get("distinct", [])),
    }
    _require_examples(training, answers)
    rng = random.Random(seed)
    random.seed(seed)  # dedupe samples with the global generators
    np.random.seed(seed)
    certain: TrainingData = {
        "match": list(training["match"]),
        "distinct": list(training["distinct"]),
    }
    damaged = typo_copies(agreeing or [], specs, random.Random(seed))
    deduper, sample = _prepared_learner(records, certain, answers, specs, sample_size, rng)
    budget = rule_budget(len(sample), len(records))
    predicates = _blocking_rules(
        deduper, certain["match"] + answers["match"], specs, recall, budget, damaged
    )
    if agreeing and answers["match"]:
        # An identifier-free home (EM's seeds) also keeps the rules its seeds alone teach (on
        # the same learner, whose sample holds the answered records too): the cheapest cover
        # of the seeds plus 50 answered matches is another set of rules, not a larger one
        # (FEBRL1 without its SSN: 498 of its 500 true pairs blocked without answers, 495
        # with them, pairwise F1 0.998 → 0.995; with both sets 1.000).
        alone = _blocking_rules(deduper, certain["match"], specs, recall, budget, damaged)
        predicates = sorted(set(predicates) | set(alone), key=predicate_key)
    hard: list[Pair] = []
    if hard_negatives is not None:
        hard = _hard_negatives(
            records, predicates, hard_negatives, NEIGHBOUR_SAMPLE_FACTOR * sample_size, rng
        )
    certain["distinct"] += hard
    unsure = {"unsure": training.get("unsure", [])}
    final = self_label(deduper.data_model, certain | unsure, specs, rng, answers, regularization)
    augmented = augment(final, specs, rng)
    best = fit_classifier(deduper.data_model, augmented, answers, regularization, seeds=final)
    answered = bool(answers["match"] or answers["distinct"])
    stats = {
        "match_examples": len(final["match"]),
        "distinct_examples": len(final["distinct"]),
        "hard_negatives": len(hard),
        "answered_match": len(answers["match"]),
        "answered_distinct": len(answers["distinct"]),
        # the weight fit_classifier gave each answer (against the augmented training pairs)
        "answer_weight": answer_weight(final) if answered else 0.0,
        "regularization_C": float(best.C),
        "training_sample": len(sample),
    }
    return MatchModel(
        specs=specs,
        weights=best.coef_[0].astype(np.float64),
        bias=float(best.intercept_[0]),
        predicates=tuple(predicates),
        threshold=threshold,
        stats=stats,
    )


def _require_examples(training: TrainingData, answers: TrainingData) -> None:
    if not training["match"] and not answers["match"]:
        raise ModelError(
            "no match examples to learn from: the cold start found no contacts "
            "sharing a phone, e-mail or handle with a compatible name; pass labelled "
            "pairs with --labels"
        )
    if not training["distinct"] and not answers["distinct"]:
        raise ModelError("no distinct examples to learn from; pass labelled pairs with --labels")


def _prepared_learner(
    records: Mapping[int, Record],
    certain: TrainingData,
    answers: TrainingData,
    specs: tuple[FieldSpec, ...],
    sample_size: int,
    rng: random.Random,
) -> tuple[Any, dict[int, Record]]:
    """dedupe's learner, given the labelled pairs and a seeded sample of the records."""
    deduper = dedupe.Dedupe(variables(specs), num_cores=1)
    deduper.mark_pairs({k: certain[k] + answers[k] for k in certain})  # type: ignore[arg-type]
    sample = seeded_sample(records, sample_size, rng)
    with _hashed_unique():
        deduper.prepare_training(sample, sample_size=len(sample))
    return deduper, sample


def unique_records(seq: Iterable[Any]) -> list[Any]:
    """``dedupe.core.unique`` (the distinct elements, in first-seen order, equal by ``==``) in
    linear time: records are dicts of hashable values, keyed by their items. dedupe's own
    compares each record with every one kept (quadratic: 4 s of a 20k-contact training, most of
    it at a million); an unhashable element falls back to it."""
    items = list(seq)
    seen: set[Any] = set()
    out: list[Any] = []
    try:
        for each in items:
            key = frozenset(each.items()) if isinstance(each, dict) else each
            if key not in seen:
                seen.add(key)
                out.append(each)
    except TypeError:
        return _DEDUPE_UNIQUE(items)
    return out


_DEDUPE_UNIQUE = dedupe.core.unique


@contextmanager
def _hashed_unique() -> Iterator[None]:
    """dedupe's learner deduplicating its example records with ``unique_records``."""
    dedupe.core.unique = unique_records
    try:
        yield
    finally:
        dedupe.core.unique = _DEDUPE_UNIQUE


def _blocking_rules(
    deduper: Any,
    matches: list[Pair],
    specs: tuple[FieldSpec, ...],
    recall: float,
    budget: float,
    damaged: list[Pair],
) -> list[Any]:
    """The learned rules (covering the matches with and without their identifiers, and the
    ``damaged`` copies) plus one rule per strong identifier, in a stable order."""
    if deduper.active_learner is None:
        raise ModelError("dedupe's learner did not start: no training sample to learn from")
    blanked = [(blank_identifiers(a, specs), blank_identifiers(b, specs)) for a, b in matches]
    dupes = (
        matches
        + blanked
        + [(blank_identifiers(a, specs), blank_identifiers(b, specs)) for a, b in damaged]
    )
    learned = learn_blocking(deduper.active_learner.blocker.block_learner, dupes, recall, budget)
    # Strong identifiers always block: their blocks are small once hub values are removed.
    forced = [
        P.SimplePredicate(P.commonSetElementPredicate, s.name)
        if s.type == "Set"
        else P.SimplePredicate(P.wholeFieldPredicate, s.name)
        for s in specs
        if s.identifier
    ]
    predicates = sorted(set(learned) | set(forced), key=predicate_key)
    log.info("blocking rules: %s", "; ".join(repr(p) for p in predicates))
    return predicates


# The text fields a typo may hit when blocking is taught to survive one (the creation time and
# the sets are not typed by hand).
TYPED = frozenset({"String", "ShortString", "Exact"})


def typo_copies(
    matches: list[Pair], specs: tuple[FieldSpec, ...], rng: random.Random
) -> list[Pair]:
    """Per match, a copy with one keyboard slip in one of its text fields and a copy with one
    of them blanked (drawn with ``rng``).

    EM's seed matches agree on their fields (that is how EM found them), so blocking rules
    learned on them alone need every field intact; real duplicates carry a typo or a gap in a
    name or a date, and a rule that one slip defeats never lets the model see them. On
    fake_20000 without its e-mails: blocking recall 0.50 → 0.75, pairwise F1 0.50 → 0.62
    (copies with two faults each made 3.3× the candidate pairs for +0.004). Given to the
    classifier as matches too, they made it merge strangers on small data (tests/resolution/
    test_em.py: precision 0.36). Matches found by a shared identifier carry their names' real
    variation already: copies of them only added candidate pairs (fake_20000: F1 −0.013).
    """
    fields = [s.name for s in specs if s.type in TYPED and not (s.identifier or s.from_identifier)]
    out: list[Pair] = []
    for a, b in matches:
        present = [f for f in fields if isinstance(b.get(f), str) and len(b[f]) > 1]
        if not present:
            continue
        damaged = dict(b)
        field = rng.choice(present)
        damaged[field] = typo(damaged[field], rng)
        out.append((a, damaged))
        blanked = dict(b)
        blanked[rng.choice(present)] = None
        out.append((a, blanked))
    return out


def _hard_negatives(
    records: Mapping[int, Record],
    predicates: list[Any],
    label: NeighbourLabeller,
    size: int,
    rng: random.Random,
) -> list[Pair]:
    """Distinct pairs among those the rules block together in a wider sample: blocked pairs
    with conflicting identifiers are rare in a sparse sample of a large data set (50 of them on
    50k helpdesk contacts)."""
    wider = seeded_sample(records, size, rng)
    hard = [(records[a], records[b]) for a, b in label(sample_neighbours(predicates, wider))]
    log.info("%d hard negatives among the blocked sample pairs", len(hard))
    return hard
