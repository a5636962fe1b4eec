"""The trained match model: dedupe's data model, classifier weights and blocking predicates.

Persisted as plain JSON (``model.json``) next to dedupe's own training file (``training.json``):
no pickles, readable in review, and rebuilt exactly from the field declarations on load.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import itertools
import json
import logging
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dedupe
import dedupe.predicates as P
import numpy as np
import sklearn.linear_model
import sklearn.model_selection
from dedupe import branch_and_bound
from dedupe.api import flatten_training

from resolution.comparison import PairColumns, PairFeatures
from resolution.fields import NAME_COUNT, FieldSpec, Record, blank_identifiers, variables

log = logging.getLogger("edin")

MODEL_FILE = "model.json"
TRAINING_FILE = "training.json"
FORMAT_VERSION = 1
Pair = tuple[Record, Record]
TrainingData = dict[str, list[Pair]]


class ModelError(RuntimeError):
    """Training cannot proceed (for instance no match examples); the message says what to do."""


def _predicate_to_json(pred: Any) -> Any:
    if isinstance(pred, P.CompoundPredicate):
        return sorted((_predicate_to_json(p) for p in pred), key=json.dumps)
    if isinstance(pred, P.SimplePredicate):
        return {"class": type(pred).__name__, "func": pred.func.__name__, "field": pred.field}
    raise ModelError(f"predicate {pred!r} cannot be saved (only simple predicates are used)")


def _predicate_from_json(d: Any) -> Any:
    if isinstance(d, list):
        return P.CompoundPredicate(tuple(_predicate_from_json(p) for p in d))
    cls = {"SimplePredicate": P.SimplePredicate, "StringPredicate": P.StringPredicate}[d["class"]]
    return cls(getattr(P, d["func"]), d["field"])


@dataclass
class MatchModel:
    """Scores record pairs and fingerprints records into blocks."""

    specs: tuple[FieldSpec, ...]
    weights: np.ndarray
    bias: float
    predicates: tuple[Any, ...]
    threshold: float
    stats: dict[str, Any]

    def __post_init__(self) -> None:
        self.data_model = dedupe.datamodel.DataModel(variables(self.specs))
        self._features = PairFeatures(self.data_model)

    def features(self, pairs: Sequence[Pair] | PairColumns) -> np.ndarray:
        """dedupe's distance features of each pair (``data_model.distances``, column-wise)."""
        return self._features(pairs)

    def score(self, pairs: Sequence[Pair] | PairColumns) -> np.ndarray:
        """Match probability of each pair (dedupe's logistic model applied to its distances),
        held below the threshold where only a common or differing name connects the pair."""
        if not len(pairs):
            return np.zeros(0)
        cols = self.columns(pairs)
        return self.cap_name_only(cols, 1.0 / (1.0 + np.exp(-self.logit(self.features(cols)))))

    def columns(self, pairs: Sequence[Pair] | PairColumns) -> PairColumns:
        """``pairs`` as the columns scoring reads (the fields and the name count)."""
        return PairColumns.of(pairs, [*(s.name for s in self.specs), NAME_COUNT])

    def logit(self, features: np.ndarray) -> np.ndarray:
        """The classifier's log-odds per pair, before any guard."""
        return np.asarray(features.astype(np.float64) @ self.weights + self.bias)

    def cap_name_only(self, pairs: Sequence[Pair] | PairColumns, p: np.ndarray) -> np.ndarray:
        """``p`` held below the threshold for the pairs only a name connects (``name_only``)."""
        weak = name_only_pairs(pairs, self.specs)
        return np.where(weak, np.minimum(p, NAME_ONLY_CAP * self.threshold), p)

    def blocks(self, records: Iterable[tuple[int, Record]]) -> Iterator[tuple[str, int]]:
        """(block key, record id) for every block a record falls into: the keys of dedupe's
        fingerprinter, each predicate's computed once per distinct value of its fields (a
        million contacts hold about a third as many distinct names)."""
        rules = [(f":{i}", pred, [p.field for p in pred]) for i, pred in enumerate(self.predicates)]
        caches: list[dict[tuple[Any, ...], list[str]]] = [{} for _ in rules]
        for record_id, record in records:
            for (suffix, pred, fields), cache in zip(rules, caches, strict=True):
                values = tuple(record[f] for f in fields)
                keys = cache.get(values)
                if keys is None:
                    keys = cache[values] = [k + suffix for k in sorted(pred(record))]
                for key in keys:
                    yield key, record_id

    def feature_names(self) -> list[str]:
        names = [v.name for v in self.data_model.field_variables]
        extra = len(self.weights) - len(names)
        missing = [f"{v.name} present" for v in self.data_model.field_variables
                   if v.has_missing]
        return names + missing[:extra]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "dedupe": importlib.metadata.version("dedupe"),
            "fields": [s.to_json() for s in self.specs],
            "classifier": {"weights": [float(w) for w in self.weights], "bias": float(self.bias),
                           "features": self.feature_names()},
            "blocking": [_predicate_to_json(p) for p in self.predicates],
            "threshold": self.threshold,
            "stats": self.stats,
        }

    def save(self, directory: Path, training: TrainingData) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MODEL_FILE).write_text(json.dumps(self.to_json(), ensure_ascii=False,
                                                       indent=2), encoding="utf-8")
        with (directory / TRAINING_FILE).open("w", encoding="utf-8") as f:
            dedupe.serializer.write_training(training, f)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: Path) -> MatchModel:
        path = directory / MODEL_FILE
        if not path.exists():
            raise ModelError(f"no trained model in {directory}; run `edin run` first")
        d = json.loads(path.read_text(encoding="utf-8"))
        if d.get("format") != FORMAT_VERSION:
            raise ModelError(f"{path} has format {d.get('format')}, expected {FORMAT_VERSION}; "
                             "retrain with `edin run --retrain`")
        return cls(specs=tuple(FieldSpec.from_json(f) for f in d["fields"]),
                   weights=np.array(d["classifier"]["weights"], dtype=np.float64),
                   bias=float(d["classifier"]["bias"]),
                   predicates=tuple(_predicate_from_json(p) for p in d["blocking"]),
                   threshold=float(d["threshold"]), stats=d.get("stats", {}))


# Fields whose agreement alone is the name-only case: the name, and the city (at 50,000
# generated contacts, 92 % of the pairs above the threshold that shared a name and a city but
# nothing else were two people: many namesakes live in Moscow).
# The creation time is never agreement, only closeness.
NAME_FIELDS = frozenset({"name", "given", "surname", "city", "created"})
# A full name borne by at most this many contacts is rare: sharing it is evidence by itself.
RARE_NAME = 3
# Name-only pairs score at most this share of the threshold: they never merge on their own.
NAME_ONLY_CAP = 0.9
# Two values of a configured string field this similar agree (a typo apart).
FIELD_AGREEMENT = 0.8


def _similar(a: str, b: str) -> bool:
    """difflib's ratio of the two strings is at least ``FIELD_AGREEMENT`` (its cheap upper
    bounds first: most candidate pairs fail on them)."""
    matcher = difflib.SequenceMatcher(None, a, b)
    return (matcher.real_quick_ratio() >= FIELD_AGREEMENT
            and matcher.quick_ratio() >= FIELD_AGREEMENT and matcher.ratio() >= FIELD_AGREEMENT)


def _agree(spec: FieldSpec, left: list[Any], right: list[Any]) -> np.ndarray:
    """Per pair, whether the two values of a non-name field agree: sets share an element,
    values are equal, or (configured string fields) a typo apart."""
    if spec.type == "Set":
        col = [a is not None and b is not None and not set(a).isdisjoint(b)
               for a, b in zip(left, right, strict=True)]
    elif spec.name.startswith("f_"):
        col = [a is not None and b is not None and (a == b or _similar(a, b))
               for a, b in zip(left, right, strict=True)]
    else:
        col = [a is not None and a == b for a, b in zip(left, right, strict=True)]
    return np.array(col, dtype=bool)


def name_only_pairs(pairs: Sequence[Pair] | PairColumns, specs: Sequence[FieldSpec]
                    ) -> np.ndarray:
    """Per pair, True when nothing but the names (and perhaps the city) connects the two
    records, and the names are not one rare full name: no shared phone, e-mail, handle,
    nickname or e-mail local part, no agreeing configured field.

    The logistic model, taught by seeds that all share an identifier or differ outright,
    scored such pairs 0.6-0.9; at 50,000 generated contacts 90 % of the name-only pairs above
    the threshold were two people (68 % when the full names were equal): most names are
    borne by several people. Equal full names count when few contacts bear them (in
    generated data, 85 % of such pairs were one person when at most three contacts did).
    """
    cols = PairColumns.of(pairs, [*(s.name for s in specs), NAME_COUNT])
    linked = np.zeros(len(cols), dtype=bool)
    for spec in specs:
        if spec.name not in NAME_FIELDS:
            linked |= _agree(spec, *cols.field(spec.name))
    names, other_names = cols.field("name")
    rare_same = np.array([a is not None and a == b and " " in a and n is not None
                          and n <= RARE_NAME
                          for a, b, n in zip(names, other_names, cols.field(NAME_COUNT)[0],
                                             strict=True)], dtype=bool)
    return ~linked & ~rare_same


def name_only(a: Record, b: Record, specs: Sequence[FieldSpec]) -> bool:
    """``name_only_pairs`` of one pair."""
    return bool(name_only_pairs([(a, b)], specs)[0])


def _seeded_sample(records: dict[int, Record], size: int, rng: random.Random) -> dict[int, Record]:
    ids = sorted(records)
    if len(ids) > size:
        ids = sorted(rng.sample(ids, size))
    return {i: records[i] for i in ids}


# A conjunction is only worth considering when each part covers this share of the matches.
CONJUNCTION_MIN_SHARE = 0.01
# Node budget of dedupe's branch-and-bound search for the cheapest covering rule set.
SEARCH_CALLS = 2500
# No blocking rule may make more than this many candidate pairs per record (estimated on the
# training sample): candidate pairs, scoring time and memory then grow linearly with the data.
MAX_PAIRS_PER_RULE_RECORD = 10


def rule_budget(sample_size: int, n_records: int) -> float:
    """Most pairs a rule may cover in a sample of ``sample_size`` of ``n_records`` records.

    A rule making k pairs per record makes k·N pairs on N records, of which a uniform sample of
    n records sees k·N·(n/N)² = k·n²/N.
    """
    return MAX_PAIRS_PER_RULE_RECORD * sample_size ** 2 / max(n_records, sample_size, 1)


def learn_blocking(block_learner: Any, matches: list[Pair], recall: float,
                   budget: float = float("inf")) -> tuple[Any, ...]:
    """The cheapest set of blocking rules (single predicates or pairs) covering ``recall`` of the
    matches, cost measured on the learner's record sample.

    dedupe's own learner draws 5,000 random-forest conjunctions, which took minutes here; all
    pairwise conjunctions of useful predicates are fewer, deterministic and cover the same ground.
    Rules covering more than ``budget`` sample pairs are not considered (on fake_20000 a
    commonFourGram rule alone made 2.7M candidate pairs for 20k records); the recall target
    drops to what the affordable rules can cover.
    """
    comparison_cover = block_learner.comparison_cover
    match_cover = {p: c for p, c in block_learner.cover(matches, index_predicates=False).items()
                   if p in comparison_cover}
    if not match_cover:
        raise ModelError("no blocking rule covers any matched training pair")
    candidates: dict[Any, frozenset[int]] = {}
    for pred in sorted(match_cover, key=repr):
        pred.cover_count = len(comparison_cover[pred])
        if pred.cover_count <= budget:
            candidates[pred] = match_cover[pred]
    useful = [p for p in sorted(match_cover, key=repr)
              if len(match_cover[p]) >= CONJUNCTION_MIN_SHARE * len(matches)]
    for a, b in itertools.combinations(useful, 2):
        if a.field == b.field:
            continue
        covered = match_cover[a] & match_cover[b]
        if covered:
            compound = P.CompoundPredicate((a, b))
            compound.cover_count = len(comparison_cover[a] & comparison_cover[b])
            if compound.cover_count <= budget:
                candidates[compound] = covered
    if not candidates:
        raise ModelError("no blocking rule within the pair budget covers a matched training pair")
    coverable = frozenset.union(*candidates.values())
    target = min(int(recall * len(matches)), len(coverable))
    return tuple(branch_and_bound.search(candidates, target, SEARCH_CALLS))


def _typo(value: str, rng: random.Random) -> str:
    """One keyboard slip: swap, delete, double or replace a character."""
    if len(value) < 2:
        return value
    i = rng.randrange(len(value) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    if kind == 1:
        return value[:i] + value[i + 1:]
    if kind == 2:
        return value[:i] + value[i] + value[i:]
    return value[:i] + rng.choice("aeioubcdklmnprst0123456789") + value[i + 1:]


def augment(training: TrainingData, specs: tuple[FieldSpec, ...], rng: random.Random
            ) -> TrainingData:
    """Training pairs plus, for every match, a copy of its right side damaged like real data.

    Seed matches are chosen *because* they share an identifier and carry similar names, so a
    model trained on them alone learns "same identifier or nothing", and rejects duplicates
    with a typo in an ID, a new phone number or no e-mail. Each copy
    damages the identifiers (a keyboard slip, another contact's value, or none), so the other
    fields must carry the decision. (Noise in the other fields too was tried: it taught the
    model to forgive real name differences and cost precision.)
    """
    ids = [s for s in specs if s.identifier or s.from_identifier]
    pool = {s.name: sorted({r[s.name] for pair in training["match"] for r in pair
                            if r.get(s.name)}, key=str) for s in ids}
    extra: list[Pair] = []
    for a, b in training["match"]:
        damaged = dict(b)
        how = rng.choice(("typo", "replace", "drop"))
        for spec in ids:
            value = damaged.get(spec.name)
            if how == "typo" and isinstance(value, str) and len(value) > 1:
                damaged[spec.name] = _typo(value, rng)
            elif how == "replace" and value and pool[spec.name]:
                damaged[spec.name] = rng.choice(pool[spec.name])
            else:
                damaged[spec.name] = None
        extra.append((a, damaged))
    return {"match": list(training["match"]) + extra, "distinct": list(training["distinct"])}


# A pair the rules could not decide becomes a label only when the first model is this sure of it.
SELF_LABEL_CONFIDENCE = 0.9


def _classifier() -> sklearn.model_selection.GridSearchCV:
    """dedupe's logistic regression with the regularisation chosen by log-loss.

    dedupe picks the regularisation by F1, which ties across a wide range of C on separable
    seeds and then favours heavily shrunk, badly calibrated scores; log-loss is a proper
    scoring rule, so the chosen model's 0.5 means "as likely a match as not".
    """
    return sklearn.model_selection.GridSearchCV(
        estimator=sklearn.linear_model.LogisticRegression(max_iter=2000),
        param_grid={"C": [0.001, 0.01, 0.1, 1, 10, 100]}, scoring="neg_log_loss", n_jobs=1)


# Cross-validating the regularisation needs this many examples of each class (one per fold).
CV_FOLDS = 5


# Each operator's answer weighs as much as this share of the seed pairs: answers are few, chosen
# where the model is unsure, and right; weighed like one seed each, a hundred of them were lost
# among ten thousand seeds and the model did not move.
ANSWER_WEIGHT_SHARE = 0.005


def answer_weight(training: TrainingData) -> float:
    """The sample weight of one answered pair against the pairs of ``training`` (the seeds and
    the damaged copies of their matches)."""
    seeds = len(training["match"]) + len(training["distinct"])
    return max(1.0, ANSWER_WEIGHT_SHARE * seeds)


def _fit(data_model: Any, training: TrainingData, answers: TrainingData | None = None) -> Any:
    """The logistic model on ``training`` plus the operator's ``answers`` (each weighing
    ``answer_weight``); with too few examples to cross-validate (a small first export), a
    fixed, moderate regularisation instead of none at all."""
    answers = answers or {"match": [], "distinct": []}
    examples, y = flatten_training(training)  # type: ignore[arg-type]
    answered, y_answered = flatten_training(answers)  # type: ignore[arg-type]
    features = PairFeatures(data_model)(list(examples) + list(answered))
    y = np.concatenate([y, y_answered])
    weight = np.concatenate([np.ones(len(examples)),
                             np.full(len(answered), answer_weight(training))])
    matches = len(training["match"]) + len(answers["match"])
    distinct = len(training["distinct"]) + len(answers["distinct"])
    if min(matches, distinct) < CV_FOLDS:
        log.warning("only %d match / %d distinct training pairs: the model is rough; add "
                    "labelled pairs with --labels", matches, distinct)
        return sklearn.linear_model.LogisticRegression(C=1.0, max_iter=2000).fit(
            features, y, sample_weight=weight)
    return _classifier().fit(features, y, sample_weight=weight).best_estimator_


def self_label(data_model: Any, training: TrainingData, specs: tuple[FieldSpec, ...],
               rng: random.Random, answers: TrainingData | None = None) -> TrainingData:
    """The certain seeds plus the ``unsure`` pairs a first model is confident about.

    The rules label pairs from names and identifiers only; a pair sharing a phone under another
    name, or namesakes with different phones, may be one person or two, and only the other
    fields (birth date, address, city, nicknames…) can tell. A first model trained on the
    certain seeds (with identifier damage, so those other fields carry weight) labels the unsure
    pairs it scores above ``SELF_LABEL_CONFIDENCE`` or below its complement; the rest stay
    unlabelled. Returns match/distinct only.
    """
    unsure = list(training.get("unsure", []))
    certain: TrainingData = {"match": list(training["match"]),
                             "distinct": list(training["distinct"])}
    if not unsure:
        return certain
    first = _fit(data_model, augment(certain, specs, rng), answers)
    p = first.predict_proba(PairFeatures(data_model)(unsure))[:, 1]
    matches = [pair for pair, s in zip(unsure, p, strict=True) if s >= SELF_LABEL_CONFIDENCE]
    distinct = [pair for pair, s in zip(unsure, p, strict=True)
                if s <= 1 - SELF_LABEL_CONFIDENCE]
    log.info("self-labelled %d of %d unsure seed pairs: %d match, %d distinct",
             len(matches) + len(distinct), len(unsure), len(matches), len(distinct))
    return {"match": certain["match"] + matches, "distinct": certain["distinct"] + distinct}


# Hard negatives are looked for among the blocked pairs of this many times the training sample.
NEIGHBOUR_SAMPLE_FACTOR = 10
NeighbourLabeller = Callable[[list[tuple[int, int]]], list[tuple[int, int]]]


# At most this many blocked sample pairs are examined for hard negatives (memory stays flat:
# 25 rules over 20,000 records once made tens of millions of pairs and a 21 GB peak).
MAX_NEIGHBOUR_PAIRS = 200_000


def sample_neighbours(predicates: Sequence[Any], sample: dict[int, Record],
                      max_block: int = 100,
                      max_pairs: int = MAX_NEIGHBOUR_PAIRS) -> list[tuple[int, int]]:
    """Record-id pairs (l < r) the blocking rules put together within the sample, sorted.

    When the blocks hold more than ``max_pairs`` pairs, a deterministic 1-in-k subset of them
    is kept (chosen by the record ids, so the same input gives the same pairs).
    """
    blocks: dict[str, list[int]] = {}
    for key, record_id in dedupe.blocking.Fingerprinter(list(predicates))(sorted(sample.items())):
        blocks.setdefault(key, []).append(record_id)
    groups = [sorted(set(ids)) for ids in blocks.values() if len(ids) <= max_block]
    total = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    k = max(1, -(-total // max_pairs))
    pairs = {(a, b) for ids in groups for a, b in itertools.combinations(ids, 2)
             if (a * 1_000_003 + b) % k == 0}
    return sorted(pairs)


def train(records: dict[int, Record], training: TrainingData, specs: tuple[FieldSpec, ...], *,
          threshold: float, sample_size: int, recall: float, seed: int,
          hard_negatives: NeighbourLabeller | None = None,
          answers: TrainingData | None = None) -> MatchModel:
    """Learn blocking rules, then fit dedupe's classifier on the labelled pairs.

    dedupe's blocking learner sees only a seeded sample of records (its memory grows with the
    pairs each candidate predicate covers in the sample). Blocking is learned on the matched
    pairs *and* on copies of them stripped of strong identifiers, so that duplicates that share
    no phone, e-mail or handle (about half of them in helpdesk data) still meet in some block.

    The classifier is trained on the certain seeds, plus ``hard_negatives`` (given the sample
    pairs the learned rules block together, it returns those known to be distinct: the region
    the model must judge), plus the unsure seeds a first model is confident about. The
    operator's ``answers`` (``--labels``) join the matches blocking must cover and weigh more
    than a seed each in both fits (``answer_weight``).
    """
    answers = {"match": list((answers or {}).get("match", [])),
               "distinct": list((answers or {}).get("distinct", []))}
    if not training["match"] and not answers["match"]:
        raise ModelError("no match examples to learn from: the cold start found no contacts "
                         "sharing a phone, e-mail or handle with a compatible name; pass labelled "
                         "pairs with --labels")
    if not training["distinct"] and not answers["distinct"]:
        raise ModelError("no distinct examples to learn from; pass labelled pairs with --labels")
    rng = random.Random(seed)
    random.seed(seed)  # dedupe samples with the global generators
    np.random.seed(seed)
    certain: TrainingData = {"match": list(training["match"]),
                             "distinct": list(training["distinct"])}
    deduper = dedupe.Dedupe(variables(specs), num_cores=1)
    deduper.mark_pairs({k: certain[k] + answers[k] for k in certain})  # type: ignore[arg-type]
    sample = _seeded_sample(records, sample_size, rng)
    deduper.prepare_training(sample, sample_size=len(sample))

    dupes = certain["match"] + answers["match"]
    dupes += [(blank_identifiers(a, specs), blank_identifiers(b, specs)) for a, b in dupes]
    assert deduper.active_learner is not None
    learned = learn_blocking(deduper.active_learner.blocker.block_learner, dupes, recall,
                             rule_budget(len(sample), len(records)))
    # Strong identifiers always block: their blocks are small once hub values are removed.
    forced = [P.SimplePredicate(P.commonSetElementPredicate, s.name) if s.type == "Set"
              else P.SimplePredicate(P.wholeFieldPredicate, s.name) for s in specs if s.identifier]
    predicates = sorted(set(learned) | set(forced), key=lambda p: json.dumps(_predicate_to_json(p)))
    log.info("blocking rules: %s", "; ".join(repr(p) for p in predicates))

    hard: list[Pair] = []
    if hard_negatives is not None:
        # Blocked pairs with conflicting identifiers are rare in a sparse sample of a large
        # data set (50 of them on 50k helpdesk contacts): look for them in a larger sample.
        wider = _seeded_sample(records, NEIGHBOUR_SAMPLE_FACTOR * sample_size, rng)
        hard = [(records[a], records[b])
                for a, b in hard_negatives(sample_neighbours(predicates, wider))]
        log.info("%d hard negatives among the blocked sample pairs", len(hard))
    certain["distinct"] += hard
    final = self_label(deduper.data_model, certain | {"unsure": training.get("unsure", [])},
                       specs, rng, answers)
    augmented = augment(final, specs, rng)
    best = _fit(deduper.data_model, augmented, answers)
    stats = {"match_examples": len(final["match"]),
             "distinct_examples": len(final["distinct"]), "hard_negatives": len(hard),
             "answered_match": len(answers["match"]),
             "answered_distinct": len(answers["distinct"]),
             # the weight _fit gave each answer (against the augmented training pairs)
             "answer_weight": answer_weight(augmented) if answers["match"] or answers["distinct"]
             else 0.0,
             "regularization_C": float(best.C), "training_sample": len(sample)}
    return MatchModel(specs=specs, weights=best.coef_[0].astype(np.float64),
                      bias=float(best.intercept_[0]), predicates=tuple(predicates),
                      threshold=threshold, stats=stats)
