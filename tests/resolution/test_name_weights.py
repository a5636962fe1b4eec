"""The name-only guard's weights estimated per home (``resolution.training.name_weights``).

Each home is generated here with its truth known by construction: people bearing names drawn
from a small pool (so that namesakes abound), each with a few contacts whose city, creation
time, phone and e-mail follow the home's own rules. EM sees no truth; the test compares what it
found with the Bayes factors the truth gives on the very pairs it weighed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from resolution.config import default_config
from resolution.matching.comparison import RecordColumns
from resolution.matching.fields import NAME_COUNT, FrameRecords, field_specs, record_frame
from resolution.matching.guard import (
    DEFAULT_WEIGHTS,
    NAME_WEIGHTS,
    NameWeights,
    _linked,
    name_evidence_bits,
)
from resolution.training import name_weights as nw

SPECS = field_specs(default_config())
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Home:
    """How a generated home's people and contacts behave."""

    people: int = 4000
    names: int = 900  # distinct full names: about 4.4 bearers each
    cities: int = 12
    city_kept: float = 0.9  # a contact's city is its person's (else any city)
    city_given: float = 0.6  # a contact has a city
    spread_days: float = 30.0  # a person's contacts are created this far apart (exponential)
    phone_given: float = 0.5
    phone_kept: float = 0.7  # a contact's phone is its person's (else a new one)
    email_given: float = 0.4
    email_kept: float = 0.5


def generate(home: Home, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """normalized_contacts-like rows of ``home`` and each contact's person."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {
        c: []
        for c in (
            "record_id",
            "name_key",
            "given_key",
            "surname_key",
            "phones",
            "emails",
            "city_key",
            "created_at",
        )
    }
    person_of = []
    names = [(f"g{i % 60}", f"s{i}") for i in range(home.names)]
    record_id = 0
    for person in range(home.people):
        given, surname = names[rng.integers(home.names)]
        city = f"c{rng.integers(home.cities)}"
        born = rng.uniform(0, 1500)
        phone, email = f"+7{person:09d}", f"p{person}@mail.ru"
        for _ in range(1 + rng.poisson(1.2)):
            rows["record_id"].append(record_id)
            rows["name_key"].append(f"{given} {surname}")
            rows["given_key"].append(given)
            rows["surname_key"].append(surname)
            own_city = city if rng.random() < home.city_kept else f"c{rng.integers(home.cities)}"
            rows["city_key"].append(own_city if rng.random() < home.city_given else None)
            day = born + rng.exponential(home.spread_days)
            rows["created_at"].append(EPOCH + timedelta(days=float(day)))
            fresh = f"+8{record_id:09d}" if rng.random() > home.phone_kept else phone
            rows["phones"].append([fresh] if rng.random() < home.phone_given else None)
            other = f"r{record_id}@mail.ru" if rng.random() > home.email_kept else email
            rows["emails"].append([other] if rng.random() < home.email_given else None)
            person_of.append(person)
            record_id += 1
    contacts = pl.DataFrame(
        rows,
        schema={
            "record_id": pl.Int64,
            "name_key": pl.String,
            "given_key": pl.String,
            "surname_key": pl.String,
            "phones": pl.List(pl.String),
            "emails": pl.List(pl.String),
            "city_key": pl.String,
            "created_at": pl.Datetime("us", "UTC"),
        },
    ).with_columns(
        pl.lit(None, pl.List(pl.String)).alias("handles"),
        pl.lit(None, pl.List(pl.String)).alias("nicknames"),
        pl.lit(None, pl.String).alias("email_local"),
    )
    return contacts, np.array(person_of)


def true_bits(frame: pl.DataFrame, person: np.ndarray) -> dict[str, np.ndarray]:
    """The Bayes factors (bits) the truth gives on the pairs EM weighs: m from the pairs that
    are one person, u from those that are two; the guard's form (a city or a time missing
    weighs 0, "no conflict" is the reference), held within the estimator's ``BOUNDS``."""
    recs = FrameRecords(frame, SPECS)
    left, right, _ = nw._name_pairs(recs, 0)
    columns = RecordColumns(recs, [*(s.name for s in SPECS), NAME_COUNT])
    free = ~_linked(columns.pairs(left, right), SPECS)
    left, right = left[free], right[free]
    same = person[left] == person[right]
    out = {}
    for c in nw._levels(columns.pairs(left, right), {s.name for s in SPECS}):
        bits = np.log2(nw._shares(c.levels[same], c.count) / nw._shares(c.levels[~same], c.count))
        bounds = {
            "city": (nw.BOUNDS["city_other"][0], nw.BOUNDS["city_same"][1]),
            "created": nw.BOUNDS["created"],
        }.get(c.name, nw.BOUNDS["conflict"])
        bits = bits - (bits[c.reference] if c.reference >= 0 else 0.0)
        out[c.name] = np.clip(bits, *bounds)
    return out


HOMES = {
    # cities that say much, contacts close in time, phones and e-mails rarely changed
    "telling": Home(),
    # cities that say nothing (a contact's city is anyone's), contacts years apart
    "mute cities, slow": Home(city_kept=0.0, spread_days=600.0),
    # identifiers changed often: a conflict is weak evidence of two people
    "changing identifiers": Home(phone_kept=0.2, email_kept=0.1),
}


@pytest.fixture(scope="module", params=sorted(HOMES))
def estimated(request: pytest.FixtureRequest) -> tuple[str, nw.Estimate, dict[str, np.ndarray]]:
    contacts, person = generate(HOMES[request.param], seed=7)
    frame = record_frame(contacts, SPECS)
    return request.param, nw.estimate_name_weights(frame, SPECS, seed=1), true_bits(frame, person)


def test_the_estimate_finds_each_homes_own_bayes_factors(estimated) -> None:
    """EM, with no truth, lands within half a bit of what the truth says on its pairs."""
    name, got, truth = estimated
    w = got.weights
    assert w.source == "estimated", name
    assert w.city_same == pytest.approx(truth["city"][0], abs=0.5), name
    assert w.city_other == pytest.approx(truth["city"][1], abs=0.5), name
    for (_, bits), want in zip(w.created, truth["created"], strict=True):
        assert bits == pytest.approx(want, abs=0.5), name
    assert w.phone_conflict == pytest.approx(truth["phones"][0], abs=0.6), name
    assert w.email_conflict == pytest.approx(truth["emails"][0], abs=0.6), name


def test_the_homes_weights_differ_where_their_data_do(estimated) -> None:
    """What a home's rules make evidence the estimate weighs, and what they make noise it
    does not: the constants would weigh all three alike."""
    name, got, _ = estimated
    w = got.weights
    if name == "mute cities, slow":
        assert abs(w.city_same) < 0.5 and abs(w.city_other) < 0.5
        assert max(b for _, b in w.created) < 1.0
    else:
        assert w.city_same > 2.5 and w.city_other < -1.5
        assert w.created[0][1] > 1.5
    if name == "changing identifiers":
        assert w.phone_conflict > -0.3 and w.email_conflict > -0.2
    else:
        assert w.phone_conflict < -0.5
    if name == "telling":
        assert w.email_conflict < -0.2


@pytest.mark.parametrize("name", sorted(HOMES))
def test_the_guards_posterior_with_the_estimate_is_as_often_right_as_it_says(name: str) -> None:
    """On the pairs the guard decides (a shared full name, nothing else linking them), the
    posterior the estimated weights give (``name_evidence_bits``) is calibrated: on average,
    and among the pairs it lets through (odds of 4 and more), one person as often as it says."""
    contacts, person = generate(HOMES[name], seed=3)
    frame = record_frame(contacts, SPECS)
    got = nw.estimate_name_weights(frame, SPECS, seed=1)
    recs = FrameRecords(frame, SPECS)
    left, right, _ = nw._name_pairs(recs, 0)
    columns = RecordColumns(recs, [*(s.name for s in SPECS), NAME_COUNT])
    pairs = columns.pairs(left, right)
    free = ~_linked(pairs, SPECS)
    same = (person[left] == person[right])[free]
    p = 1.0 / (1.0 + np.exp2(-name_evidence_bits(pairs, SPECS, got.weights)[free]))
    assert p.mean() == pytest.approx(same.mean(), abs=0.05)
    passed = p >= 0.8
    if name != "mute cities, slow":  # there, nothing but a name: none reach it
        assert passed.sum() > 100
        assert same[passed].mean() >= p[passed].mean() - 0.05


@pytest.mark.parametrize(
    "home",
    [
        Home(people=40, names=30),  # a few hundred name-sharing pairs
        # only cities and times: two comparisons leave one person and two unidentified
        Home(phone_given=0.0, email_given=0.0),
    ],
    ids=["small", "two comparisons"],
)
def test_a_home_with_too_little_data_keeps_the_constants(home: Home) -> None:
    contacts, _ = generate(home, seed=5)
    got = nw.estimate_name_weights(record_frame(contacts, SPECS), SPECS)
    assert got.weights == DEFAULT_WEIGHTS
    assert got.to_json()["source"] == "default"


def test_the_weights_kept_in_a_model_read_back_and_weigh_the_guard() -> None:
    """A model's stats hold the weights (as JSON); the guard weighs with them, a model with
    none with the constants."""
    w = NameWeights(name_odds=12.0, city_same=1.0, source="estimated")
    again = NameWeights.from_json(w.to_json())
    assert again == w and math.isinf(again.created[-1][0])

    class Model:
        stats = {NAME_WEIGHTS: w.to_json()}

    assert NameWeights.of_model(Model()) == w
    assert NameWeights.of_model(type("Old", (), {"stats": {}})()) == DEFAULT_WEIGHTS
    pair = [({"name": "a b", "city": "x", NAME_COUNT: 3}, {"name": "a b", "city": "x"})]
    bits = name_evidence_bits(pair, SPECS, w)[0]
    assert bits == pytest.approx(math.log2(12.0 / 3) + 1.0)
    assert name_evidence_bits(pair, SPECS)[0] == pytest.approx(
        math.log2(DEFAULT_WEIGHTS.name_odds / 3) + DEFAULT_WEIGHTS.city_same
    )
