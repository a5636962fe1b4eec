"""Fitting the classifier: dedupe's logistic regression on the seed labels, the hard negatives
and the operator's answers, made robust to the identifier damage real duplicates carry.
"""

from __future__ import annotations

import logging
import random
from typing import Any, cast

import numpy as np

from resolution._typing import Pair, TrainingData
from resolution.config import ResolutionSettings
from resolution.matching.comparison import PairFeatures
from resolution.matching.fields import FieldSpec

log = logging.getLogger("edin")


def typo(value: str, rng: random.Random) -> str:
    """One keyboard slip: swap, delete, double or replace a character."""
    if len(value) < 2:
        return value
    i = rng.randrange(len(value) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    if kind == 1:
        return value[:i] + value[i + 1 :]
    if kind == 2:
        return value[:i] + value[i] + value[i:]
    return value[:i] + rng.choice("aeioubcdklmnprst0123456789") + value[i + 1 :]


def augment(
    training: TrainingData, specs: tuple[FieldSpec, ...], rng: random.Random
) -> TrainingData:
    """Training pairs plus, for every pair of *either* class, a copy of its right side with its
    identifiers damaged like real data, and one with another field blanked.

    Seed matches are chosen *because* they share an identifier and carry similar names, so a
    model trained on them alone learns "same identifier or nothing", and rejects duplicates
    with a typo in an ID, a new phone number or no e-mail. Each damaged copy breaks the
    identifiers (a keyboard slip, another contact's value, or none), so the other fields must
    carry the decision. (Noise in the other fields too was tried: it taught the model to
    forgive real name differences and cost precision.)

    Both classes are damaged and blanked alike. When only the matches were, a missing or
    foreign e-mail, or a missing given name, became evidence *of a match* (the distinct seeds
    never lacked them): on fake_20000 two Walkers with different birth dates and different
    e-mails scored 0.99, and 106k candidate pairs scored above 0.5 for 33k true ones. Alike,
    a value's absence says nothing of the class, as in Fellegi–Sunter where a missing field
    weighs zero (fake_20000 pairwise F1 0.749 → 0.796, its e-mail-less variant 0.50 → 0.58,
    generated data unchanged).
    """
    ids = [s for s in specs if s.identifier or s.from_identifier]
    pool = {
        s.name: sorted(
            {r[s.name] for pair in training["match"] for r in pair if r.get(s.name)}, key=str
        )
        for s in ids
    }

    def damage(pairs: list[Pair]) -> list[Pair]:
        out: list[Pair] = []
        for a, b in pairs:
            damaged = dict(b)
            how = rng.choice(("typo", "replace", "drop"))
            for spec in ids:
                value = damaged.get(spec.name)
                if how == "typo" and isinstance(value, str) and len(value) > 1:
                    damaged[spec.name] = typo(value, rng)
                elif how == "replace" and value and pool[spec.name]:
                    damaged[spec.name] = rng.choice(pool[spec.name])
                else:
                    damaged[spec.name] = None
            out.append((a, damaged))
        return out

    others = [
        s.name for s in specs if not (s.identifier or s.from_identifier) and s.type != "Custom"
    ]

    def blank(pairs: list[Pair]) -> list[Pair]:
        out: list[Pair] = []
        for a, b in pairs:
            present = [f for f in others if b.get(f) is not None and a.get(f) is not None]
            if not present:
                continue
            blanked = dict(b)
            blanked[rng.choice(present)] = None
            out.append((a, blanked))
        return out

    match = list(training["match"])
    distinct = list(training["distinct"])
    return {
        "match": match + damage(match) + blank(match),
        "distinct": distinct + damage(distinct) + blank(distinct),
    }


# A pair the rules could not decide becomes a label only when the first model is this sure of it.
SELF_LABEL_CONFIDENCE = 0.9


# The classifier's regularisation (sklearn's C): fixed, not cross-validated. Cross-validated
# log-loss told C = 1 and C = 10 apart by less than 0.001 (fold spread 0.08) on fake_20000, and
# which of the two won depended on the BLAS kernel of the machine (OpenBLAS's Haswell kernel chose
# 1, the native Zen kernel 10); the published clusters then moved by 0.07 pairwise F1. A choice
# made on noise is no choice: 1.0 is sklearn's default, not tuned on any data set here, and
# `[resolution] regularization` changes it.
REGULARIZATION_C: float = ResolutionSettings.regularization
# The fit is solved to its optimum, in double precision, not stopped near it. dedupe's features
# are collinear (the matrix's condition number is ~1e34: "present" indicators and interactions),
# so the optimum is flat along some directions and only the small L2 penalty pins it; lbfgs at
# sklearn's default tolerance on the float32 features stopped up to 0.4 from it (the bias 8.9 or
# 9.6) depending on the BLAS kernel, and fake_20000 moved by 0.02 pairwise F1. Newton's method on
# float64 features reaches the optimum in about ten exact steps: on fake_20000 three BLAS kernels
# agreed on every weight to 1e-12.
SOLVER = "newton-cholesky"
TOLERANCE = 1e-8
MAX_ITERATIONS = 100
# Fewer match or distinct examples than this and the model is rough: the run says so.
MIN_EXAMPLES = 5


# Each operator's answer weighs as much as this share of the seed pairs: answers are few, chosen
# where the model is unsure, and right; weighed like one seed each, a hundred of them were lost
# among ten thousand seeds and the model did not move.
ANSWER_WEIGHT_SHARE = 0.005


def answer_weight(training: TrainingData) -> float:
    """The sample weight of one answered pair against the pairs of ``training`` (the seeds and
    the damaged copies of their matches)."""
    seeds = len(training["match"]) + len(training["distinct"])
    return max(1.0, ANSWER_WEIGHT_SHARE * seeds)


def answer_weights(answers: TrainingData, seeds: TrainingData) -> np.ndarray:
    """The sample weights of the answered pairs (matches first, as ``flatten_training`` puts
    them): ``answer_weight`` each on average, the two classes weighing alike when both were
    answered.

    Where the queue asks decides the answers' mix of classes, not the data: nearest 0.5 on
    fake_20000, 48 of 50 were distinct. Weighed one by one, that mix moved the model's prior:
    every score fell, the matches' too (pairwise recall 0.739 → 0.679 after 43 distinct answers
    of 50). Balanced, the answers teach which fields tell the pairs apart, and the seeds keep
    the prior."""
    n_match, n_distinct = len(answers["match"]), len(answers["distinct"])
    each = answer_weight(seeds)
    if not (n_match and n_distinct):
        return np.full(n_match + n_distinct, each)
    total = each * (n_match + n_distinct)
    return np.concatenate(
        [np.full(n_match, total / 2 / n_match), np.full(n_distinct, total / 2 / n_distinct)]
    )


def fit_classifier(
    data_model: Any,
    training: TrainingData,
    answers: TrainingData | None = None,
    regularization: float = REGULARIZATION_C,
    seeds: TrainingData | None = None,
) -> Any:
    """dedupe's logistic regression on ``training`` plus the operator's ``answers`` (each
    weighing ``answer_weight`` of the ``seeds`` ``training`` was augmented from), with the
    regularisation ``C = regularization``."""
    # imported here: a run that reuses its model never loads scikit-learn (resolution._dedupe)
    import sklearn.linear_model
    from dedupe.api import flatten_training

    answers = answers or {"match": [], "distinct": []}
    examples, y = flatten_training(training)  # type: ignore[arg-type]
    answered, y_answered = flatten_training(answers)  # type: ignore[arg-type]
    pairs = cast(list[Pair], list(examples) + list(answered))  # dedupe types them as Mappings
    features = PairFeatures(data_model)(pairs).astype(np.float64)
    y = np.concatenate([y, y_answered])
    weight = np.concatenate([np.ones(len(examples)), answer_weights(answers, seeds or training)])
    matches = len(training["match"]) + len(answers["match"])
    distinct = len(training["distinct"]) + len(answers["distinct"])
    if min(matches, distinct) < MIN_EXAMPLES:
        log.warning(
            "only %d match / %d distinct training pairs: the model is rough; add "
            "labelled pairs with --labels",
            matches,
            distinct,
        )
    model = sklearn.linear_model.LogisticRegression(
        C=regularization, solver=SOLVER, tol=TOLERANCE, max_iter=MAX_ITERATIONS
    )
    return model.fit(features, y, sample_weight=weight)


def self_label(
    data_model: Any,
    training: TrainingData,
    specs: tuple[FieldSpec, ...],
    rng: random.Random,
    answers: TrainingData | None = None,
    regularization: float = REGULARIZATION_C,
) -> TrainingData:
    """The certain seeds plus the ``unsure`` pairs a first model is confident about.

    The rules label pairs from names and identifiers only; a pair sharing a phone under another
    name, or namesakes with different phones, may be one person or two, and only the other
    fields (birth date, address, city, nicknames…) can tell. A first model trained on the
    certain seeds (with identifier damage, so those other fields carry weight) labels the unsure
    pairs it scores above ``SELF_LABEL_CONFIDENCE`` or below its complement; the rest stay
    unlabelled. Returns match/distinct only.
    """
    unsure = list(training.get("unsure", []))
    certain: TrainingData = {
        "match": list(training["match"]),
        "distinct": list(training["distinct"]),
    }
    if not unsure:
        return certain
    first = fit_classifier(
        data_model, augment(certain, specs, rng), answers, regularization, seeds=certain
    )
    p = first.predict_proba(PairFeatures(data_model)(unsure))[:, 1]
    matches = [pair for pair, s in zip(unsure, p, strict=True) if s >= SELF_LABEL_CONFIDENCE]
    distinct = [pair for pair, s in zip(unsure, p, strict=True) if s <= 1 - SELF_LABEL_CONFIDENCE]
    log.info(
        "self-labelled %d of %d unsure seed pairs: %d match, %d distinct",
        len(matches) + len(distinct),
        len(unsure),
        len(matches),
        len(distinct),
    )
    return {"match": certain["match"] + matches, "distinct": certain["distinct"] + distinct}
