"""`edin explain` says when a rule of the cluster stage kept two contacts apart.

The sample data plus a few planted contacts: a family's landline borne by three given names
and a nameless caller on it (the household rule, resolution/linking/households.py), two
contacts of a common one-word name whose addresses share a local part on two mail services
(the namesakes' mailbox rule, resolution/linking/mailboxes.py), and one woman's two contacts on
her own mobile (no rule). The run records the pairs a rule dropped (``kept_apart``); explain
says which rule and why, in counts only (no other bearer's value), and nothing of the rules
for a pair no rule dropped. Erasing a contact takes its kept_apart rows with it.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

import edin.label as label
from edin.explain import explain_contact
from tests.conftest import CONTACT_HEADER, edin
from tests.pipelines.test_erasure import write_rows

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"

PLANTED = [
    # the Sokolovs' landline: three given names, and a caller who gave the surname alone
    ["vk", "fam-petr", "Пётр Соколов", "", "8 (495) 318-27-64", "vk.com/id99001017", "Тула",
     "2024-02-01T10:00:00+03:00"],
    ["phone", "fam-gleb", "Глеб Соколов", "", "84953182764", "", "Тула",
     "2024-02-05T10:00:00+03:00"],
    ["email", "fam-maria", "Мария Соколова", "maria.sokolova.z@mail.ru", "+7 495 318-27-64", "",
     "Тула", "2024-02-03T10:00:00+03:00"],
    ["whatsapp", "fam-anon", "Соколов", "", "8 495 318 27 64", "", "Тула",
     "2024-02-07T10:00:00+03:00"],
    # "Денис" is borne by more contacts of the sample than the rare-name limit (the local part
    # holds no surname: "denis.kovalev77" would make them both Денис Ковалев, a rare name)
    ["telegram", "nms-1", "Денис", "denis77@mail.ru", "", "", "Казань",
     "2024-04-01T10:00:00+03:00"],
    ["email", "nms-2", "Денис", "denis77@yandex.ru", "", "", "Пермь",
     "2024-09-01T10:00:00+03:00"],
    # one woman's own mobile
    ["vk", "own-olga", "Ольга Белова", "", "+7 916 583-41-27", "", "Самара",
     "2024-05-01T10:00:00+03:00"],
    ["phone", "own-olga-2", "Ольга Белова", "", "89165834127", "", "Самара",
     "2024-05-02T10:00:00+03:00"],
]  # fmt: skip

RULE_WORDS = ("kept apart", "own link was dropped", "household", "namesakes'")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("kept-apart")
    inputs = tmp / "in"
    sample = pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False)
    write_rows(inputs / "contacts.csv", CONTACT_HEADER, [*sample.rows(), *PLANTED])
    shutil.copy(SAMPLE / "interactions.csv", inputs / "interactions.csv")
    home = tmp / "home"
    proc = edin("run", str(inputs), "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return home


# (contact a, contact b, what explain must say of the rules (None: nothing), names of other
# contacts explain must not print)
CASES = [
    pytest.param(
        "vk:fam-petr",
        "email:fam-maria",
        "kept apart: they share only a phone line borne by 3 people (their given names are two "
        "people's)",
        ["Глеб"],
        id="household line, given names differ",
    ),
    pytest.param(
        "whatsapp:fam-anon",
        "vk:fam-petr",
        "kept apart: they share only a phone line borne by 3 people (a side has no given name "
        "and is not likely enough the other's bearer)",
        ["Глеб", "Мария"],
        id="household line, a nameless caller",
    ),
    pytest.param(
        "telegram:nms-1",
        "email:nms-2",
        "kept apart: the same e-mail local part on two mailboxes, and the name is borne by ",
        [],
        id="namesakes' mailboxes",
    ),
    pytest.param("vk:own-olga", "phone:own-olga-2", None, [], id="own mobile: no rule"),
]


@pytest.mark.parametrize(("a", "b", "says", "others"), CASES)
def test_explain_says_which_rule_kept_a_pair_apart(home, a, b, says, others):
    proc = edin("explain", "--home", str(home), a, b)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "score " in out  # a scored pair: the model compared it
    if says is None:
        assert "same profile: yes" in out
        assert not [w for w in RULE_WORDS if w in out], out
    else:
        assert says in out, out
        assert "same profile: no" in out
        for name in others:
            assert name not in out


def test_the_namesakes_count_is_above_the_homes_rare_name_limit(home):
    out = edin("explain", "--home", str(home), "telegram:nms-1", "email:nms-2").stdout
    said = out.split("the name is borne by ", 1)[1]
    bearers, rest = said.split(" contacts, more than the home's rare-name limit ", 1)
    assert int(bearers) > int(rest.split(":", 1)[0])


def test_explaining_a_contact_tells_the_rule_of_its_outside_pairs(home):
    out = explain_contact(home, ("vk", "fam-petr"))
    outside = out.split("strongest pairs to contacts outside it", 1)[1]
    assert "kept apart: they share only a phone line borne by 3 people" in outside
    assert "Глеб" not in out and "Мария" not in out  # the other bearers' names


def test_the_rules_pairs_are_published_with_the_snapshot(home):
    kept = pl.read_parquet(home / "current" / "kept_apart.parquet")
    pairs = {
        frozenset({f"{r['source_l']}:{r['source_id_l']}", f"{r['source_r']}:{r['source_id_r']}"})
        for r in kept.iter_rows(named=True)
    }
    assert frozenset({"vk:fam-petr", "email:fam-maria"}) in pairs
    assert frozenset({"vk:own-olga", "phone:own-olga-2"}) not in pairs
    con = duckdb.connect(str(home / "current" / "profiles.duckdb"), read_only=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM kept_apart").fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert n == kept.height


def test_erasing_a_contact_takes_its_kept_apart_rows(home, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(home, copy, symlinks=True)
    con = duckdb.connect(str(copy / "warehouse.duckdb"), read_only=True)
    try:
        (maria,) = con.execute(  # type: ignore[misc]
            "SELECT record_id FROM normalized_contacts WHERE source_id = 'fam-maria'"
        ).fetchone()
        (before,) = con.execute(  # type: ignore[misc]
            "SELECT count(*) FROM kept_apart WHERE $r IN (record_id_l, record_id_r)", {"r": maria}
        ).fetchone()
    finally:
        con.close()
    assert before >= 1
    proc = edin("erase", "--home", str(copy), "--only-contacts", "email:fam-maria")
    assert proc.returncode == 0, proc.stderr
    for snap in (copy / "snapshots").iterdir():
        kept = pl.read_parquet(snap / "kept_apart.parquet")
        assert "fam-maria" not in kept["source_id_l"].to_list() + kept["source_id_r"].to_list()
    con = duckdb.connect(str(copy / "warehouse.duckdb"), read_only=True)
    try:
        left = con.execute(
            "SELECT count(*) FROM kept_apart WHERE $r IN (record_id_l, record_id_r)", {"r": maria}
        ).fetchone()
        rows = con.execute("SELECT count(*) FROM kept_apart").fetchone()
    finally:
        con.close()
    assert left == (0,) and rows is not None and rows[0] > 0
    out = edin("explain", "--home", str(copy), "vk:fam-petr", "whatsapp:fam-anon").stdout
    assert "kept apart: they share only a phone line" in out


@pytest.mark.parametrize(("a", "b", "says", "others"), CASES)
def test_edin_label_shows_the_rule_beside_a_queued_pair(home, a, b, says, others, monkeypatch):
    """The label queue shows a pair a rule kept apart with the words explain uses."""
    left, right = sorted([tuple(a.split(":", 1)), tuple(b.split(":", 1))])
    reasons = pl.read_parquet(home / "current" / "pair_reasons.parquet")
    pair = reasons.filter(
        (pl.col("source_l") == left[0])
        & (pl.col("source_id_l") == left[1])
        & (pl.col("source_r") == right[0])
        & (pl.col("source_id_r") == right[1])
    )
    assert pair.height == 1  # a scored pair
    members = pl.read_parquet(home / "current" / "members.parquet")
    keys = members["source"] + ":" + members["source_id"]
    profile = dict(zip(keys, members["profile_id"], strict=True))
    queued = pair.with_columns(
        pl.lit(profile[":".join(left)]).alias("profile_id_l"),
        pl.lit(profile[":".join(right)]).alias("profile_id_r"),
    )
    monkeypatch.setattr(label, "label_queue", lambda *args, **kwargs: queued)
    out = io.StringIO()
    label.run_label(home, home / "answers.csv", 1, io.StringIO("q\n"), out, interactive=False)
    text = out.getvalue()
    assert f"{left[0]}:{left[1]}" in text
    if says is None:
        assert "kept apart" not in text
    else:
        assert "  " + says in text, text
        for name in others:
            assert name not in text
