"""The name-only guard applied in SQL while blocking (``guard.linkable_sql``) agrees with the
guard applied after scoring (``guard.name_only_pairs``) on every pair of a generated set."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import polars as pl
import pytest

from resolution.config import ExtraField, default_config
from resolution.inputs.ingest import ingest
from resolution.inputs.normalize import normalize_contacts
from resolution.linking.blocking import (
    _BLOCKED_SQL,
    _evidence_sql,
    _pairs_sql,
    block_key_frames,
    candidate_pairs,
    dirty_candidate_pairs,
    guard_frame,
)
from resolution.linking.scoring import score_candidates
from resolution.matching.comparison import RecordColumns
from resolution.matching.fields import NAME_COUNT, field_specs, n_features, records
from resolution.matching.guard import linkable_sql, name_only_pairs
from resolution.matching.model import MatchModel, predicate_from_json
from synth import generate, write_dataset


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The records of ~1,000 generated contacts (400 people), with an extra string field."""
    data = tmp_path_factory.mktemp("generated")
    write_dataset(generate(400, seed=3), data)
    config = default_config()
    contacts = normalize_contacts(ingest([data], config).contacts, config)
    # a configured field: the first three letters of the city, so that some pairs agree on it
    contacts = contacts.with_columns(f_area=pl.col("city_key").str.slice(0, 3))
    config = replace(
        config, fields=(ExtraField(name="area", columns=("area",), type="short_string"),)
    )
    return contacts, config


def _blocking_model(specs, blocking, bias=0.0, threshold=0.5):
    """A model of zero weights with these blocking rules (dedupe's predicate JSON)."""
    return MatchModel(
        specs=specs,
        weights=np.zeros(n_features(specs)),
        bias=bias,
        predicates=tuple(predicate_from_json(p) for p in blocking),
        threshold=threshold,
        stats={},
    )


def _all_pairs(recs):
    ids = np.array(sorted(recs), dtype=np.int64)
    left, right = np.triu_indices(len(ids), k=1)
    return ids[left], ids[right]


def _sql_linkable(recs, specs, left, right):
    con = duckdb.connect()
    con.register("g", guard_frame(recs, list(specs)))
    con.register("p", pl.DataFrame({"a": left, "b": right, "i": np.arange(len(left))}))
    got = con.execute(
        f"""SELECT {linkable_sql(specs)} FROM p JOIN g l ON l.record_id = p.a
            JOIN g r ON r.record_id = p.b ORDER BY p.i"""
    ).fetchnumpy()
    return np.asarray(next(iter(got.values())), dtype=bool)


def test_sql_prefilter_is_exactly_the_guard_on_every_pair_of_a_generated_set(generated):
    contacts, _ = generated
    specs = field_specs(default_config())
    recs = records(contacts, specs)
    left, right = _all_pairs(recs)
    table = RecordColumns(recs, [*(s.name for s in specs), NAME_COUNT])
    name_only = name_only_pairs(table.pairs(left, right), specs)
    linkable = _sql_linkable(recs, specs, left, right)
    assert len(left) > 400_000
    assert np.array_equal(linkable, ~name_only)
    # the set has both kinds, and pairs linked only by one rare full name
    assert name_only.sum() > 0 and (~name_only).sum() > 0
    names = table.pairs(left, right).field("name")
    same_name = np.array([a is not None and a == b for a, b in zip(*names, strict=True)])
    assert (same_name & ~name_only).sum() > 0 and (same_name & name_only).sum() > 0


def test_sql_prefilter_never_drops_a_pair_a_configured_field_may_link(generated):
    contacts, config = generated
    specs = field_specs(config)
    recs = records(contacts, specs)
    left, right = _all_pairs(recs)
    table = RecordColumns(recs, [*(s.name for s in specs), NAME_COUNT])
    name_only = name_only_pairs(table.pairs(left, right), specs)
    linkable = _sql_linkable(recs, specs, left, right)
    # every pair the guard lets through is a candidate; the similar-value agreement of a
    # configured string field is left to the guard after scoring
    assert not (~name_only & ~linkable).any()
    assert (linkable & name_only).sum() > 0


def test_blocking_counts_the_pairs_the_guard_holds_and_scoring_reports_them(generated):
    contacts, _ = generated
    specs = field_specs(default_config())
    recs = records(contacts, specs)
    blocking = [
        [{"class": "SimplePredicate", "func": "wholeFieldPredicate", "field": "city"}],
        [{"class": "SimplePredicate", "func": "commonSetElementPredicate", "field": "phones"}],
    ]
    model = _blocking_model(specs, blocking, bias=5.0, threshold=0.6)
    con = duckdb.connect()
    stats = candidate_pairs(con, model, recs, max_block_size=10_000)
    # the same blocks, every pair scored: the guard holds exactly the pairs left out
    blocked = con.execute(
        """SELECT DISTINCT a.record_id, b.record_id FROM block_keys a JOIN block_keys b
           ON a.block_key = b.block_key AND a.record_id < b.record_id ORDER BY 1, 2"""
    ).fetchnumpy()
    left, right = (np.asarray(v) for v in blocked.values())
    table = RecordColumns(recs, [*(s.name for s in specs), NAME_COUNT])
    name_only = name_only_pairs(table.pairs(left, right), specs)
    kept = con.execute("SELECT * FROM candidate_pairs").fetchnumpy()
    assert stats.held_by_guard == name_only.sum() > 0
    assert stats.pairs == (~name_only).sum() > 0
    assert np.array_equal(np.asarray(kept["record_id_l"]), left[~name_only])
    assert np.array_equal(np.asarray(kept["record_id_r"]), right[~name_only])
    # bias 5: every name-only pair would score above the cap, so scoring would have held it
    got = score_candidates(con, model, recs, chunk=1000)
    assert got.held_by_guard == stats.held_by_guard
    assert got.scored.height == stats.pairs


def test_block_key_frames_are_the_models_own_block_keys(generated):
    contacts, _ = generated
    specs = field_specs(default_config())
    recs = records(contacts, specs)
    blocking = [
        [
            {"class": "SimplePredicate", "func": "wholeFieldPredicate", "field": "city"},
            {"class": "StringPredicate", "func": "sameFiveCharStartPredicate", "field": "name"},
        ],
        [
            {"class": "StringPredicate", "func": "metaphoneToken", "field": "surname"},
            {"class": "StringPredicate", "func": "wholeFieldPredicate", "field": "given"},
        ],
        [
            {"class": "StringPredicate", "func": "sortedAcronym", "field": "name"},
            {"class": "StringPredicate", "func": "sameThreeCharStartPredicate", "field": "name"},
        ],
        {"class": "SimplePredicate", "func": "commonSetElementPredicate", "field": "phones"},
        {"class": "SimplePredicate", "func": "commonSetElementPredicate", "field": "emails"},
    ]
    model = _blocking_model(specs, blocking)
    want = sorted(model.blocks(sorted(recs.items())))
    got = pl.concat(list(block_key_frames(model, recs)))
    assert sorted(got.iter_rows()) == want
    assert len(want) > len(recs)


def _name_and_identifier_model(specs):
    """Blocking rules on names (large namesake blocks) and on identifiers."""
    blocking = [
        [{"class": "SimplePredicate", "func": "wholeFieldPredicate", "field": "city"}],
        [{"class": "StringPredicate", "func": "sameThreeCharStartPredicate", "field": "name"}],
        [{"class": "StringPredicate", "func": "wholeFieldPredicate", "field": "given"}],
        [{"class": "SimplePredicate", "func": "commonSetElementPredicate", "field": "phones"}],
        [{"class": "SimplePredicate", "func": "commonSetElementPredicate", "field": "emails"}],
    ]
    return _blocking_model(specs, blocking)


def _guarded_after_blocking(con, specs, max_block):
    """The candidate pairs as made before the evidence join: every pair sharing a small block,
    then the guard in SQL (``linkable_sql``), with the count of those held."""
    con.execute(_BLOCKED_SQL, {"max_block": max_block})
    con.execute(_pairs_sql(specs).replace("TABLE candidate_pairs", "TABLE old_pairs"))
    held = con.execute(
        "SELECT (SELECT count(*) FROM blocked_pairs) - (SELECT count(*) FROM old_pairs)"
    ).fetchall()[0][0]
    return con.sql("SELECT * FROM old_pairs").pl(), held


@pytest.mark.parametrize("max_block", [10_000, 40])
def test_the_evidence_join_makes_exactly_the_candidates_of_blocking_then_guarding(
    generated, max_block
):
    contacts, _ = generated
    specs = field_specs(default_config())
    assert _evidence_sql(list(specs)) is not None  # only contact fields: the evidence join
    recs = records(contacts, specs)
    con = duckdb.connect()
    stats = candidate_pairs(con, _name_and_identifier_model(specs), recs, max_block)
    got = con.sql("SELECT * FROM candidate_pairs").pl()
    con.register("guard_records", guard_frame(recs, list(specs)))
    want, held = _guarded_after_blocking(con, list(specs), max_block)
    assert got.equals(want) and got.height == stats.pairs > 0
    assert stats.held_by_guard == held > got.height  # namesake pairs: most of those blocked
    if max_block == 40:
        assert stats.skipped_blocks > 0


def test_held_pairs_are_estimated_within_a_few_per_cent_above_the_exact_limit(generated):
    contacts, _ = generated
    specs = field_specs(default_config())
    recs = records(contacts, specs)
    model = _name_and_identifier_model(specs)
    exact = candidate_pairs(duckdb.connect(), model, recs, 10_000)
    estimated = candidate_pairs(duckdb.connect(), model, recs, 10_000, exact_held_up_to=0)
    assert estimated.pairs == exact.pairs
    assert abs(estimated.held_by_guard - exact.held_by_guard) <= 0.1 * exact.held_by_guard


def test_a_configured_string_field_keeps_the_guard_after_blocking(generated):
    # two values of a configured field make a pair linkable: no join on values finds them all
    _, config = generated
    assert _evidence_sql(list(field_specs(config))) is None


@pytest.mark.parametrize("max_block", [10_000, 40])
def test_an_incremental_runs_candidates_are_the_full_runs_with_a_dirty_side(generated, max_block):
    contacts, _ = generated
    specs = list(field_specs(default_config()))
    recs = records(contacts, specs)
    con = duckdb.connect()
    candidate_pairs(con, _name_and_identifier_model(specs), recs, max_block)
    full = con.sql("SELECT * FROM candidate_pairs").pl()
    ids = sorted(recs)
    dirty = pl.DataFrame({"record_id": ids[::7]}, schema={"record_id": pl.Int64})
    con.register("dirty_contacts", dirty)
    assert dirty_candidate_pairs(con, specs, recs, max_block)
    got = con.sql("SELECT * FROM candidate_pairs").pl()
    want = full.filter(
        pl.col("record_id_l").is_in(dirty["record_id"])
        | pl.col("record_id_r").is_in(dirty["record_id"])
    )
    assert got.equals(want) and 0 < got.height < full.height


def test_with_a_configured_string_field_an_incremental_run_blocks_the_old_way(generated):
    contacts, config = generated
    specs = list(field_specs(config))
    con = duckdb.connect()
    con.execute("CREATE TABLE candidate_pairs AS SELECT 1 AS record_id_l, 2 AS record_id_r")
    assert not dirty_candidate_pairs(con, specs, records(contacts, specs), 10_000)
    assert con.execute("SELECT count(*) FROM candidate_pairs").fetchall()[0][0] == 1
