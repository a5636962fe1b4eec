"""Why a pair scored what it did: the logit of dedupe's classifier split by field.

dedupe's classifier is a logistic regression over the data model's distance features, so a
pair's logit is ``bias + Σ weight_j · feature_j``. Every feature belongs to one field (its
distance, its "present" indicator) or to an interaction of fields, so summing the terms per
field gives each field's contribution: positive pushed the pair towards "same person"
(the field agreed), negative away from it (it disagreed), zero means the field was missing on
a side. The contributions plus the bias add up to the logit exactly, which is what makes them
an explanation rather than a heuristic.

How a contribution is put into words is the reader's business (``edin explain``, the review
app); this module only computes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from resolution.contract import REASON_PREFIX
from resolution.errors import ModelError

# Columns of the data model's distance vector, in dedupe's order (see
# dedupe.datamodel.DataModel.distances): the field variables (a multi-column variable such as
# Categorical takes several), then interactions, then one "present" indicator per column that
# may be missing.


def feature_fields(data_model: Any) -> list[str]:
    """The field each column of ``data_model.distances`` belongs to (``a×b`` for an
    interaction of fields a and b)."""
    columns: list[str] = []
    for var in data_model.field_variables:
        columns.extend([var.field] * max(len(var), 1))
    names = [v.name for v in data_model.field_variables]
    for indices in data_model._interaction_indices:
        parts = sorted({columns[i] if i < len(columns) else names[i] for i in indices})
        columns.append("×".join(parts))
    columns += [columns[i] for i in data_model._missing_field_indices]
    if len(columns) != len(data_model):
        raise ModelError(
            f"cannot map {len(data_model)} dedupe features to fields "
            f"(got {len(columns)}); the data model has a variable type "
            "resolution.matching.explanation does not know"
        )
    return columns


def field_weights(model: Any) -> tuple[list[str], np.ndarray]:
    """The explained fields (in declaration order) and the (features × fields) matrix whose
    column f holds the classifier weight of every feature of field f, zero elsewhere. A
    Fellegi–Sunter model's features are its fields' weights already: the identity."""
    if getattr(model, "fs", None) is not None:
        fields = list(model.fs.fields)
        return fields, np.eye(len(fields), dtype=np.float64)
    columns = feature_fields(model.data_model)
    if len(columns) != len(model.weights):
        raise ModelError(
            f"the model has {len(model.weights)} weights for {len(columns)} "
            "features; retrain with `edin run --retrain`"
        )
    fields = list(dict.fromkeys(columns))
    matrix = np.zeros((len(columns), len(fields)), dtype=np.float64)
    for j, name in enumerate(columns):
        matrix[j, fields.index(name)] = model.weights[j]
    return fields, matrix


def contributions(features: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(pairs × fields) contributions to the logit; each row sums to logit − bias."""
    return np.asarray(features.astype(np.float64) @ matrix)


def reason_columns(fields: list[str]) -> list[str]:
    return [REASON_PREFIX + f for f in fields]


def reasons_frame(
    left: np.ndarray, right: np.ndarray, scores: np.ndarray, contrib: np.ndarray, fields: list[str]
) -> pl.DataFrame:
    """One row per pair: record ids, score and one Float32 contribution column per field."""
    data: dict[str, Any] = {"record_id_l": left, "record_id_r": right, "score": scores}
    for i, col in enumerate(reason_columns(fields)):
        data[col] = contrib[:, i].astype(np.float32)
    return pl.DataFrame(data)


def ranked_reasons(row: dict[str, Any], top: int | None = None) -> list[tuple[str, float]]:
    """(field, contribution) of a pair-reasons row, strongest first, missing fields left out."""
    got = [
        (k[len(REASON_PREFIX) :], float(v))
        for k, v in row.items()
        if k.startswith(REASON_PREFIX) and v is not None and abs(float(v)) >= 1e-6
    ]
    got.sort(key=lambda kv: (-abs(kv[1]), kv[0]))
    return got[:top] if top else got
