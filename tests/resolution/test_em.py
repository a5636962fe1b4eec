"""EM over blocked pairs: weights from the data itself, for data that shares no identifier."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from resolution.training.em import (
    LEVELS,
    _levels_sql,
    blocking_rules,
    compared_columns,
    em_seed_labels,
    estimate,
)


def synthetic_levels(
    n: int, prior: float, m: list[float], u: list[float], seed: int = 0
) -> tuple[pl.DataFrame, np.ndarray]:
    """Pairs whose two fields are compared into levels drawn from m (matches) or u (others)."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(n) < prior
    cols = {}
    for field in ("a", "b", "c"):
        lv = np.where(is_match, rng.choice(3, n, p=m), rng.choice(3, n, p=u))
        cols[field] = lv
        cols[f"{field}__value"] = [None] * n  # no term frequencies: the level's average u
    return pl.DataFrame(cols), is_match


def test_em_recovers_the_share_of_matches_and_their_m() -> None:
    m, u = [0.05, 0.15, 0.80], [0.90, 0.07, 0.03]
    levels, truth = synthetic_levels(20_000, 0.3, m, u)
    randoms, _ = synthetic_levels(20_000, 0.0, m, u, seed=1)
    fit, post = estimate(levels, randoms, ["a", "b", "c"], {"a": {}, "b": {}, "c": {}})
    assert fit.prior == pytest.approx(0.3, abs=0.03)
    assert fit.m["a"][: len(m)] == pytest.approx(m, abs=0.03)
    assert ((post >= 0.5) == truth).mean() > 0.95


@pytest.mark.parametrize(
    ("left", "right", "levels"),
    [
        (("Joseph", "Taylor"), ("Joseph", "Taylor"), (2, 2)),
        (("Joseph", "Taylor"), ("Taylor", "Joseph"), (3, None)),  # swapped: one event
        (("Zoe", "Spencer"), ("Spencer", "Zoee"), (3, None)),  # swapped with a typo
        (("Joseph", "Taylor"), ("Josef", "Taylor"), (1, 2)),
        (("Joseph", "Taylor"), ("Taylor", "Taylor"), (0, 2)),  # one name twice: no swap
        (("Joseph", "Taylor"), ("Taylor", None), (0, None)),
        (("Joseph", "Joseph"), ("Joseph", "Joseph"), (2, 2)),
    ],
)
def test_two_columns_swapped_are_one_reversed_level(left, right, levels) -> None:
    import duckdb

    contacts = pl.DataFrame(
        {"record_id": [1, 2], "first": [left[0], right[0]], "last": [left[1], right[1]]}
    )
    con = duckdb.connect()
    con.register("contacts", contacts)
    con.register("pairs", pl.DataFrame({"l": [1], "r": [2]}))
    got = con.sql(_levels_sql(["first", "last"]), params={"alike": 0.88}).pl()
    assert (got["first"][0], got["last"][0]) == levels


def test_a_rare_shared_value_is_stronger_evidence_than_a_common_one() -> None:
    levels = pl.DataFrame({"a": [2, 2], "a__value": ["евдокимов", "иванов"]})
    randoms = pl.DataFrame({"a": [0] * 97 + [2] * 3, "a__value": [None] * 100})
    tf = {"a": {"евдокимов": 0.0005, "иванов": 0.05}}
    _, post = estimate(levels, randoms, ["a"], tf)
    assert post[0] > post[1]


@pytest.mark.parametrize(
    ("columns", "rules"),
    [
        (["given_key", "surname_key"], [("given_key", "surname_key")]),
        (
            ["given_key", "surname_key", "f_dob"],
            [("given_key", "surname_key"), ("given_key", "f_dob"), ("surname_key", "f_dob")],
        ),
        (["given_key"], []),
    ],
)
def test_blocking_rules_pair_the_compared_columns(columns: list[str], rules: list) -> None:
    assert blocking_rules(columns) == rules


def test_a_field_that_repeats_a_name_part_is_compared_once() -> None:
    contacts = pl.DataFrame(
        {
            "given_key": ["ivan", "olga", None, "petr"],
            "surname_key": ["ivanov", "petrova", "sidorov", "orlov"],
            "city_key": [None, None, None, None],
            "f_first_name": ["Ivan", "Olga", "Anna", "Petr"],  # the given name again, fuller
            "f_dob": ["1980-01-01", "1975-05-05", "1990-09-09", "1966-06-06"],
        },
        schema_overrides={"city_key": pl.String},
    )
    assert compared_columns(contacts) == ["surname_key", "city_key", "f_first_name", "f_dob"]


def people(n: int, seed: int = 3) -> pl.DataFrame:
    """Records of ``n`` people with no identifier, two or three each, typos in some fields."""
    rng = np.random.default_rng(seed)
    given = ["anna", "boris", "vera", "gleb", "dina", "egor", "zoya", "ilya", "kira", "lev"]
    # letters only: the name normalizer drops digits ("sur001nov" would be "sur" for all)
    syllables = ["ka", "lo", "mi", "ne", "ro", "su", "ta", "vi", "do", "be"]
    surnames = [
        syllables[i // 100 % 10] + syllables[i // 10 % 10] + syllables[i % 10] + "nov"
        for i in range(n)
    ]
    rows = []
    for p in range(n):
        g, s = given[p % len(given)], surnames[rng.integers(0, n)]
        dob = f"19{50 + p % 50:02d}-{1 + p % 12:02d}-{1 + p % 28:02d}"
        city = ["moskva", "kazan", "omsk", "tula"][p % 4]
        for k in range(2 + p % 2):
            typo = rng.random() < 0.3
            rows.append(
                {
                    "record_id": len(rows),
                    "entity": p,
                    "name_key": f"{g} {s}",
                    "given_key": g,
                    "surname_key": s[:-1] + "x" if typo else s,
                    "city_key": city if k else None,
                    "f_dob": dob,
                }
            )
    return pl.DataFrame(rows)


def test_em_seeds_are_mostly_right_on_data_without_identifiers() -> None:
    data = people(400)
    seeds = em_seed_labels(data.drop("entity"), max_pairs=1500, seed=42)
    entity = dict(zip(data["record_id"], data["entity"], strict=True))
    right = [
        entity[a] == entity[b]
        for a, b in seeds.filter(pl.col("label") == "match").select("l", "r").iter_rows()
    ]
    wrong = [
        entity[a] == entity[b]
        for a, b in seeds.filter(pl.col("label") == "distinct").select("l", "r").iter_rows()
    ]
    assert len(right) > 100 and np.mean(right) > 0.95
    assert not wrong or np.mean(wrong) < 0.05
    assert set(seeds["reason"]) == {"EM over blocked pairs"}
    assert LEVELS == ("different", "alike", "equal", "reversed")


def test_a_run_on_data_without_identifiers_needs_no_labels(tmp_path) -> None:
    """The cold start used to stop with "no match examples to learn from"."""
    import subprocess
    import sys

    from resolution import evaluate

    data = people(300)
    contacts = data.select(
        pl.lit("register").alias("source"),
        pl.col("record_id").cast(pl.String).alias("source_id"),
        (pl.col("given_key") + " " + pl.col("surname_key")).alias("name"),
        pl.col("city_key").alias("city"),
        pl.col("f_dob").alias("dob"),
    )
    (tmp_path / "in").mkdir()
    contacts.write_csv(tmp_path / "in" / "contacts.csv")
    (tmp_path / "edin.toml").write_text(
        '[[fields]]\nname = "dob"\ncolumn = "dob"\ntype = "short_string"\n', encoding="utf-8"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "edin",
            "run",
            str(tmp_path / "in"),
            "--home",
            str(tmp_path / "h"),
            "--config",
            str(tmp_path / "edin.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    members = pl.read_parquet(tmp_path / "h" / "current" / "members.parquet")
    truth = contacts.select("source", "source_id").with_columns(
        data["entity"].cast(pl.String).alias("entity_id")
    )
    scores = evaluate(truth, members)
    assert scores.pairwise_precision > 0.9 and scores.pairwise_recall > 0.5
