"""Tests for resolution.evaluation: hand-computed cases, a brute-force cross-check, I/O."""

from __future__ import annotations

import itertools
import random
import time
from pathlib import Path

import polars as pl
import pytest

from resolution.errors import InputError
from resolution.evaluation import Scores, evaluate, format_scores
from resolution.files import read_file


def table(groups: dict[str, str], label: str, source: str) -> pl.DataFrame:
    """{source_id: label value} -> a (source, source_id, label) table of strings."""
    return pl.DataFrame(
        {"source": [source] * len(groups), "source_id": list(groups), label: list(groups.values())},
        schema={"source": pl.String, "source_id": pl.String, label: pl.String},
    )


def truth_of(groups: dict[str, str], source: str = "s") -> pl.DataFrame:
    return table(groups, "entity_id", source)


def members_of(groups: dict[str, str], source: str = "s") -> pl.DataFrame:
    return table(groups, "profile_id", source)


TRUTH_ABC_D = {"a": "T1", "b": "T1", "c": "T1", "d": "T2"}  # {a,b,c},{d}: 3 true pairs ab ac bc

# (id, truth, predicted, expected (pairwise P, R, F1, b-cubed P, R, F1),
#  expected counts (true_pairs, predicted_pairs, correct_pairs, missing, predicted_clusters))
CASES = [
    pytest.param(
        TRUTH_ABC_D,
        {"a": "P1", "b": "P1", "c": "P2", "d": "P2"},
        # pred {a,b},{c,d}: pred pairs ab cd = 2, correct ab = 1
        # pairwise P = 1/2, R = 1/3, F1 = 2*(1/6)/(5/6) = 2/5
        # b-cubed per contact (|P∩T|/|P|, |P∩T|/|T|): a (2/2, 2/3), b (2/2, 2/3),
        #   c (1/2, 1/3), d (1/2, 1/1) -> P = 3/4, R = (8/3)/4 = 2/3, F1 = 1/(17/12) = 12/17
        (1 / 2, 1 / 3, 2 / 5, 3 / 4, 2 / 3, 12 / 17),
        (3, 2, 1, 0, 2),
        id="split-and-merge",
    ),
    pytest.param(
        TRUTH_ABC_D,
        {"a": "X", "b": "X", "c": "X", "d": "Y"},
        (1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
        (3, 3, 3, 0, 2),
        id="perfect",
    ),
    pytest.param(
        TRUTH_ABC_D,
        {"a": "1", "b": "2", "c": "3", "d": "4"},
        # no predicted pair: P = 0/0 = 1 by convention, R = 0/3, F1 = 0
        # b-cubed: every |P| = 1 -> P = 1; R: a,b,c 1/3, d 1 -> (1 + 1)/4 = 1/2; F1 = 1/(3/2) = 2/3
        (1.0, 0.0, 0.0, 1.0, 1 / 2, 2 / 3),
        (3, 0, 0, 0, 4),
        id="all-singletons",
    ),
    pytest.param(
        TRUTH_ABC_D,
        {"a": "Z", "b": "Z", "c": "Z", "d": "Z"},
        # pred {a,b,c,d}: 6 pred pairs, 3 correct -> P = 1/2, R = 1, F1 = 1/(3/2) = 2/3
        # b-cubed P: a,b,c 3/4, d 1/4 -> (10/4)/4 = 5/8; R = 1; F1 = (10/8)/(13/8) = 10/13
        (1 / 2, 1.0, 2 / 3, 5 / 8, 1.0, 10 / 13),
        (3, 6, 3, 0, 1),
        id="all-in-one",
    ),
    pytest.param(
        TRUTH_ABC_D,
        {"a": "P1", "b": "P1", "d": "P2"},
        # c missing -> its own singleton: pred {a,b},{c},{d}; 1 pred pair ab, correct
        # pairwise P = 1, R = 1/3, F1 = (2/3)/(4/3) = 1/2
        # b-cubed: P all 1; R a 2/3, b 2/3, c 1/3, d 1 -> 2/3; F1 = (4/3)/(5/3) = 4/5
        (1.0, 1 / 3, 1 / 2, 1.0, 2 / 3, 4 / 5),
        (3, 1, 1, 1, 3),
        id="missing-contact",
    ),
    pytest.param(
        {"a": "T1", "b": "T1"},
        {},
        # both missing: two singletons, never merged with each other
        # pairwise P = 0/0 = 1, R = 0/1 = 0; b-cubed P = 1, R = (1/2 + 1/2)/2 = 1/2, F1 = 2/3
        (1.0, 0.0, 0.0, 1.0, 1 / 2, 2 / 3),
        (1, 0, 0, 2, 2),
        id="all-missing",
    ),
    pytest.param(
        {"a": "T1", "b": "T2"},
        {"a": "P", "b": "P"},
        # no true pair: R = 0/0 = 1; P = 0/1 = 0; F1 = 0
        # b-cubed: P 1/2 each, R 1 each -> F1 = 1/(3/2) = 2/3
        (0.0, 1.0, 0.0, 1 / 2, 1.0, 2 / 3),
        (0, 1, 0, 0, 1),
        id="no-true-pairs",
    ),
    pytest.param(
        {"a": "T1", "b": "T2"},
        {"a": "P1", "b": "P2"},
        (1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
        (0, 0, 0, 0, 2),
        id="no-pairs-anywhere",
    ),
]


@pytest.mark.parametrize(("truth", "predicted", "expected", "counts"), CASES)
def test_hand_computed(truth, predicted, expected, counts):
    s = evaluate(truth_of(truth), members_of(predicted))
    got = (
        s.pairwise_precision,
        s.pairwise_recall,
        s.pairwise_f1,
        s.bcubed_precision,
        s.bcubed_recall,
        s.bcubed_f1,
    )
    assert got == pytest.approx(expected)
    assert (
        s.true_pairs,
        s.predicted_pairs,
        s.correct_pairs,
        s.missing,
        s.predicted_clusters,
    ) == counts
    assert s.contacts == len(truth)
    assert s.true_entities == len(set(truth.values()))
    assert s.unexpected == 0


def test_unexpected_members_are_ignored_and_counted():
    predicted = {"a": "X", "b": "X", "c": "X", "d": "Y", "x": "X", "y": "Y", "z": "Q"}
    s = evaluate(truth_of(TRUTH_ABC_D), members_of(predicted))
    assert s.unexpected == 3
    assert s.pairwise_f1 == s.bcubed_f1 == 1.0
    assert (s.predicted_pairs, s.predicted_clusters) == (3, 2)


def test_same_source_id_in_two_sources_are_two_contacts():
    truth = pl.concat([truth_of({"1": "E1"}, "crm"), truth_of({"1": "E2"}, "mail")])
    members = pl.concat([members_of({"1": "P"}, "crm"), members_of({"1": "P"}, "mail")])
    s = evaluate(truth, members)
    assert (s.contacts, s.true_pairs, s.predicted_pairs, s.correct_pairs) == (2, 0, 1, 0)


def test_keys_compared_as_strings():
    truth = pl.DataFrame({"source": ["s", "s"], "source_id": [1, 2], "entity_id": [7, 7]})
    members = members_of({"1": "P", "2": "P"})
    s = evaluate(truth, members)
    assert s.missing == 0
    assert s.pairwise_f1 == 1.0


def test_duplicate_members_rows_raise_with_count():
    members = pl.concat([members_of({"a": "P", "b": "P"}), members_of({"a": "Q", "b": "Q"})])
    with pytest.raises(InputError, match=r"members has 2 duplicate"):
        evaluate(truth_of(TRUTH_ABC_D), members)


def test_duplicate_truth_rows_raise():
    truth = pl.concat([truth_of({"a": "T1"}), truth_of({"a": "T2"})])
    with pytest.raises(InputError, match=r"truth has 1 duplicate"):
        evaluate(truth, members_of({"a": "P"}))


@pytest.mark.parametrize(
    ("truth", "members", "message"),
    [
        (
            pl.DataFrame({"source": ["s"], "source_id": ["a"]}),
            members_of({"a": "P"}),
            r"truth lacks column\(s\) \['entity_id'\]",
        ),
        (
            truth_of({"a": "T"}),
            pl.DataFrame({"source_id": ["a"], "profile_id": ["P"]}),
            r"members lacks column\(s\) \['source'\]",
        ),
        (truth_of({}), members_of({"a": "P"}), "truth is empty"),
        (truth_of({"a": "T"}), members_of({"a": None}), "empty `profile_id`"),  # type: ignore[dict-item]
    ],
)
def test_invalid_input_raises(truth, members, message):
    with pytest.raises(InputError, match=message):
        evaluate(truth, members)


def brute_force(truth: dict[tuple[str, str], str], pred: dict[tuple[str, str], str]) -> dict:
    """Reference: enumerate every pair of truth contacts; b-cubed from explicit sets."""
    contacts = list(truth)
    # missing contacts are their own cluster
    cluster = {c: ("p", pred[c]) if c in pred else ("missing", c) for c in contacts}
    same_t = {(x, y): truth[x] == truth[y] for x, y in itertools.combinations(contacts, 2)}
    same_p = {(x, y): cluster[x] == cluster[y] for x, y in itertools.combinations(contacts, 2)}
    tp = sum(same_t[k] and same_p[k] for k in same_t)
    t_pairs, p_pairs = sum(same_t.values()), sum(same_p.values())
    members_t = {c: {d for d in contacts if truth[d] == truth[c]} for c in contacts}
    members_p = {c: {d for d in contacts if cluster[d] == cluster[c]} for c in contacts}
    bp = sum(len(members_t[c] & members_p[c]) / len(members_p[c]) for c in contacts) / len(contacts)
    br = sum(len(members_t[c] & members_p[c]) / len(members_t[c]) for c in contacts) / len(contacts)
    return {
        "true_pairs": t_pairs,
        "predicted_pairs": p_pairs,
        "correct_pairs": tp,
        "pairwise_precision": tp / p_pairs if p_pairs else 1.0,
        "pairwise_recall": tp / t_pairs if t_pairs else 1.0,
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "missing": sum(c not in pred for c in contacts),
        "unexpected": sum(c not in truth for c in pred),
        "true_entities": len(set(truth.values())),
        "predicted_clusters": len(set(cluster.values())),
    }


@pytest.mark.parametrize("seed", range(25))
def test_matches_brute_force_on_random_inputs(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    sources = ["crm", "mail", "vk"]
    contacts = list({(rng.choice(sources), str(rng.randint(0, 60))) for _ in range(n)})
    truth = {c: f"E{rng.randint(0, rng.randint(1, n))}" for c in contacts}
    pred = {c: f"P{rng.randint(0, rng.randint(1, n))}" for c in contacts if rng.random() > 0.15}
    for _ in range(rng.randint(0, 5)):  # unexpected members rows
        pred.setdefault(("other", str(rng.randint(0, 9))), f"P{rng.randint(0, 5)}")
    truth_df = pl.DataFrame(
        [(s, i, e) for (s, i), e in truth.items()],
        schema=["source", "source_id", "entity_id"],
        orient="row",
    )
    members_df = pl.DataFrame(
        [(s, i, p) for (s, i), p in pred.items()],
        schema=["source", "source_id", "profile_id"],
        orient="row",
    )
    got = evaluate(truth_df, members_df).as_dict()
    for key, value in brute_force(truth, pred).items():
        assert got[key] == pytest.approx(value), key


def test_large_input_is_counted_not_enumerated():
    # 1M contacts in clusters of 1,000: ~5e8 true pairs, impossible to enumerate in time
    n = 1_000_000
    ids = pl.int_range(n, eager=True)
    truth = pl.DataFrame(
        {
            "source": "s",
            "source_id": ids.cast(pl.String),
            "entity_id": (ids // 1000).cast(pl.String),
        }
    )
    members = pl.DataFrame(
        {
            "source": "s",
            "source_id": ids.cast(pl.String),
            "profile_id": ((ids + 500) // 1000).cast(pl.String),
        }
    )
    start = time.perf_counter()
    s = evaluate(truth, members)
    assert time.perf_counter() - start < 30
    # entity k = [1000k, 1000k+999]; cluster j = [1000j-500, 1000j+499]: cells of 500
    # (and 500 at both ends: cluster 0 = [0, 499], cluster 1000 = [999500, 999999])
    assert s.true_pairs == 1000 * (1000 * 999 // 2)
    assert s.predicted_pairs == 999 * (1000 * 999 // 2) + 2 * (500 * 499 // 2)
    assert s.correct_pairs == 2000 * (500 * 499 // 2)
    assert s.bcubed_precision == pytest.approx(0.5 * 999_000 / n + 1.0 * 1000 / n)
    assert s.bcubed_recall == pytest.approx(0.5)


def test_as_dict_has_every_field():
    s = evaluate(truth_of(TRUTH_ABC_D), members_of(TRUTH_ABC_D))
    d = s.as_dict()
    assert list(d) == list(Scores.__dataclass_fields__)
    assert d["contacts"] == 4 and d["pairwise_f1"] == 1.0


def test_format_scores_is_aligned_table():
    s = evaluate(truth_of(TRUTH_ABC_D), members_of({"a": "P1", "b": "P1", "c": "P2", "d": "P2"}))
    text = format_scores(s)
    lines = text.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1"]
    assert lines[1].split() == ["pairwise", "0.5000", "0.3333", "0.4000"]
    assert lines[2].split() == ["b-cubed", "0.7500", "0.6667", "0.7059"]
    assert len(lines[1]) == len(lines[2]) == len(lines[0])
    assert "true pairs" in text and "missing" in text and "unexpected" in text
    counts = [line for line in lines[4:] if line]
    assert len({len(line) for line in counts}) == 1


def test_read_file_by_suffix(tmp_path: Path):
    df = pl.DataFrame({"source": ["s", "s"], "source_id": ["007", "8"], "entity_id": ["1", "1"]})
    df.write_csv(tmp_path / "t.csv")
    df.write_parquet(tmp_path / "t.parquet")
    df.write_ndjson(tmp_path / "t.jsonl")
    csv = read_file(tmp_path / "t.csv")
    assert csv.schema == pl.Schema({c: pl.String for c in df.columns})
    assert csv.get_column("source_id").to_list() == ["007", "8"]  # leading zero kept
    assert read_file(tmp_path / "t.parquet").equals(df)
    assert read_file(tmp_path / "t.jsonl").equals(df)
    (tmp_path / "t.xlsx").write_bytes(b"PK")
    with pytest.raises(InputError, match="unsupported file type"):
        read_file(tmp_path / "t.xlsx")
