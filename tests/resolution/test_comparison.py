"""Column-wise distance features equal dedupe's own, pair by pair, on the bundled sample."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from resolution.config import default_config
from resolution.inputs.ingest import ingest
from resolution.inputs.normalize import normalize_contacts
from resolution.matching.comparison import PairFeatures
from resolution.matching.fields import field_specs, records, variables

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def sample_pairs() -> list[tuple[dict, dict]]:
    config = default_config()
    contacts = normalize_contacts(ingest([SAMPLE], config).contacts, config)
    recs = records(contacts, field_specs(config))
    ids = sorted(recs)
    rng = random.Random(7)
    pairs = [(recs[a], recs[b]) for a, b in (rng.sample(ids, 2) for _ in range(3000))]
    # Pairs that agree somewhere: same name, shared identifier, the same record twice.
    by_name: dict[str, list[int]] = {}
    for i in ids:
        if recs[i]["name"]:
            by_name.setdefault(recs[i]["name"], []).append(i)
    pairs += [(recs[g[0]], recs[g[1]]) for g in by_name.values() if len(g) > 1]
    pairs += [(recs[i], recs[i]) for i in ids[:300]]
    return pairs


def test_column_wise_features_equal_dedupes_distances(sample_pairs):
    import dedupe

    data_model = dedupe.datamodel.DataModel(variables(field_specs(default_config())))
    expected = data_model.distances(sample_pairs)
    got = PairFeatures(data_model)(sample_pairs)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected)
    # the sample exercises every kind of value: agreeing sets, missing and present fields
    assert (got > 0).any(axis=0).all()


def test_configured_field_types_compare_column_wise_too():
    import dedupe

    from resolution.config import ExtraField

    config = default_config()
    kinds = ("string", "short_string", "exact", "text", "set")
    extras = tuple(ExtraField(name=k, columns=(k,), type=k) for k in kinds)
    specs = field_specs(replace(config, fields=extras))
    data_model = dedupe.datamodel.DataModel(variables(specs))
    base = {s.name: None for s in specs}
    rows = [
        dict(
            base,
            f_string="ул. Ленина 5",
            f_short_string="abc",
            f_exact="x",
            f_text="a b c",
            f_set=("a", "b"),
        ),
        dict(
            base,
            f_string="ул. Ленина 7",
            f_short_string="abd",
            f_exact="x",
            f_text="a c d",
            f_set=("b",),
        ),
        dict(base, f_set=("z",)),
    ]
    pairs = [(a, b) for a in rows for b in rows]
    assert np.array_equal(PairFeatures(data_model)(pairs), data_model.distances(pairs))


def test_memoised_block_keys_equal_dedupes_fingerprinter(sample_pairs):
    import dedupe
    import dedupe.predicates as P

    from resolution.matching.model import MatchModel

    specs = field_specs(default_config())
    predicates = (
        P.SimplePredicate(P.commonSetElementPredicate, "phones"),
        P.StringPredicate(P.metaphoneToken, "surname"),
        P.CompoundPredicate(
            (
                P.StringPredicate(P.sameFiveCharStartPredicate, "name"),
                P.SimplePredicate(P.wholeFieldPredicate, "city"),
            )
        ),
    )
    model = MatchModel(
        specs=specs, weights=np.zeros(1), bias=0.0, predicates=predicates, threshold=0.5, stats={}
    )
    records = list(enumerate(r for pair in sample_pairs for r in pair))
    expected = set(dedupe.blocking.Fingerprinter(predicates)(records))
    assert len(expected) > 1000
    assert sorted(model.blocks(records)) == sorted(expected)
