"""Guards on scores: name-only pairs and name frequency."""

from __future__ import annotations

import polars as pl

from resolution.config import default_config
from resolution.fields import NAME_COUNT, field_specs, name_counts
from resolution.model import NAME_ONLY_CAP, RARE_NAME, MatchModel, name_only

SPECS = field_specs(default_config())


def rec(name=None, count=None, phones=None, city=None, nicknames=None, given=None):
    return {"name": name, "given": given, "surname": None, "phones": phones, "emails": None,
            "handles": None, "nicknames": nicknames, "email_local": None, "city": city,
            NAME_COUNT: count}


def test_a_shared_identifier_city_or_nickname_is_more_than_a_name():
    assert not name_only(rec("ivan ivanov", 40, phones=("+7916",)),
                         rec("ivan ivanov", 40, phones=("+7916", "+7926")), SPECS)
    assert not name_only(rec("ivan ivanov", 40, city="москва"),
                         rec("ivan petrov", 5, city="москва"), SPECS)
    assert not name_only(rec("ivan", 90, nicknames=("vanya85",)),
                         rec("ivan ivanov", 40, nicknames=("vanya85",)), SPECS)


def test_only_a_rare_full_name_counts_on_its_own():
    assert not name_only(rec("ivan zhukovskii", RARE_NAME), rec("ivan zhukovskii", RARE_NAME),
                         SPECS)
    assert name_only(rec("ivan ivanov", RARE_NAME + 1), rec("ivan ivanov", RARE_NAME + 1), SPECS)
    # a one-word name is never enough, however rare; nor are two different names
    assert name_only(rec("shaha", 2), rec("shaha", 2), SPECS)
    assert name_only(rec("ivan ivanov", 2), rec("ivan ivanova", 2), SPECS)
    # different cities are no agreement
    assert name_only(rec("ivan ivanov", 9, city="москва"), rec("ivan ivanov", 9, city="омск"),
                     SPECS)


def test_name_only_pairs_score_below_the_threshold():
    import numpy as np

    n = len(MatchModel(specs=SPECS, weights=np.zeros(1), bias=0.0, predicates=(),
                       threshold=0.5, stats={}).data_model.field_variables)
    n_missing = sum(v.has_missing for v in MatchModel(
        specs=SPECS, weights=np.zeros(1), bias=0.0, predicates=(), threshold=0.5,
        stats={}).data_model.field_variables)
    model = MatchModel(specs=SPECS, weights=np.zeros(n + n_missing), bias=5.0, predicates=(),
                       threshold=0.6, stats={})
    common = (rec("ivan ivanov", 30), rec("ivan ivanov", 30))
    rare = (rec("ivan zhukovskii", 2), rec("ivan zhukovskii", 2))
    phone = (rec("ivan ivanov", 30, phones=("+7916",)), rec("ivan ivanov", 30, phones=("+7916",)))
    scores = model.score([common, rare, phone])
    assert scores[0] == NAME_ONLY_CAP * 0.6 < 0.6
    assert scores[1] > 0.99 and scores[2] > 0.99


def test_name_counts_count_one_word_names_among_all_bearers_of_the_given_name():
    df = pl.DataFrame({"name_key": ["igor kondratev", "igor belov", "igor", "kondratev igor",
                                    None],
                       "given_key": ["igor", "igor", "igor", "igor", None]})
    got = name_counts(df).to_list()
    assert got[0] == {"key": "igor kondratev", "n": 2}  # token order carries no identity
    assert got[2] == {"key": "igor", "n": 4}
    assert got[4] is None
