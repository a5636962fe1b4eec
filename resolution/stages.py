"""The pipeline's stages over the warehouse, one function per stage.

Each stage reads the tables it needs from the warehouse, writes the table it owns and returns
its metadata (counts, timings) for the caller: the Dagster assets and the CLI run these same
functions, so there is one code path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from resolution import labels as labels_mod
from resolution.blocking import candidate_pairs
from resolution.changes import change_events, stamp
from resolution.clustering import (
    cluster_records,
    drop_pairs,
    enforce_decisions,
    identifier_links,
    score_and_explain,
)
from resolution.config import EdinConfig
from resolution.contract import CHANGE_EVENTS
from resolution.decisions import DISTINCT, MATCH, pair_decisions
from resolution.explanation import published_reasons, snapshot_contacts
from resolution.features import normalize_contacts
from resolution.fields import field_specs, records
from resolution.hubs import IDENTIFIER_COLUMNS, drop_hubs, find_hubs
from resolution.identity import assign_ids, stamp_id_map
from resolution.ingest import fingerprint, ingest
from resolution.model import MODEL_FILE, MatchModel, train
from resolution.profiles import build_history, build_members, build_profiles, cluster_keys
from resolution.publish import (
    MODEL_COPY,
    TABLES,
    PublishError,
    check_snapshot,
    new_run_id,
    switch_current,
    write_snapshot,
)
from resolution.published import read_published
from resolution.warehouse import read_table, write_table

log = logging.getLogger("edin")


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs besides the warehouse connection."""

    home: Path
    inputs: tuple[Path, ...]
    config: EdinConfig
    labels_file: Path | None = None
    run_id: str = field(default_factory=new_run_id)
    retrain: bool = False  # train a fresh model even if the saved one could be reused

    @property
    def model_dir(self) -> Path:
        return self.home / "model"


Metadata = dict[str, Any]


def timed(fn: Callable[..., Metadata]) -> Callable[..., Metadata]:
    """Add ``seconds`` to a stage's metadata and log its start and end."""
    def wrapper(*args: Any, **kwargs: Any) -> Metadata:
        name = fn.__name__
        log.info("▶ %s", name)
        started = time.perf_counter()
        meta = fn(*args, **kwargs)
        meta["seconds"] = round(time.perf_counter() - started, 2)
        log.info("✓ %s in %.1f s: %s", name, meta["seconds"],
                 ", ".join(f"{k}={v}" for k, v in meta.items() if k != "seconds"))
        return meta
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@timed
def ingest_inputs(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """raw_contacts, raw_interactions and quarantine from the input files."""
    got = ingest(list(run.inputs), run.config)
    write_table(con, "raw_contacts", got.contacts)
    write_table(con, "raw_interactions", got.interactions)
    write_table(con, "quarantine", got.quarantine)
    input_contacts = got.contacts.height + got.quarantine.filter(
        pl.col("kind") == "contact").height
    input_interactions = got.interactions.height + got.quarantine.filter(
        pl.col("kind") == "interaction").height
    con.execute("CREATE OR REPLACE TABLE input_counts AS SELECT $c AS contacts, "
                "$i AS interactions, $f AS fingerprint",
                {"c": input_contacts, "i": input_interactions, "f": fingerprint(got.files)})
    return {"files": len(got.files), "input_contacts": input_contacts,
            "contacts": got.contacts.height, "interactions": got.interactions.height,
            "quarantined": got.quarantine.height}


@timed
def normalize(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """normalized_contacts (match keys, hub values removed) and hub_values."""
    contacts = normalize_contacts(read_table(con, "raw_contacts"), run.config)
    extra_ids = tuple(f"f_{f.name}" for f in run.config.fields if f.identifier)
    hubs = find_hubs(contacts, run.config.resolution.hub_max_people,
                     IDENTIFIER_COLUMNS + extra_ids)
    contacts = drop_hubs(contacts, hubs)
    write_table(con, "normalized_contacts", contacts)
    write_table(con, "hub_values", hubs)
    return {"contacts": contacts.height, "hub_values": hubs.height,
            "with_name": contacts["name_key"].is_not_null().sum(),
            "with_phone": (contacts["phones"].list.len() > 0).sum(),
            "with_email": (contacts["emails"].list.len() > 0).sum()}


@timed
def label(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """training_labels: cold-start seeds plus labelled pairs from --labels."""
    contacts = read_table(con, "normalized_contacts")
    specs = field_specs(run.config)
    res = run.config.resolution
    seeds = labels_mod.seed_labels(contacts, specs, max_pairs=res.max_seed_pairs, seed=res.seed)
    labelled = labels_mod.read_labels(run.labels_file, contacts) if run.labels_file else None
    combined = labels_mod.combine(seeds, labelled)
    write_table(con, "training_labels", combined)
    counts = dict(combined.group_by("label").len().iter_rows())
    return {"match": counts.get("match", 0), "distinct": counts.get("distinct", 0),
            "unsure": counts.get(labels_mod.UNSURE, 0),
            "labelled": 0 if labelled is None else labelled.height}


TRAINED = "trained.json"
# Knobs that change how a run executes, not what the model learns.
RUNTIME_KNOBS = frozenset({"score_chunk", "retrain_growth", "workers"})


def training_key(run: RunSettings) -> str:
    """What the model was trained from besides the contacts: match fields, resolver knobs and
    the labels file. A change in any of them means the model must be retrained."""
    knobs = {k: v for k, v in asdict(run.config.resolution).items() if k not in RUNTIME_KNOBS}
    digest = hashlib.sha256(repr((run.config.fields, sorted(knobs.items()))).encode())
    if run.labels_file is not None:
        digest.update(Path(run.labels_file).read_bytes())
    return digest.hexdigest()


def reusable_model(run: RunSettings, contacts: int) -> dict[str, Any] | None:
    """The saved model's training record when it can score this run: same fields, knobs and
    labels, and the contacts grew by at most ``retrain_growth`` since it was trained."""
    path = run.model_dir / TRAINED
    if run.retrain or not path.exists() or not (run.model_dir / "model.json").exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    growth = run.config.resolution.retrain_growth
    if state.get("key") != training_key(run) or contacts > state["contacts"] * (1 + growth):
        return None
    return state


@timed
def train_model(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """The dedupe model, saved as model.json + training.json in HOME/model.

    A model trained earlier in this home is reused while it fits (``reusable_model``): the
    daily run scores new contacts with the same model, so existing profiles only change where
    new evidence touches them (stable IDs, and an unchanged partition). ``--retrain`` forces
    a fresh model, a full re-cluster."""
    contacts = read_table(con, "normalized_contacts")
    state = reusable_model(run, contacts.height)
    if state is not None:
        model = MatchModel.load(run.model_dir)
        return {"blocking_rules": len(model.predicates), "reused": True,
                "trained_on": state["contacts"], **model.stats}
    specs = field_specs(run.config)
    recs = records(contacts, specs)
    labelled = read_table(con, "training_labels")
    answered = pl.col("reason") == labels_mod.LABELLED
    pairs = labels_mod.training_pairs(labelled.filter(~answered), recs)
    answers = labels_mod.training_pairs(labelled.filter(answered), recs)
    res = run.config.resolution

    def hard_negatives(neighbours: list[tuple[int, int]]) -> list[tuple[int, int]]:
        got = labels_mod.conflicting_neighbours(
            contacts, specs, pl.DataFrame(neighbours, schema={"l": pl.Int64, "r": pl.Int64},
                                          orient="row"),
            max_pairs=res.max_seed_pairs, seed=res.seed)
        return list(got.select("l", "r").iter_rows())

    model = train(recs, pairs, specs, threshold=res.threshold, sample_size=res.training_sample,
                  recall=res.recall, seed=res.seed, hard_negatives=hard_negatives,
                  answers=answers)
    model.save(run.model_dir, {k: pairs[k] + answers[k] for k in ("match", "distinct")})
    (run.model_dir / TRAINED).write_text(json.dumps(
        {"key": training_key(run), "contacts": contacts.height}, indent=2), encoding="utf-8")
    return {"blocking_rules": len(model.predicates), "reused": False,
            "trained_on": contacts.height, **model.stats}


@timed
def block(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """candidate_pairs from the model's fingerprinter."""
    model = MatchModel.load(run.model_dir)
    recs = records(read_table(con, "normalized_contacts"), model.specs)
    stats = candidate_pairs(con, model, recs, run.config.resolution.max_block_size)
    return {"candidate_pairs": stats.pairs, "blocks": stats.blocks,
            "skipped_blocks": stats.skipped_blocks}


@timed
def score(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """scored_pairs (match probabilities of the candidate pairs) and scored_pair_reasons (each
    field's contribution to them)."""
    model = MatchModel.load(run.model_dir)
    recs = records(read_table(con, "normalized_contacts"), model.specs)
    scored, reasons, held = score_and_explain(con, model, recs,
                                              run.config.resolution.score_chunk)
    write_table(con, "scored_pairs", scored)
    write_table(con, "scored_pair_reasons", reasons)
    return {"scored_pairs": scored.height,
            "above_threshold": (scored["score"] >= model.threshold).sum(),
            "held_by_name_guard": held}


@timed
def cluster(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """clusters: every contact in exactly one cluster."""
    contacts = read_table(con, "normalized_contacts")
    res = run.config.resolution
    must, cannot = decision_pairs(pair_decisions(run.home), contacts)
    scored = drop_pairs(read_table(con, "scored_pairs"), cannot)
    extra_ids = tuple(f"f_{f.name}" for f in run.config.fields if f.identifier)
    clusters = cluster_records(contacts["record_id"], scored,
                               threshold=res.threshold, max_cluster_size=res.max_cluster_size,
                               linked=identifier_links(contacts, ("phones", "emails", "handles")
                                                       + extra_ids))
    clusters = enforce_decisions(clusters, scored, must_link=must, cannot_link=cannot,
                                 threshold=res.threshold)
    write_table(con, "clusters", clusters)
    sizes = clusters.group_by("cluster_id").len()
    return {"clusters": sizes.height, "merged_clusters": (sizes["len"] > 1).sum(),
            "largest": int(sizes["len"].max() or 0),
            "review": clusters.filter(pl.col("status") == "review").height,
            "decided_same": must.height, "decided_different": cannot.height}


def decision_pairs(decisions: pl.DataFrame,
                   contacts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Operator decisions as (record_id_l, record_id_r) pairs: (must-link, cannot-link).
    Pairs naming contacts no longer in the input are left out."""
    ids = contacts.select("record_id", "source", "source_id")
    pairs = (decisions
             .join(ids.rename({"record_id": "a", "source": "source_l",
                               "source_id": "source_id_l"}), on=["source_l", "source_id_l"])
             .join(ids.rename({"record_id": "b", "source": "source_r",
                               "source_id": "source_id_r"}), on=["source_r", "source_id_r"])
             .select(pl.min_horizontal("a", "b").alias("record_id_l"),
                     pl.max_horizontal("a", "b").alias("record_id_r"), "label")
             .sort("record_id_l", "record_id_r"))
    return (pairs.filter(pl.col("label") == MATCH).drop("label"),
            pairs.filter(pl.col("label") == DISTINCT).drop("label"))


@timed
def build(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """members (with IDs kept stable against the published snapshot), profiles, history,
    id_map and this run's change events (stamped with the run ID when publishing)."""
    contacts = read_table(con, "normalized_contacts")
    clusters = read_table(con, "clusters")
    prev = read_published(run.home)  # the published snapshot, never the warehouse
    assignment = assign_ids(cluster_keys(contacts, clusters),
                            prev.members if prev else None, prev.id_map if prev else None)
    members = build_members(contacts, clusters, assignment.ids)
    history = build_history(read_table(con, "raw_interactions"), members)
    profiles = build_profiles(contacts, members, clusters, history, run.config.profile)
    events = change_events(assignment, prev.members if prev else None,
                           prev.profiles if prev else None, members, profiles)
    changes = pl.concat([prev.changes, events]) if prev else events
    for name, df in (("members", members), ("profiles", profiles), ("history", history),
                     ("id_map", assignment.id_map), ("changes", changes)):
        write_table(con, name, df)
    counts = dict(events.group_by("event").len().iter_rows())
    return {"profiles": profiles.height, "members": members.height, "history": history.height,
            "merged_profiles": (profiles["contacts"] > 1).sum(),
            "previous_run": prev.run_id if prev else "",
            **{f"events_{e}": counts.get(e, 0) for e in CHANGE_EVENTS}}


@timed
def publish(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """A checked snapshot in HOME/snapshots/<run_id>, then HOME/current switched to it."""
    tables = {name: read_table(con, name) for name in TABLES}
    contacts = read_table(con, "normalized_contacts")
    model = MatchModel.load(run.model_dir)
    tables["contacts"] = snapshot_contacts(contacts, records(contacts, model.specs))
    tables["pair_reasons"] = published_reasons(read_table(con, "scored_pair_reasons"), contacts)
    tables["id_map"] = stamp_id_map(tables["id_map"], run.run_id)
    tables["changes"] = stamp(tables["changes"], run.run_id, datetime.now(UTC))
    row = con.execute("SELECT contacts, interactions, fingerprint FROM input_counts").fetchall()[0]
    assert row is not None
    problems = check_snapshot(tables, int(row[0]), int(row[1]))
    if problems:
        raise PublishError("snapshot failed its checks, current/ left unchanged: "
                           + "; ".join(problems))
    snapshot = write_snapshot(run.home, run.run_id, tables, {"inputs_fingerprint": row[2]},
                              {MODEL_COPY: (run.model_dir / MODEL_FILE).read_bytes()})
    current = switch_current(run.home, snapshot)
    return {"run_id": snapshot.run_id, "path": str(current), **snapshot.counts}


STAGES = (ingest_inputs, normalize, label, train_model, block, score, cluster, build, publish)
