"""Explanations: per-field contributions add up to the pair's logit, and are stored with it."""

from __future__ import annotations

import dedupe.predicates as P
import duckdb
import numpy as np
import polars as pl
import pytest

from resolution.config import default_config
from resolution.contract import REASON_PREFIX
from resolution.linking.scoring import NAME_ONLY_GUARD, score_candidates
from resolution.matching.explanation import (
    contributions,
    feature_fields,
    field_weights,
    ranked_reasons,
)
from resolution.matching.fields import field_specs, n_features
from resolution.matching.model import MatchModel
from resolution.matching.scoring import score_pairs


def rec(name, phones=None, emails=None, city=None, given=None, surname=None):
    return {
        "name": name,
        "given": given,
        "surname": surname,
        "phones": phones,
        "emails": emails,
        "handles": None,
        "nicknames": None,
        "email_local": None,
        "city": city,
    }


RECORDS = {
    1: rec("ivan ivanov", ("+79161234567",), city="москва", given="ivan", surname="ivanov"),
    2: rec("ivan ivanov", ("+79161234567",), city="москва", given="ivan", surname="ivanov"),
    3: rec("ivanov vanya", ("+79161234567",), ("v@mail.ru",), given="vania", surname="ivanov"),
    4: rec("petr petrov", ("+79267654321",), city="казань", given="petr", surname="petrov"),
    5: rec(None, None, ("v@mail.ru",)),
}


@pytest.fixture
def model() -> MatchModel:
    specs = field_specs(default_config())
    rng = np.random.default_rng(5)
    return MatchModel(
        specs=specs,
        weights=rng.normal(0, 2, n_features(specs)),
        bias=-1.3,
        predicates=(P.SimplePredicate(P.commonSetElementPredicate, "phones"),),
        threshold=0.5,
        stats={},
    )


def test_every_feature_belongs_to_a_declared_field(model):
    columns = feature_fields(model.data_model)
    assert len(columns) == len(model.weights)
    assert set(columns) == {s.name for s in model.specs}


@pytest.mark.parametrize("a,b", [(1, 2), (1, 3), (1, 4), (3, 5), (4, 5)])
def test_contributions_plus_bias_are_the_logit(model, a, b):
    pair = [(RECORDS[a], RECORDS[b])]
    fields, matrix = field_weights(model)
    contrib = contributions(model.features(pair), matrix)[0]
    p = score_pairs(model, pair).score[0]
    assert contrib.sum() + model.bias == pytest.approx(np.log(p / (1 - p)), abs=1e-6)
    # a field missing on a side says nothing either way
    for name, c in zip(fields, contrib, strict=True):
        if RECORDS[a].get(name) is None or RECORDS[b].get(name) is None:
            assert c == 0


def test_scoring_stores_reasons_beside_scores(model):
    con = duckdb.connect()
    pairs = pl.DataFrame({"record_id_l": [1, 1, 1, 3, 4], "record_id_r": [2, 3, 4, 5, 5]})
    con.register("p", pairs)
    con.execute("CREATE TABLE candidate_pairs AS SELECT * FROM p")
    got = score_candidates(con, model, RECORDS, chunk=2)
    scored, reasons = got.scored, got.reasons
    assert reasons.select(scored.columns).equals(scored)
    assert scored["score"].to_list() == pytest.approx(
        score_pairs(
            model,
            [
                (RECORDS[a], RECORDS[b])
                for a, b in scored.select("record_id_l", "record_id_r").iter_rows()
            ],
        ).score.tolist()
    )
    cols = [c for c in reasons.columns if c.startswith(REASON_PREFIX)]
    assert cols == [*(REASON_PREFIX + s.name for s in model.specs), REASON_PREFIX + NAME_ONLY_GUARD]
    assert all(reasons.schema[c] == pl.Float32 for c in cols)
    logit = reasons.select(pl.sum_horizontal(cols) + model.bias).to_series().to_numpy()
    p = reasons["score"].to_numpy()
    assert np.allclose(logit, np.log(p / (1 - p)), atol=1e-4)


def test_ranked_reasons_strongest_first_without_missing_fields():
    row = {"score": 0.9, "w_name": -0.5, "w_phones": 3.0, "w_city": 0.0, "w_given": None}
    assert ranked_reasons(row) == [("phones", 3.0), ("name", -0.5)]
    assert ranked_reasons(row, top=1) == [("phones", 3.0)]


def test_creation_time_reads_as_closeness_not_agreement():
    from edin.explain import format_reasons

    assert format_reasons([("phones", 5.7), ("created", -1.9), ("city", -0.4)]) == (
        "phones +5.70 (agree), created -1.90 (far apart in time), city -0.40 (disagree)"
    )
    assert format_reasons([("created", 0.3)]) == "created +0.30 (close in time)"
