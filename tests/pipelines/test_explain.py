"""`edin explain` and `edin label` on a published run, the way users run them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from edin.explain import explain_contact
from synth import generate, write_dataset
from tests.conftest import edin


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, Path]:
    data = tmp_path_factory.mktemp("explain-data")
    write_dataset(generate(120, seed=5), data)
    home = tmp_path_factory.mktemp("explain-home")
    proc = edin("run", str(data), "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return data, home


def key(row: dict) -> str:
    return f"{row['source']}:{row['source_id']}"


def test_every_published_profile_has_an_explanation(published):
    _, home = published
    members = pl.read_parquet(home / "current" / "members.parquet")
    firsts = members.sort("source", "source_id").unique(
        "profile_id", keep="first", maintain_order=True
    )
    for row in firsts.iter_rows(named=True):
        text = explain_contact(home, (row["source"], row["source_id"]))
        assert row["profile_id"] in text and key(row) in text


def test_explain_one_contact_while_the_warehouse_is_locked(published):
    _, home = published
    members = pl.read_parquet(home / "current" / "members.parquet")
    pid = (
        members.group_by("profile_id")
        .len()
        .filter(pl.col("len") >= 3)
        .sort("profile_id")["profile_id"][0]
    )
    inside = members.filter(pl.col("profile_id") == pid).sort("source", "source_id")
    con = duckdb.connect(str(home / "warehouse.duckdb"))  # a running pipeline holds this
    try:
        proc = edin("explain", "--home", str(home), key(inside.row(0, named=True)))
    finally:
        con.close()
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"profile {pid}" in out
    for row in inside.iter_rows(named=True):
        assert key(row) in out
    assert "scored pairs inside the profile" in out and "(agree)" in out
    assert "strongest pairs to contacts outside it" in out
    assert "operator decisions" in out


def test_explain_two_contacts(published):
    _, home = published
    reasons = pl.read_parquet(home / "current" / "pair_reasons.parquet").sort(
        "score", "source_l", "source_id_l", descending=[True, False, False]
    )
    top = reasons.row(0, named=True)
    a, b = f"{top['source_l']}:{top['source_id_l']}", f"{top['source_r']}:{top['source_id_r']}"
    proc = edin("explain", "--home", str(home), b, a)
    assert proc.returncode == 0, proc.stderr
    assert f"score {top['score']:.3f}" in proc.stdout and "(agree)" in proc.stdout
    assert "name weights of this home (" in proc.stdout  # the model's, estimated or the defaults

    # two contacts of different people that no block put together
    contacts = pl.read_parquet(home / "current" / "contacts.parquet").sort("source", "source_id")
    compared = {
        (r[0], r[1], r[2], r[3])
        for r in reasons.select("source_l", "source_id_l", "source_r", "source_id_r").iter_rows()
    }
    first = contacts.row(0, named=True)
    for other in contacts.reverse().iter_rows(named=True):
        pair = (first["source"], first["source_id"], other["source"], other["source_id"])
        if pair not in compared and (*pair[2:], *pair[:2]) not in compared:
            break
    proc = edin("explain", "--home", str(home), key(first), key(other))
    assert proc.returncode == 0, proc.stderr
    assert "never compared: no shared block" in proc.stdout or "but no kept score" in proc.stdout
    if "never compared" in proc.stdout:
        assert f"block keys of {key(first)}" in proc.stdout


def test_explain_unknown_contact_is_a_clear_error(published):
    _, home = published
    proc = edin("explain", "--home", str(home), "vk:no-such-contact")
    assert proc.returncode == 2 and "not in the published snapshot" in proc.stderr


def test_label_answers_become_training_labels(published, tmp_path):
    data, home = published
    answers = tmp_path / "answers.txt"
    answers.write_text("y\nn\nx\nu\nq\n", encoding="utf-8")  # "x" is asked again
    labels = tmp_path / "labels.csv"
    proc = edin(
        "label",
        "--home",
        str(home),
        "--max",
        "5",
        "--labels",
        str(labels),
        "--answers",
        str(answers),
    )
    assert proc.returncode == 0, proc.stderr
    assert "[1/5] score" in proc.stdout and "reasons:" in proc.stdout
    got = pl.read_csv(labels, infer_schema=False)
    assert got["label"].to_list() == ["match", "distinct"]
    skipped = pl.read_csv(home / "label_skipped.csv", infer_schema=False)
    assert skipped["label"].to_list() == ["unsure"]

    # the answered and skipped pairs are not asked again
    again = edin(
        "label",
        "--home",
        str(home),
        "--max",
        "5",
        "--labels",
        str(labels),
        "--answers",
        str(answers),
    )
    assert again.returncode == 0, again.stderr
    asked = [line for line in again.stdout.splitlines() if "|" in line][:1]
    first_pair = [line for line in proc.stdout.splitlines() if "|" in line][:1]
    assert asked != first_pair

    proc = edin("run", str(data), "--home", str(home), "--labels", str(labels))
    assert proc.returncode == 0, proc.stderr[-3000:]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        n = con.execute(
            "SELECT count(*) FROM training_labels WHERE reason = 'labelled'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert n == 4  # 2 from this test's first session + 2 from the second


def test_decided_pairs_leave_the_queue_and_show_in_explain(published, tmp_path):
    from edin.label import queue_frame

    _, home = published
    labels = tmp_path / "none.csv"
    first = queue_frame(home, labels, 3).row(0, named=True)
    a = f"{first['source_l']}:{first['source_id_l']}"
    b = f"{first['source_r']}:{first['source_id_r']}"
    proc = edin("merge", "--home", str(home), a, b, "--operator", "olga")
    assert proc.returncode == 0, proc.stderr
    again = queue_frame(home, labels, 3)
    assert (first["source_id_l"], first["source_id_r"]) not in set(
        again.select("source_id_l", "source_id_r").iter_rows()
    )
    proc = edin("explain", "--home", str(home), a, b)
    assert "the same person" in proc.stdout and "by olga" in proc.stdout


def test_published_reasons_add_up_to_the_published_scores(published):
    import json

    import numpy as np

    _, home = published
    reasons = pl.read_parquet(home / "current" / "pair_reasons.parquet")
    bias = json.loads((home / "current" / "model.json").read_text())["classifier"]["bias"]
    cols = [c for c in reasons.columns if c.startswith("w_")]
    assert reasons.height > 0 and len(cols) >= 9
    p = reasons["score"].to_numpy().clip(1e-12, 1 - 1e-9)
    logit = reasons.select(pl.sum_horizontal(cols) + bias).to_series().to_numpy()
    ok = p < 0.9999  # the logit of a score rounded to 1.0 cannot be recovered from it
    assert np.allclose(logit[ok], np.log(p[ok] / (1 - p[ok])), atol=1e-3)
