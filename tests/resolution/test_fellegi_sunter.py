"""The Fellegi–Sunter model of identifier-free homes: levels, EM, term frequencies, scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from resolution.config import default_config
from resolution.matching.comparison import PairColumns
from resolution.matching.explanation import contributions, field_weights
from resolution.matching.fellegi_sunter import (
    ALIKE,
    CLOSE,
    DIFFERENT,
    EQUAL,
    MISSING,
    REVERSED,
    FellegiSunter,
    compare_levels,
    value_counts,
)
from resolution.matching.fields import FieldSpec, FrameRecords, field_specs, record_frame
from resolution.matching.model import MatchModel
from resolution.matching.scoring import score_pairs
from resolution.training.fellegi_sunter import (
    blend_m,
    combine_passes,
    em_pass,
    fit_fellegi_sunter,
    prior_shift,
)
from tests.conftest import edin_ok


def cols(pairs: list[tuple[dict, dict]], fields: list[str]) -> PairColumns:
    return PairColumns.of(pairs, fields)


@pytest.mark.parametrize(
    ("left", "right", "levels"),
    [
        (("joseph", "taylor"), ("joseph", "taylor"), (EQUAL, EQUAL)),
        (("joseph", "taylor"), ("josef", "taylor"), (ALIKE, EQUAL)),
        (("jonathan", "taylor"), ("jonathon", "taylor"), (CLOSE, EQUAL)),
        (("joseph", "taylor"), ("maria", "taylor"), (DIFFERENT, EQUAL)),
        (("joseph", "taylor"), (None, "taylor"), (MISSING, EQUAL)),
        (("joseph", "taylor"), ("taylor", "joseph"), (REVERSED, MISSING)),  # swapped: one event
        (("zoe", "spencer"), ("spencer", "zoee"), (REVERSED, MISSING)),  # swapped with a typo
        (("joseph", "taylor"), ("taylor", "taylor"), (DIFFERENT, EQUAL)),  # no swap
        ((None, None), ("joseph", "taylor"), (MISSING, MISSING)),
    ],
)
def test_levels_of_a_pair(left, right, levels) -> None:
    pair = ({"g": left[0], "s": left[1]}, {"g": right[0], "s": right[1]})
    got = compare_levels(cols([pair], ["g", "s"]), ["g", "s"])
    assert tuple(got[0]) == levels


def simulate(
    n: int, prior: float, m: list[list[float]], u: list[list[float]], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Levels of ``n`` pairs, one column per field, drawn from m (matches) or u (the others)."""
    rng = np.random.default_rng(seed)
    match = rng.random(n) < prior
    levels = np.column_stack(
        [
            np.where(match, rng.choice(len(mf), n, p=mf), rng.choice(len(uf), n, p=uf))
            for mf, uf in zip(m, u, strict=True)
        ]
    ).astype(np.int8)
    return levels, match


M3 = [0.05, 0.05, 0.10, 0.75, 0.05]
U3 = [0.90, 0.05, 0.03, 0.015, 0.005]


@pytest.mark.parametrize(
    ("prior", "m", "u"),
    [
        (0.3, [M3, M3, M3], [U3, U3, U3]),
        (0.1, [M3, [0.2, 0.1, 0.1, 0.6, 0.0], M3], [U3, [0.7, 0.1, 0.1, 0.1, 0.0], U3]),
        (0.5, [[0.1, 0.1, 0.1, 0.7, 0.0]] * 4, [[0.6, 0.2, 0.1, 0.1, 0.0]] * 4),
    ],
)
def test_em_recovers_m_and_the_share_of_matches_on_simulated_pairs(prior, m, u) -> None:
    levels, match = simulate(30_000, prior, m, u, seed=7)
    free = list(range(levels.shape[1]))
    log_u = np.zeros(levels.shape[0])
    for j in free:  # u known (measured on random pairs in the product)
        log_u += np.log(np.maximum(np.array(u[j]), 1e-6))[levels[:, j]]
    got_m, share, post, _ = em_pass(levels, log_u, free)
    assert share == pytest.approx(prior, abs=0.02)
    for j in free:
        assert got_m[j] == pytest.approx(m[j], abs=0.03)  # smoothed by one pseudo-match a level
    assert ((post >= 0.5) == match).mean() > 0.9


@pytest.mark.parametrize(
    ("em_matches", "labelled", "tolerance"),
    [
        (30_000, 0, 0.03),  # EM alone
        (30_000, 50, 0.03),  # a few answers barely move a well-measured m
        (200, 5_000, 0.02),  # answers outnumbering EM's matches pull its m to theirs
    ],
)
def test_answered_matches_count_in_with_ems_matches_and_recover_m(
    em_matches, labelled, tolerance
) -> None:
    """EM with the answered matches' posteriors fixed to 1: their levels count in with EM's
    expected matches per level (an answered distinct pair adds nothing to ``m``, ``u`` being
    fixed)."""
    m = [M3, [0.2, 0.1, 0.1, 0.6, 0.0]]
    u = [U3, [0.7, 0.1, 0.1, 0.1, 0.0]]
    levels, _ = simulate(em_matches * 4, 0.25, m, u, seed=3)
    log_u = np.zeros(levels.shape[0])
    for j in range(2):
        log_u += np.log(np.maximum(np.array(u[j]), 1e-6))[levels[:, j]]
    got_m, _, _, expected = em_pass(levels, log_u, [0, 1])
    known, _ = simulate(labelled, 1.0, m, u, seed=4)  # all matches
    blended = blend_m(got_m, expected, known)
    for j in range(2):
        assert blended[j] == pytest.approx(m[j], abs=tolerance)
        assert blended[j].sum() == pytest.approx(1.0)
    # an EM estimate gone wrong is pulled towards the answers' in proportion to their count
    wrong = np.tile(np.array([0.5, 0.1, 0.1, 0.2, 0.1]), (2, 1))
    counts = np.full((2, 5), 20.0)  # 100 expected matches per field
    pulled = blend_m(wrong, counts, known)
    share = labelled / (labelled + 100)
    for j in range(2 if labelled else 0):
        assert pulled[j][EQUAL] == pytest.approx(
            (1 - share) * 0.2 + share * (known[:, j] == EQUAL).mean()
        )
    assert (blend_m(wrong, counts, known[:0]) == wrong).all()  # no answer: unchanged


@pytest.mark.parametrize(("shift", "slope"), [(0.0, 1.0), (1.5, 1.0), (-1.0, 1.0), (0.8, 0.8)])
def test_the_answers_shift_the_prior_by_what_their_outcomes_say(shift, slope) -> None:
    """Pairs picked by score across the range (as the label queue does), their outcomes drawn
    from a model whose log-odds are off by ``shift`` (and a slope, which a shift absorbs on
    average): the fitted shift is the one that makes the pairs' scores agree with them."""
    rng = np.random.default_rng(11)
    z = rng.uniform(-4, 4, 4000)
    outcome = rng.random(z.size) < 1 / (1 + np.exp(-(slope * z + shift)))
    assert prior_shift(z, outcome) == pytest.approx(shift, abs=0.15)


@pytest.mark.parametrize(
    ("matches", "distinct", "sign"), [(20, 0, 1), (0, 20, -1), (10, 10, 0), (0, 0, 0)]
)
def test_answers_of_one_class_shift_the_prior_a_finite_way(matches, distinct, sign) -> None:
    z = np.zeros(matches + distinct)
    outcome = np.arange(z.size) < matches
    got = prior_shift(z, outcome)
    assert np.isfinite(got) and abs(got) < 10
    assert np.sign(round(got, 6)) == sign


R = [0.1, 0.1, 0.1, 0.55, 0.15]  # one person's records: 15 % swap the field with another


@pytest.mark.parametrize(
    ("passes", "reachable", "expected"),
    [
        # every level reachable in every pass: the mean of the passes
        ([R, [0.2, 0.1, 0.1, 0.45, 0.15]], [[1] * 5] * 2, [0.15, 0.1, 0.1, 0.5, 0.15]),
        # a pass whose rule holds the swap partner equal sees no swap: its shares of the other
        # levels are those of the unswapped pairs, and the swap's m comes from the other pass
        ([R, [0.1 / 0.85, 0.1 / 0.85, 0.1 / 0.85, 0.55 / 0.85, 0.0]], [[1] * 5, [1] * 4 + [0]], R),
        # no pass reached a level: the mean, smoothing and all
        ([R, R], [[1] * 4 + [0]] * 2, R),
    ],
)
def test_a_level_a_pass_cannot_reach_is_taken_from_the_passes_that_can(
    passes, reachable, expected
) -> None:
    got = combine_passes(np.array(passes), np.array(reachable, dtype=bool))
    assert got == pytest.approx(expected)
    assert got.sum() == pytest.approx(1.0)


def test_answers_the_model_tells_apart_leave_its_prior_alone() -> None:
    """Every answered match scored far above every answered distinct pair (FEBRL's case): the
    answers say nothing about the prior, which keeps its EM estimate."""
    z = np.concatenate([np.linspace(11, 20, 25), np.linspace(-14, -8, 25)])
    outcome = np.arange(50) < 25
    assert abs(prior_shift(z, outcome)) < 0.1


def model(**kw) -> FellegiSunter:
    base = dict(
        fields=("g", "s"),
        m={"g": [0.1, 0.05, 0.05, 0.7, 0.1], "s": [0.1, 0.05, 0.05, 0.8, 1e-6]},
        u={"g": [0.9, 0.04, 0.03, 0.02, 0.01], "s": [0.95, 0.02, 0.02, 0.01, 1e-6]},
        prior=0.001,
        counts={"g": {"ivan": 50, "anna": 2}, "s": {"ivanov": 40}},
        totals={"g": 100, "s": 100},
    )
    return FellegiSunter(**(base | kw))


@pytest.mark.parametrize(
    ("value", "duplicates", "frequency"),
    [
        ("ivan", 0.0, 0.49),  # 49 other records hold it
        ("anna", 0.0, 0.01),
        ("gleb", 0.0, 0.01),  # held once, or never seen: one record's share
        ("ivan", 10.0, (49 - 10 * 0.7) / 100),  # of them, 10 × m(equal) the person's own
        ("anna", 2.0, 0.01),  # both holders one person: still at least one other record
    ],
)
def test_an_equal_value_weighs_by_how_many_other_people_hold_it(
    value, duplicates, frequency
) -> None:
    fs = model(duplicates=duplicates)
    pair = ({"g": value, "s": None}, {"g": value, "s": None})
    w = fs.field_weights(cols([pair], ["g", "s"]))
    assert w[0, 0] == pytest.approx(np.log(0.7 / frequency))
    assert w[0, 1] == 0.0  # missing on both sides: no evidence


def test_a_rare_shared_name_outweighs_a_common_one() -> None:
    fs = model()
    pairs = [({"g": v, "s": None}, {"g": v, "s": None}) for v in ("ivan", "anna")]
    common, rare = fs.logit(fs.field_weights(cols(pairs, ["g", "s"])))
    assert rare > common


def test_the_probability_is_the_prior_plus_the_weights() -> None:
    fs = model()
    pairs = [
        ({"g": "ivan", "s": "petrov"}, {"g": "ivan", "s": "petrov"}),
        ({"g": "ivan", "s": "petrov"}, {"g": "oleg", "s": "sidorov"}),
        ({"g": None, "s": None}, {"g": "oleg", "s": "sidorov"}),
    ]
    w = fs.field_weights(cols(pairs, ["g", "s"]))
    prior = np.log(0.001 / 0.999)
    expected = [
        prior + np.log(0.7 / 0.49) + np.log(0.8 / 0.01),  # "petrov" unseen: 1 / 100
        prior + np.log(0.1 / 0.9) + np.log(0.1 / 0.95),
        prior,  # nothing to compare: the prior
    ]
    assert fs.logit(w) == pytest.approx(expected)


def test_a_model_with_fellegi_sunter_scores_and_explains_by_it() -> None:
    specs = field_specs(default_config())
    fs = model(
        fields=("given", "surname"),
        m={"given": model().m["g"], "surname": model().m["s"]},
        u={"given": model().u["g"], "surname": model().u["s"]},
        counts={"given": {"ivan": 50}, "surname": {}},
        totals={"given": 100, "surname": 100},
    )
    plain = MatchModel(specs, np.zeros(60), 0.0, (), 0.5, {})
    plain.weights = np.zeros(len(plain.data_model))
    with_fs = MatchModel.from_json(
        json.loads(json.dumps(plain.to_json() | {"fellegi_sunter": fs.to_json()}))
    )
    a = {s.name: None for s in specs} | {"given": "ivan", "surname": "petrov", "_name_count": 1}
    b = dict(a) | {"surname": "petrova"}
    got = score_pairs(with_fs, [(a, b)])
    fields, matrix = field_weights(with_fs)
    assert fields == ["given", "surname"]
    contrib = contributions(got.features, matrix)[0]
    assert contrib.sum() + fs.prior_logit == pytest.approx(got.logit[0])
    assert got.score[0] == pytest.approx(1 / (1 + np.exp(-got.logit[0])))
    assert score_pairs(plain, [(a, b)]).logit[0] == pytest.approx(0.0)  # the classifier's


def test_value_counts_keep_the_repeated_values() -> None:
    assert value_counts(pl.Series("v", ["a", "a", "b", None, "c", "c", "c"])) == {"a": 2, "c": 3}


def register(n: int, seed: int = 5) -> pl.DataFrame:
    """Records of ``n`` people drawn independently (given name, surname, city, birth date), two
    or three records each, some with a typo in one field or a field left out."""
    rng = np.random.default_rng(seed)

    syllables = ["ka", "lo", "mi", "ne", "ro", "su", "ta", "vi", "do", "be", "gu", "ze"]

    def words(k: int, length: int) -> list[str]:
        got: set[str] = set()
        while len(got) < k:
            got.add("".join(rng.choice(syllables, length // 2)))
        return sorted(got)

    given, surnames, cities = words(40, 6), words(400, 8), words(12, 7)
    rows = []
    for p in range(n):
        person = {
            "given_key": given[rng.integers(40)],
            "surname_key": surnames[rng.integers(400)],
            "city_key": cities[rng.integers(12)],
            "f_dob": f"19{rng.integers(40, 99)}-{rng.integers(1, 13):02d}"
            f"-{rng.integers(1, 29):02d}",
        }
        for _ in range(2 + p % 2):
            rec = dict(person)
            field = list(rec)[rng.integers(4)]
            if rng.random() < 0.2:
                rec[field] = rec[field][:-1] + "q"
            elif rng.random() < 0.1:
                rec[field] = None
            rows.append({"record_id": len(rows), "entity": p, **rec})
    data = pl.DataFrame(rows)
    return data.with_columns(
        pl.concat_str("given_key", "surname_key", separator=" ").alias("name_key")
    )


def register_input(tmp_path: Path, n: int, seed: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``register(n, seed)`` as a user's export with no identifier (``tmp_path/in/contacts.csv``)
    and its config (``tmp_path/edin.toml``: first name, surname and birth date as fields);
    returns the register and the contacts written."""
    data = register(n, seed=seed)
    contacts = data.select(
        pl.lit("register").alias("source"),
        pl.col("record_id").cast(pl.String).alias("source_id"),
        pl.concat_str("given_key", "surname_key", separator=" ", ignore_nulls=True).alias("name"),
        pl.col("given_key").alias("first"),
        pl.col("surname_key").alias("last"),
        pl.col("city_key").alias("city"),
        pl.col("f_dob").alias("dob"),
    )
    (tmp_path / "in").mkdir()
    contacts.write_csv(tmp_path / "in" / "contacts.csv")
    (tmp_path / "edin.toml").write_text(
        "".join(
            f'[[fields]]\nname = "{c}"\ncolumn = "{c}"\ntype = "short_string"\n'
            for c in ("first", "last", "dob")
        ),
        encoding="utf-8",
    )
    return data, contacts


def edin(*args: str) -> str:
    """The CLI, which must succeed; its output."""
    return edin_ok(*args).stdout


def test_the_fit_finds_the_share_of_matches_and_strong_agreement() -> None:
    data = register(500)
    by_name = {s.name: s for s in field_specs(default_config())}
    specs = (by_name["given"], by_name["surname"], by_name["city"])
    specs += (FieldSpec("f_dob", "ShortString", ("wholeFieldPredicate",)),)
    contacts = data.drop("entity")
    recs = FrameRecords(record_frame(contacts, specs), specs)
    fs = fit_fellegi_sunter(contacts, recs, specs, seed=1)
    assert fs is not None
    n = data.height
    sizes = data.group_by("entity").len()["len"].to_numpy()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    assert fs.prior * n * (n - 1) / 2 == pytest.approx(true_pairs, rel=0.25)
    for f in fs.fields:
        assert np.argmax(fs.m[f]) == EQUAL
        assert fs.u[f][EQUAL] < 0.1
    again = FellegiSunter.from_json(json.loads(json.dumps(fs.to_json())))
    assert again.to_json() == fs.to_json()


def test_a_home_without_identifiers_resolves_with_no_labels_scored_by_fellegi_sunter(
    tmp_path,
) -> None:
    """Cold start with nothing shared but names, a city and a birth date: the run trains the
    Fellegi–Sunter model, saves it in model.json, scores by it, and ``edin explain`` shows its
    weights."""
    from resolution import evaluate

    data, contacts = register_input(tmp_path, 300)
    home = tmp_path / "h"

    edin("run", str(tmp_path / "in"), "--home", str(home), "--config", str(tmp_path / "edin.toml"))
    saved = json.loads((home / "model" / "model.json").read_text(encoding="utf-8"))
    assert saved["stats"]["scored_by"] == "fellegi_sunter"
    assert "f_dob" in saved["fellegi_sunter"]["fields"]
    members = pl.read_parquet(home / "current" / "members.parquet")
    truth = contacts.select("source", "source_id").with_columns(
        data["entity"].cast(pl.String).alias("entity_id")
    )
    scores = evaluate(truth, members)
    assert scores.pairwise_precision > 0.9 and scores.pairwise_recall > 0.7
    shown = edin("explain", "--home", str(home), "register:0")
    assert "Fellegi–Sunter" in shown and "f_dob:" in shown
    # a later run of the home scores with the saved model: the same profiles
    saved_text = (home / "model" / "model.json").read_text(encoding="utf-8")
    edin("run", str(tmp_path / "in"), "--home", str(home), "--config", str(tmp_path / "edin.toml"))
    assert (home / "model" / "model.json").read_text(encoding="utf-8") == saved_text
    again = pl.read_parquet(home / "current" / "members.parquet")
    assert again.sort("source", "source_id").equals(members.sort("source", "source_id"))


def test_the_chart_shows_what_scores() -> None:
    specs = field_specs(default_config())
    plain = MatchModel(specs, np.zeros(1), 0.0, (), 0.5, {})
    plain.weights = np.arange(len(plain.data_model), dtype=np.float64)
    assert [w for _, w in plain.chart_weights()] == plain.weights.tolist()
    plain.fs = model()
    got = dict(plain.chart_weights())
    assert got["g equal"] == pytest.approx(np.log(0.7 / 0.02))
    assert len(got) == 2 * len(plain.fs.m["g"])


def test_answers_refine_the_fellegi_sunter_model_of_a_home_without_identifiers(tmp_path) -> None:
    """A home with no identifier keeps the Fellegi–Sunter model when the operator answers its
    label queue: the answers refine its ``m`` and prior (model.json says how many), the pairs
    are still scored by it, ``edin explain`` shows it, and the answers do not lower F1."""
    from edin.label import queue_frame
    from resolution import evaluate

    data, contacts = register_input(tmp_path, 400, seed=8)
    config = tmp_path / "edin.toml"
    truth = contacts.select("source", "source_id").with_columns(
        data["entity"].cast(pl.String).alias("entity_id")
    )
    entity = dict(zip(truth["source_id"].to_list(), truth["entity_id"].to_list(), strict=True))

    cold, answered = tmp_path / "cold", tmp_path / "answered"
    edin("run", str(tmp_path / "in"), "--home", str(cold), "--config", str(config))
    labels = tmp_path / "labels.csv"
    queue = queue_frame(cold, labels, 40)
    assert queue.height >= 20
    queue.select(
        "source_l",
        "source_id_l",
        "source_r",
        "source_id_r",
        pl.Series(
            "label",
            [
                "match" if entity[a] == entity[b] else "distinct"
                for a, b in queue.select("source_id_l", "source_id_r").iter_rows()
            ],
        ),
    ).write_csv(labels)
    edin(
        "run", str(tmp_path / "in"), "--home", str(answered), "--config", str(config),
        "--labels", str(labels),
    )  # fmt: skip
    saved = json.loads((answered / "model" / "model.json").read_text(encoding="utf-8"))
    assert saved["stats"]["scored_by"] == "fellegi_sunter"
    stats = saved["fellegi_sunter"]["stats"]
    assert stats["answered_match"] + stats["answered_distinct"] == queue.height
    assert "f_dob:" in edin("explain", "--home", str(answered), "register:0")

    def f1(home) -> float:
        return evaluate(truth, pl.read_parquet(home / "current" / "members.parquet")).pairwise_f1

    # 40 answers on 400 people: F1 moves by a few thousandths either way with which pairs the
    # queue asked; a model the answers broke would lose far more
    assert f1(answered) >= f1(cold) - 0.002
