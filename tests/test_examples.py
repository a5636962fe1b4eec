"""The public example sets as a user runs them: prepare, `edin run` with the example's config."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl

from resolution import evaluate
from tests.conftest import edin_ok

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _prepare_febrl_noid(target: Path) -> int:
    spec = importlib.util.spec_from_file_location(
        "febrl_noid", EXAMPLES / "febrl_noid" / "prepare.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.main([str(target)]))


def test_febrl_without_identifiers_is_written_with_its_published_truth(tmp_path) -> None:
    assert _prepare_febrl_noid(tmp_path) == 0  # non-zero when a truth differs from the package's
    for n, (records, entities) in {
        1: (1000, 500),
        2: (5000, 4000),
        3: (5000, 2000),
        4: (10000, 5000),
    }.items():
        data = pl.read_csv(tmp_path / f"febrl{n}" / "records.csv", infer_schema=False)
        truth = pl.read_csv(tmp_path / f"febrl{n}" / "truth.csv", infer_schema=False)
        assert "soc_sec_id" not in data.columns
        assert (data.height, truth["entity_id"].n_unique()) == (records, entities)


def test_an_identifier_free_register_resolves_with_zero_labels(tmp_path) -> None:
    """FEBRL1 without its social security numbers: names, address, birth date, nothing shared
    exactly; the cold start must weigh the fields from the data alone (issue 11)."""
    assert _prepare_febrl_noid(tmp_path / "data") == 0
    edin_ok(
        "run",
        str(tmp_path / "data" / "febrl1"),
        "--home",
        str(tmp_path / "home"),
        "--config",
        str(EXAMPLES / "febrl_noid" / "edin.toml"),
    )
    truth = pl.read_csv(tmp_path / "data" / "febrl1" / "truth.csv", infer_schema=False)
    members = pl.read_parquet(tmp_path / "home" / "current" / "members.parquet")
    scores = evaluate(truth, members)
    # F1 0.994 measured at 5770c44; Splink 5 with the FEBRL3 demo model: 0.96-0.98 on these sets
    assert scores.pairwise_precision > 0.97 and scores.pairwise_recall > 0.95


def test_erasure_takes_a_persons_values_out_of_the_fellegi_sunter_model(tmp_path) -> None:
    """An identifier-free home's model keeps its fields' repeated values (term frequencies):
    a value only the erased person had leaves model.json, at home and in every snapshot."""
    assert _prepare_febrl_noid(tmp_path / "data") == 0
    home = tmp_path / "home"
    config = str(EXAMPLES / "febrl_noid" / "edin.toml")
    edin_ok("run", str(tmp_path / "data" / "febrl1"), "--home", str(home), "--config", config)
    model = json.loads((home / "model" / "model.json").read_text(encoding="utf-8"))
    surnames = model["fellegi_sunter"]["counts"]["f_surname"]
    contacts = pl.read_parquet(home / "current" / "contacts.parquet").with_columns(
        surname=pl.col("match_record").str.json_path_match("$.f_surname")
    )
    # a surname borne by exactly the two records of one person
    borne = contacts.group_by("surname").agg("source_id", pl.len().alias("n"))
    pick = next(
        row
        for row in borne.filter(pl.col("n") == 2).sort("surname").iter_rows(named=True)
        if row["surname"] in surnames and len({i.split("-")[1] for i in row["source_id"]}) == 1
    )
    edin_ok("erase", "--home", str(home), *(f"febrl:{i}" for i in pick["source_id"]))
    copies = [home / "model" / "model.json", *sorted(home.glob("snapshots/*/model.json"))]
    assert len(copies) >= 2
    for path in copies:
        counts = json.loads(path.read_text(encoding="utf-8"))["fellegi_sunter"]["counts"]
        assert pick["surname"] not in counts["f_surname"], path
        assert counts["f_given_name"], path  # the other values stay
