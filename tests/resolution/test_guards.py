"""Guards on scores and clusters: name-only pairs, name frequency, strong links, weak bridges."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest

from resolution.config import default_config
from resolution.linking.clustering import cluster_records
from resolution.linking.links import identifier_links, join_strong_links
from resolution.matching.fields import NAME_COUNT, field_specs, name_counts
from resolution.matching.guard import (
    CITY_SAME_BITS,
    DEFAULT_WEIGHTS,
    NAME_ONLY_CAP,
    RARE_NAME,
    NameWeights,
    name_evidence_bits,
    name_only,
    name_only_pairs,
)
from resolution.matching.model import MatchModel
from resolution.matching.scoring import score_pairs

SPECS = field_specs(default_config())


def rec(name=None, count=None, phones=None, city=None, nicknames=None, given=None):
    return {
        "name": name,
        "given": given,
        "surname": None,
        "phones": phones,
        "emails": None,
        "handles": None,
        "nicknames": nicknames,
        "email_local": None,
        "city": city,
        NAME_COUNT: count,
    }


def test_a_shared_identifier_or_nickname_is_more_than_a_name():
    assert not name_only(
        rec("ivan ivanov", 40, phones=("+7916",)),
        rec("ivan ivanov", 40, phones=("+7916", "+7926")),
        SPECS,
    )
    assert not name_only(
        rec("ivan", 90, nicknames=("vanya85",)),
        rec("ivan ivanov", 40, nicknames=("vanya85",)),
        SPECS,
    )


def test_a_shared_full_name_counts_as_its_frequency_and_context_weigh():
    # the name alone, its odds NAME_ODDS / n, never reaches PASS_ODDS: context must add to it
    assert name_only(rec("ivan zhukovskii", 2), rec("ivan zhukovskii", 2), SPECS)
    close = {"created": 100.0}, {"created": 105.0}
    assert not name_only(
        rec("ivan zhukovskii", 2) | close[0], rec("ivan zhukovskii", 2) | close[1], SPECS
    )
    # the more contacts bear it, the less it weighs (term frequency)
    assert name_only(rec("ivan ivanov", 4) | close[0], rec("ivan ivanov", 4) | close[1], SPECS)
    # a one-word name is never enough, however rare; nor are two different names
    assert name_only(rec("shaha", 2) | close[0], rec("shaha", 2) | close[1], SPECS)
    assert name_only(rec("ivan ivanov", 2) | close[0], rec("ivan ivanova", 2) | close[1], SPECS)
    # the same city adds its Bayes factor, another city takes one away
    moscow, omsk = {"city": "москва"}, {"city": "омск"}
    assert not name_only(rec("ivan ivanov", 7) | moscow, rec("ivan ivanov", 7) | moscow, SPECS)
    assert name_only(rec("ivan ivanov", 9) | moscow, rec("ivan ivanov", 9) | moscow, SPECS)
    assert name_only(rec("ivan ivanov", 7) | moscow, rec("ivan ivanov", 7) | omsk, SPECS)
    # a name borne by more than RARE_NAME contacts never passes, whatever the context
    best = moscow | {"created": 100.0}
    common, rare = rec("ivan ivanov", RARE_NAME + 1) | best, rec("ivan ivanov", RARE_NAME) | best
    assert name_only(common, common, SPECS)
    assert not name_only(rare, rare, SPECS)
    # two different phones: two people, even for a rare name in one city
    assert name_only(
        rec("ivan zhukovskii", 2, phones=("+7916",)) | moscow,
        rec("ivan zhukovskii", 2, phones=("+7926",)) | moscow,
        SPECS,
    )


def test_created_far_apart_weighs_against_and_close_for():
    a = rec("ivan zhukovskii", 2) | {"created": 100.0}
    assert not name_only(a, a | {"created": 105.0}, SPECS)
    assert name_only(a, a | {"created": 1100.0}, SPECS)


def test_name_evidence_falls_with_the_names_frequency():
    pairs = [(rec("a b", n), rec("a b", n)) for n in (1, 2, 5, 30)]
    bits = name_evidence_bits(pairs, SPECS)
    assert list(bits) == sorted(bits, reverse=True)
    assert bits[0] - bits[1] == pytest.approx(1.0)  # twice as many bearers: one bit less
    assert name_evidence_bits([(rec("a b", 2), rec("a c", 2))], SPECS)[0] == -math.inf


# a home's own weights (``resolution.training.name_weights``), unlike the constants everywhere
HOME_WEIGHTS = NameWeights(
    name_odds=9.5,
    city_same=3.3,
    city_other=-0.4,
    created=((20.0, 1.7), (55.0, 1.1), (150.0, -0.2), (400.0, -1.3), (math.inf, -2.0)),
    phone_conflict=-1.1,
    email_conflict=-3.0,
    source="estimated",
)


@pytest.mark.parametrize("weights", [DEFAULT_WEIGHTS, HOME_WEIGHTS], ids=["default", "home"])
def test_sql_weighs_a_shared_name_as_python_does(weights):
    import duckdb

    from resolution.linking.blocking import guard_frame
    from resolution.matching.guard import linkable_sql

    cities = [None, "москва", "омск"]
    records = {}
    for i, (n, city, created, phone) in enumerate(
        itertools.product(
            (1, 2, 3, 4, 9, 15, 16, 31, 32, 60, 61),
            cities,
            (None, 0.0, 30.0, 500.0),
            (None, "+1", "+2"),
        )
    ):
        records[i] = rec("ivan ivanov", n, city=city, phones=(phone,) if phone else None) | {
            "created": created
        }
    con = duckdb.connect()
    con.register("g", guard_frame(records, list(SPECS)))
    got = con.execute(
        f"SELECT l.record_id, r.record_id, {linkable_sql(list(SPECS), weights=weights)}"
        " FROM g l JOIN g r ON l.record_id < r.record_id AND l._name_count = r._name_count"
        " ORDER BY 1, 2"
    ).fetchall()
    held = name_only_pairs([(records[a], records[b]) for a, b, _ in got], SPECS, weights)
    assert np.array_equal(~held, np.array([ok for _, _, ok in got]))
    assert 0 < held.sum() < len(got)


def test_name_only_pairs_score_below_the_threshold():
    import numpy as np

    n = len(
        MatchModel(
            specs=SPECS, weights=np.zeros(1), bias=0.0, predicates=(), threshold=0.5, stats={}
        ).data_model.field_variables
    )
    n_missing = sum(
        v.has_missing
        for v in MatchModel(
            specs=SPECS, weights=np.zeros(1), bias=0.0, predicates=(), threshold=0.5, stats={}
        ).data_model.field_variables
    )
    model = MatchModel(
        specs=SPECS,
        weights=np.zeros(n + n_missing),
        bias=5.0,
        predicates=(),
        threshold=0.6,
        stats={},
    )
    common = (rec("ivan ivanov", 30), rec("ivan ivanov", 30))
    rare = (rec("ivan zhukovskii", 2, city="тула"), rec("ivan zhukovskii", 2, city="тула"))
    phone = (rec("ivan ivanov", 30, phones=("+7916",)), rec("ivan ivanov", 30, phones=("+7916",)))
    scores = score_pairs(model, [common, rare, phone]).score
    assert scores[0] == NAME_ONLY_CAP * 0.6 < 0.6
    # a pair the names let through scores at most their own posterior: 6 / 2 and the city
    assert scores[1] == pytest.approx(1 / (1 + 2 ** -(math.log2(3) + CITY_SAME_BITS)))
    assert scores[2] > 0.99


def test_name_counts_count_one_word_names_among_all_bearers_of_the_given_name():
    df = pl.DataFrame(
        {
            "name_key": ["igor kondratev", "igor belov", "igor", "kondratev igor", None],
            "given_key": ["igor", "igor", "igor", "igor", None],
        }
    )
    got = name_counts(df).to_list()
    assert got[0] == {"key": "igor kondratev", "n": 2}  # token order carries no identity
    assert got[2] == {"key": "igor", "n": 4}
    assert got[4] is None


def edges(rows):
    return pl.DataFrame(
        rows,
        schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64, "score": pl.Float64},
        orient="row",
    )


def linked(rows):
    return pl.DataFrame(
        rows, schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64}, orient="row"
    )


def test_strong_identifier_links_join_groups_and_lone_contacts():
    strong = edges([(2, 3, 0.95), (1, 4, 0.92), (4, 9, 0.91)])
    got = join_strong_links(
        [[1, 2], [3, 4]], strong, threshold=0.5, linked=linked([(2, 3), (1, 4), (4, 9)])
    )
    assert got == [[1, 2, 3, 4, 9]]
    # a strong score without a shared identifier joins nothing
    assert join_strong_links([[1, 2], [3, 4]], strong, threshold=0.5, linked=linked([(5, 6)])) == [
        [1, 2],
        [3, 4],
    ]


def test_strong_links_do_not_join_groups_whose_other_pairs_disagree():
    pairs = edges([(2, 3, 0.95), (1, 3, 0.05), (1, 4, 0.05), (2, 4, 0.05)])
    got = join_strong_links([[1, 2], [3, 4]], pairs, threshold=0.5, linked=linked([(2, 3)]))
    assert got == [[1, 2], [3, 4]]


def test_a_weak_single_bridge_between_two_groups_does_not_merge_them():
    groups = [[1, 2, 3], [4, 5, 6]]
    links = linked([(3, 4), (2, 5)])
    assert join_strong_links(groups, edges([(3, 4, 0.95)]), threshold=0.5, linked=links) == groups
    # the bridge joins when it is very strong, or when there are two links
    assert join_strong_links(groups, edges([(3, 4, 0.995)]), threshold=0.5, linked=links) == [
        [1, 2, 3, 4, 5, 6]
    ]
    assert join_strong_links(
        groups, edges([(3, 4, 0.95), (2, 5, 0.93)]), threshold=0.5, linked=links
    ) == [[1, 2, 3, 4, 5, 6]]


def test_clustering_keeps_two_dense_groups_apart_across_a_weak_bridge():
    dense = [(1, 2, 0.99), (1, 3, 0.99), (2, 3, 0.99), (4, 5, 0.99), (4, 6, 0.99), (5, 6, 0.99)]
    ids = pl.Series("record_id", [1, 2, 3, 4, 5, 6], dtype=pl.Int64)
    links = linked([(3, 4), (2, 5)])
    apart = cluster_records(
        ids, edges(dense + [(3, 4, 0.95)]), threshold=0.5, max_cluster_size=50, linked=links
    )
    assert apart["cluster_id"].to_list() == [1, 1, 1, 4, 4, 4]
    joined = cluster_records(
        ids,
        edges(dense + [(3, 4, 0.95), (2, 5, 0.95)]),
        threshold=0.5,
        max_cluster_size=50,
        linked=links,
    )
    assert joined["cluster_id"].to_list() == [1] * 6


def test_a_shared_identifier_joins_what_average_linkage_left_apart():
    # 1-2 share an e-mail, 2-3 a phone; 1-3 have nothing in common: one person
    ids = pl.Series("record_id", [1, 2, 3], dtype=pl.Int64)
    scored = edges([(1, 2, 0.99), (2, 3, 0.97)])
    got = cluster_records(
        ids, scored, threshold=0.5, max_cluster_size=50, linked=linked([(1, 2), (2, 3)])
    )
    assert got["cluster_id"].to_list() == [1, 1, 1]
    alone = cluster_records(ids, scored, threshold=0.5, max_cluster_size=50)
    assert alone["cluster_id"].to_list() != [1, 1, 1]


def test_identifier_links_pair_contacts_sharing_a_value_of_one_kind():
    L = pl.List(pl.String)
    df = pl.DataFrame(
        {
            "record_id": [0, 1, 2, 3],
            "phones": [["+7916"], ["+7916", "+7926"], [], ["x"]],
            "emails": [[], ["a@b.ru"], ["a@b.ru"], []],
            "handles": [["x"], [], [], []],
        },
        schema_overrides={"phones": L, "emails": L, "handles": L},
    )
    assert identifier_links(df, ("phones", "emails", "handles")).rows() == [(0, 1), (1, 2)]


def _random_edges(seed: int, n_records: int, n_edges: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    pairs = np.sort(rng.integers(0, n_records, size=(n_edges, 2)), axis=1)
    pairs = np.unique(pairs[pairs[:, 0] < pairs[:, 1]], axis=0)
    dupes = np.empty(len(pairs), dtype=[("pairs", "i8", 2), ("score", "f4")])
    dupes["pairs"] = pairs
    dupes["score"] = rng.beta(2, 2, size=len(pairs))
    return dupes


def test_clusters_are_dedupes_own_when_no_component_is_too_large():
    from dedupe.clustering import cluster

    from resolution.linking.clustering import hierarchical

    def as_set(got):
        return {(tuple(sorted(ids)), tuple(np.round(sorted(c), 5))) for ids, c in got}

    import numpy as np

    for seed in (1, 2, 3):
        dupes = _random_edges(seed, 300, 420)
        ours = as_set(hierarchical(dupes.copy(), threshold=0.5, max_component=10_000))
        theirs = as_set(cluster(dupes.copy(), threshold=0.5, max_components=10_000))
        assert ours == theirs and len(ours) > 10


def test_a_split_component_keeps_the_weaker_edges_inside_each_part(caplog):
    import numpy as np

    from resolution.linking.clustering import hierarchical

    # Two triangles, each with one weaker side, bridged by a weak edge: too large a component
    # for the limit, split above sigmoid(logit(0.4) + 1) = 0.64, which the weaker sides are below.
    edges = [
        (1, 2, 0.99),
        (2, 3, 0.99),
        (1, 3, 0.6),
        (4, 5, 0.99),
        (5, 6, 0.99),
        (4, 6, 0.6),
        (3, 4, 0.4),
    ]
    dupes = np.array(
        [((a, b), s) for a, b, s in edges], dtype=[("pairs", "i8", 2), ("score", "f4")]
    )
    got = sorted(
        tuple(sorted(ids)) for ids, _ in hierarchical(dupes, threshold=0.5, max_component=4)
    )
    # dedupe drops the 0.6 sides with the bridge and leaves 3 and 6 alone
    assert got == [(1, 2, 3), (4, 5, 6)]
    assert "split above score 0.644" in caplog.text


def test_pairs_the_name_only_guard_holds_are_counted_not_kept():
    import duckdb
    import numpy as np

    from resolution.linking.scoring import score_candidates
    from resolution.matching.fields import n_features

    model = MatchModel(
        specs=SPECS,
        weights=np.zeros(n_features(SPECS)),
        bias=5.0,
        predicates=(),
        threshold=0.6,
        stats={},
    )
    records = {
        1: rec("ivan ivanov", 30),
        2: rec("ivan ivanov", 30),
        3: rec("ivan ivanov", 30, phones=("+7916",)),
        4: rec("ivan ivanov", 30, phones=("+7916",)),
    }
    con = duckdb.connect()
    con.register("p", pl.DataFrame({"record_id_l": [1, 3], "record_id_r": [2, 4]}))
    con.execute("CREATE TABLE candidate_pairs AS SELECT * FROM p")
    got = score_candidates(con, model, records, chunk=10)
    scored, reasons, held = got.scored, got.reasons, got.held_by_guard
    assert held == 1
    assert scored.select("record_id_l", "record_id_r").rows() == [(3, 4)]
    assert reasons.height == 1


def test_centroid_partition_is_scipys_linkage_cut_by_distance():
    import numpy as np
    import scipy.cluster.hierarchy as h

    from resolution.linking.clustering import centroid_partition

    rng = np.random.default_rng(5)
    for n in (2, 3, 5, 17, 60):
        for _ in range(20):
            d = rng.choice([0.02, 0.1, 0.3, 0.5, 0.9, 1.0], size=n * (n - 1) // 2)
            for cut in (0.05, 0.4, 0.6):
                want = h.fcluster(h.linkage(d, method="centroid"), cut, criterion="distance")
                assert np.array_equal(centroid_partition(d, n, cut), want)
