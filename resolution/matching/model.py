"""The trained match model: dedupe's data model, classifier weights and blocking predicates.

Persisted as plain JSON (``model.json``) next to dedupe's own training file (``training.json``):
no pickles, readable in review, and rebuilt exactly from the field declarations on load.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dedupe
import dedupe.predicates as P
import numpy as np

from resolution._typing import Pair, Record, TrainingData
from resolution.errors import ModelError
from resolution.files import write_atomic
from resolution.home import MODEL_FILE, TRAINING_FILE
from resolution.matching.comparison import PairColumns, PairFeatures
from resolution.matching.fellegi_sunter import FellegiSunter
from resolution.matching.fields import NAME_COUNT, FieldSpec, variables

FORMAT_VERSION = 1


def predicate_to_json(pred: Any) -> Any:
    if isinstance(pred, P.CompoundPredicate):
        return sorted((predicate_to_json(p) for p in pred), key=json.dumps)
    if isinstance(pred, P.SimplePredicate):
        return {"class": type(pred).__name__, "func": pred.func.__name__, "field": pred.field}
    raise ModelError(f"predicate {pred!r} cannot be saved (only simple predicates are used)")


def predicate_key(pred: Any) -> str:
    """A predicate's JSON text: sorts blocking rules the same way on every run."""
    return json.dumps(predicate_to_json(pred))


def predicate_from_json(d: Any) -> Any:
    if isinstance(d, list):
        return P.CompoundPredicate(tuple(predicate_from_json(p) for p in d))
    cls = {"SimplePredicate": P.SimplePredicate, "StringPredicate": P.StringPredicate}[d["class"]]
    return cls(getattr(P, d["func"]), d["field"])


@dataclass
class MatchModel:
    """dedupe's data model with the classifier's weights and the blocking rules: computes a
    pair's features and log-odds (``resolution.matching.scoring`` turns them into scores) and
    fingerprints records into blocks. With ``fs``, the Fellegi–Sunter model scores instead of
    the classifier (dedupe still blocks)."""

    specs: tuple[FieldSpec, ...]
    weights: np.ndarray
    bias: float
    predicates: tuple[Any, ...]
    threshold: float
    stats: dict[str, Any]
    # The Fellegi–Sunter model that scores the pairs instead of the classifier, in a home
    # trained with no identifier seeds (``resolution.training.em``), refined by its answers.
    fs: FellegiSunter | None = None

    def __post_init__(self) -> None:
        self.data_model = dedupe.datamodel.DataModel(variables(self.specs))
        self._features = PairFeatures(self.data_model)

    def features(self, pairs: Sequence[Pair] | PairColumns) -> np.ndarray:
        """dedupe's distance features of each pair (``data_model.distances``, column-wise)."""
        return self._features(pairs)

    def columns(self, pairs: Sequence[Pair] | PairColumns) -> PairColumns:
        """``pairs`` as the columns scoring reads (the fields and the name count)."""
        return PairColumns.of(pairs, [*(s.name for s in self.specs), NAME_COUNT])

    def logit(self, features: np.ndarray) -> np.ndarray:
        """The classifier's log-odds per pair, before any guard."""
        return np.asarray(features.astype(np.float64) @ self.weights + self.bias)

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
        missing = [f"{v.name} present" for v in self.data_model.field_variables if v.has_missing]
        return names + missing[:extra]

    def chart_weights(self) -> list[tuple[str, float]]:
        """(name, weight) of what scores the pairs, for the run's chart: the Fellegi–Sunter
        model's weight per field and level (in log-odds), else the classifier's per feature."""
        if self.fs is not None:
            return [(f"{f} {lv}", w * math.log(2)) for f, lv, _, _, w in self.fs.level_table()]
        return list(zip(self.feature_names(), self.weights.tolist(), strict=True))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "dedupe": importlib.metadata.version("dedupe"),
            "fields": [s.to_json() for s in self.specs],
            "classifier": {
                "weights": [float(w) for w in self.weights],
                "bias": float(self.bias),
                "features": self.feature_names(),
            },
            "blocking": [predicate_to_json(p) for p in self.predicates],
            "threshold": self.threshold,
            "stats": self.stats,
            **({"fellegi_sunter": self.fs.to_json()} if self.fs is not None else {}),
        }

    def save(self, directory: Path, training: TrainingData) -> None:
        """``model.json`` and dedupe's ``training.json`` (the labelled pairs) in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        # training first: a model.json is only ever beside the training data it came from
        write_atomic(directory / TRAINING_FILE, training_text(training))
        write_atomic(
            directory / MODEL_FILE, json.dumps(self.to_json(), ensure_ascii=False, indent=2)
        )

    @classmethod
    def load(cls, directory: Path) -> MatchModel:
        """The model saved in ``directory`` (a model folder, or a snapshot's copy)."""
        path = directory / MODEL_FILE
        if not path.exists():
            raise ModelError(f"no trained model in {directory}; run `edin run` first")
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(
                f"{path} is not a readable model ({exc}); train a new one with `edin run --retrain`"
            ) from None
        if d.get("format") != FORMAT_VERSION:
            raise ModelError(
                f"{path} has format {d.get('format')}, expected {FORMAT_VERSION}; "
                "retrain with `edin run --retrain`"
            )
        return cls.from_json(d)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MatchModel:
        """The model of a ``to_json`` document (the Spark engine broadcasts it as text)."""
        return cls(
            specs=tuple(FieldSpec.from_json(f) for f in d["fields"]),
            weights=np.array(d["classifier"]["weights"], dtype=np.float64),
            bias=float(d["classifier"]["bias"]),
            predicates=tuple(predicate_from_json(p) for p in d["blocking"]),
            threshold=float(d["threshold"]),
            stats=d.get("stats", {}),
            fs=FellegiSunter.from_json(d["fellegi_sunter"]) if "fellegi_sunter" in d else None,
        )


def training_text(training: TrainingData) -> str:
    """What ``dedupe.serializer.write_training`` writes (the same text, read back by
    ``read_training``), by the C encoder: ``json.dump`` to a file takes the pure-Python one,
    seconds for the pairs of a large training."""
    return json.dumps(
        dedupe.serializer.hint_tuples(training), ensure_ascii=True, default=_frozenset_hint
    )


def _frozenset_hint(value: Any) -> Any:
    if isinstance(value, frozenset):
        return {"__class__": "frozenset", "__value__": list(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
