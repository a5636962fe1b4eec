"""The pipeline's stages over the warehouse, one function per stage, in the order data moves.

Each stage reads the tables it needs from the warehouse, writes the tables it owns and returns
its metadata (counts, seconds, and its ``stage`` name) for the caller: the Dagster assets and
the CLI run these same functions, so there is one code path. ``STAGES`` lists them by name; the
name is what the progress line, the run summary and the asset's metadata say.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from resolution._typing import Metadata
from resolution.config import EdinConfig, ProfileSettings
from resolution.contract import (
    CHANGE_EVENTS,
    KEPT_APART,
    KEPT_HOUSEHOLD,
    KEPT_NAMESAKES,
    conform,
)
from resolution.errors import PublishError
from resolution.feedback.decisions import pair_decisions
from resolution.files import read_file, write_atomic
from resolution.home import Home
from resolution.inputs.cache import normalize_into
from resolution.inputs.hubs import drop_hubs, find_hubs
from resolution.inputs.ingest import fingerprint, ingest
from resolution.inputs.known import (
    CONTACT_ORDER,
    INTERACTION_ORDER,
    add_drop,
    drop_fits,
    forget_known,
    merge_drop,
    read_deletes,
    read_known,
    remember_known,
    warehouse_known,
)
from resolution.inputs.normalize import flag_counts
from resolution.inputs.tombstones import drop_tombstoned
from resolution.linking import incremental
from resolution.linking.attach import (
    ATTACHMENTS,
    attach_by_name_and_city,
    attached_now,
    keyed_attachments,
)
from resolution.linking.blocking import candidate_pairs
from resolution.linking.clustering import Hierarchy, cluster_records
from resolution.linking.decisions import decision_pairs, drop_pairs, enforce_decisions
from resolution.linking.households import (
    drop_household_pairs,
    household_holds,
    household_neighbours,
)
from resolution.linking.links import identifier_links
from resolution.linking.mailboxes import namesake_mailbox_holds
from resolution.linking.scoring import ScoredCandidates, score_candidates
from resolution.matching.fields import (
    FrameRecords,
    field_specs,
    hub_columns,
    identifier_columns,
    name_counts,
    record_frame,
)
from resolution.matching.guard import NAME_WEIGHTS, NameWeights
from resolution.matching.model import MatchModel
from resolution.publishing.changes import change_events, stamp
from resolution.publishing.chart import RUN_CHART, run_chart
from resolution.publishing.current import read_published, switch_current
from resolution.publishing.identity import assign_ids, stamp_id_map
from resolution.publishing.precision import LABELLED_SCHEMA, labelled_precision
from resolution.publishing.profiles import (
    PROFILE_CONTACT_COLUMNS,
    build_members,
    build_profiles,
    cluster_keys,
    history_rows,
    history_stats,
    profile_digests,
    reuse_profiles,
    write_history,
)
from resolution.publishing.reasons import (
    match_records_json,
    previous_match_records,
    published_kept_apart,
    published_reasons,
    snapshot_contacts_json,
)
from resolution.publishing.snapshot import (
    STATE_TABLES,
    TABLES,
    Snapshot,
    SnapshotDatabase,
    begin_snapshot,
    check_snapshot,
    mass_change,
    new_run_id,
    prune_snapshots,
    staged,
    write_snapshot,
    write_table_file,
)
from resolution.training.em import REASON as EM_REASON
from resolution.training.em import em_seed_labels
from resolution.training.fellegi_sunter import fit_fellegi_sunter
from resolution.training.labels import (
    ANSWERED,
    UNSURE,
    combine,
    decision_labels,
    read_labels,
    training_pairs,
)
from resolution.training.name_weights import estimate_name_weights
from resolution.training.seeds import conflicting_neighbours, seed_labels
from resolution.training.train import train
from resolution.warehouse import copy_to_parquet, has_table, read_table, write_table

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
    # the inputs are the whole universe: contacts the home holds and the inputs lack are gone
    full_export: bool = False
    deletes_file: Path | None = None  # contacts to remove (source, source_id)
    # publish even when more of the published profiles are erased or merged away than
    # [resolution] max_lost_share allows (a deliberate full export, a large delete list)
    accept_mass_change: bool = False
    engine: str | None = None  # "duckdb" or "spark"; None: the config's [resolution] engine
    # block, score and cluster every contact, not only what the drop touches (``--full``)
    full: bool = False
    drop: str | None = None  # the drop's name (its Dagster partition), kept in the manifest

    @property
    def paths(self) -> Home:
        return Home(self.home)

    @property
    def on_spark(self) -> bool:
        """The heavy stages run on Spark (``resolution.spark``): normalize, block, score, the
        cluster stage's components and clustering, and the profiles."""
        return (self.engine or self.config.resolution.engine) == "spark"


StageFunction = Callable[[duckdb.DuckDBPyConnection, RunSettings], Metadata]


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline: a named function over the warehouse."""

    name: str
    function: StageFunction

    def __call__(self, con: duckdb.DuckDBPyConnection, settings: RunSettings) -> Metadata:
        """Run the stage; its metadata with the stage's ``name`` and ``seconds``."""
        log.info("▶ %s", self.name)
        started = time.perf_counter()
        limit = settings.config.resolution.memory_limit  # checked by the config's parser
        con.execute(f"SET memory_limit = '{limit}'" if limit else "RESET memory_limit")
        meta = self.function(con, settings)
        meta["seconds"] = round(time.perf_counter() - started, 2)
        log.info(
            "✓ %s in %.1f s: %s",
            self.name,
            meta["seconds"],
            ", ".join(f"{k}={v}" for k, v in meta.items() if k != "seconds"),
        )
        return {"stage": self.name, **meta}


def stage(name: str) -> Callable[[StageFunction], Stage]:
    """Name a stage: its progress lines, its metadata's ``stage`` and ``seconds``."""

    def decorate(fn: StageFunction) -> Stage:
        return Stage(name, fn)

    return decorate


@stage("ingest")
def ingest_inputs(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """raw_contacts, raw_interactions and quarantine: the home's inputs with this run's drop
    added (``resolution.inputs.known``; with ``--full-export``, the drop alone)."""
    # a drop is added in place to the warehouse's copy of the home's inputs when it holds
    # those of the published snapshot (``known.warehouse_known``); else they are read from it
    in_place = not run.full_export and not run.deletes_file and warehouse_known(con, run.home)
    known = None if run.full_export or in_place else read_known(run.home)
    if in_place:
        known_keys = con.sql("SELECT source, source_id FROM raw_contacts").pl()
    else:
        known_keys = known.contacts.select("source", "source_id") if known else None
    got = ingest(list(run.inputs), run.config, known_keys)
    del known_keys
    # erased people stay erased: a drop re-sending them is filtered before it reaches anything
    got, tombstoned = drop_tombstoned(got, run.home)
    if tombstoned:
        log.info("%d contact(s) of the drop blocked by erasure tombstones", tombstoned)
    in_place = in_place and drop_fits(con, got)
    if in_place:
        added = add_drop(con, got)
        n_contacts, n_interactions, quarantine = (
            added.contacts,
            added.interactions,
            added.quarantine,
        )
        new, replaced, deleted = added.new, added.replaced, 0
    else:
        forget_known(con)  # the raw tables change: no snapshot's inputs until published
        if known is None and not run.full_export:  # the drop has columns the home lacks
            known = read_known(run.home)
        deletes = read_deletes(run.deletes_file) if run.deletes_file else None
        merged = merge_drop(known, got, full_export=run.full_export, deletes=deletes)
        home = merged.known
        write_table(con, "raw_contacts", home.contacts)
        write_table(con, "raw_interactions", home.interactions)
        n_contacts, n_interactions, quarantine = (
            home.contacts.height,
            home.interactions.height,
            home.quarantine,
        )
        new, replaced, deleted = merged.new, merged.replaced, merged.deleted
        del home, merged, known
    write_table(con, "quarantine", quarantine)
    input_contacts = n_contacts + quarantine.filter(pl.col("kind") == "contact").height
    input_interactions = n_interactions + quarantine.filter(pl.col("kind") == "interaction").height
    con.execute(
        "CREATE OR REPLACE TABLE input_counts AS SELECT $c AS contacts, "
        "$i AS interactions, $f AS fingerprint",
        {"c": input_contacts, "i": input_interactions, "f": fingerprint(got.files)},
    )
    return {
        "files": len(got.files),
        "input_contacts": input_contacts,
        "contacts": n_contacts,
        "interactions": n_interactions,
        "quarantined": quarantine.height,
        "drop_contacts": got.contacts.height,
        "new_contacts": new,
        "replaced_contacts": replaced,
        "deleted_contacts": deleted,
        "tombstoned_contacts": tombstoned,
        "in_place": in_place,
        "full_export": run.full_export,
        **got.counts(),
        **{
            f"quarantined ({reason})": n
            for reason, n in sorted(quarantine.group_by("reason").len().iter_rows())
        },
    }


@stage("normalize")
def normalize(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """normalized_contacts (match keys, hub values removed) and hub_values."""
    # in the order the home's inputs are kept (a drop added in place is at the table's end) for
    # the Spark engine; the local normalizers number the contacts in key order whatever the
    # order they are read in, so the table is read as it lies
    order = f" ORDER BY {', '.join(CONTACT_ORDER)}" if run.on_spark else ""
    raw = con.sql(f"SELECT * FROM raw_contacts{order}").pl()
    if run.on_spark:
        contacts = spark_normalize(raw, run.config)
        normalized = contacts.height
        write_table(con, "normalized_contacts", contacts)
    else:  # only the contacts new or changed since the last run go through the normalizers
        normalized = normalize_into(con, raw, run.config, "normalized_contacts")
    del raw
    # the hubs and the counts need a few columns: the table stays in the warehouse unless a
    # hub value is to be dropped from it
    columns = hub_columns(field_specs(run.config))
    wanted = list(dict.fromkeys(["name_key", "phones", "emails", "flags", *columns]))
    contacts = con.sql(
        "SELECT "
        + ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)
        + " FROM normalized_contacts"
    ).pl()
    hubs = find_hubs(contacts, run.config.resolution.hub_max_people, columns)
    if hubs.height:
        contacts = drop_hubs(read_table(con, "normalized_contacts"), hubs)
        write_table(con, "normalized_contacts", contacts)
    write_table(con, "hub_values", hubs)
    return {
        "contacts": contacts.height,
        "normalized_now": normalized,
        "hub_values": hubs.height,
        "with_name": contacts["name_key"].is_not_null().sum(),
        "with_phone": (contacts["phones"].list.len() > 0).sum(),
        "with_email": (contacts["emails"].list.len() > 0).sum(),
        **flag_counts(contacts),
    }


@stage("labels")
def label(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """training_labels: cold-start seeds, plus labelled pairs from --labels and the operators'
    decisions (which outrank both)."""
    (n_contacts,) = con.execute("SELECT count(*) FROM normalized_contacts").fetchall()[0]
    if reusable_model(run, int(n_contacts)) is not None:
        # the train stage reuses the saved model, learnt from the labels of its own run: the
        # labels are kept as they were (a daily run's seeds over the whole home cost seconds)
        return {**_label_counts(con), "labelled": 0, "decided": 0, "reused_model": True}
    contacts = read_table(con, "normalized_contacts")
    specs = field_specs(run.config)
    res = run.config.resolution
    seeds = seed_labels(contacts, specs, max_pairs=res.max_seed_pairs, seed=res.seed)
    if seeds.filter(pl.col("label") == "match").height < EM_SEEDS_BELOW:
        # Too few contacts share an identifier to learn from: let the data weigh its fields.
        em = em_seed_labels(contacts, max_pairs=res.max_seed_pairs, seed=res.seed)
        seeds = pl.concat([seeds, em.join(seeds.select("l", "r"), on=["l", "r"], how="anti")])
        seeds = seeds.sort("label", "l", "r")
    labelled = read_labels(run.labels_file, contacts) if run.labels_file else None
    decided = decision_labels(pair_decisions(run.home), contacts)
    if decided.height:  # an operator's decision outranks a labels-file answer on its pair
        labelled = combine(labelled, decided) if labelled is not None else decided
    combined = combine(seeds, labelled)
    write_table(con, "training_labels", combined)
    counts = dict(combined.group_by("label").len().iter_rows())
    return {
        "match": counts.get("match", 0),
        "distinct": counts.get("distinct", 0),
        "unsure": counts.get(UNSURE, 0),
        "labelled": 0 if labelled is None else labelled.height,
        "decided": decided.height,
    }


def _label_counts(con: duckdb.DuckDBPyConnection) -> Metadata:
    """training_labels' pairs by label (none when the warehouse has no such table)."""
    counts = (
        dict(con.execute("SELECT label, count(*) FROM training_labels GROUP BY 1").fetchall())
        if has_table(con, "training_labels")
        else {}
    )
    return {k: int(counts.get(k, 0)) for k in ("match", "distinct", UNSURE)}


# Fewer identifier-based match seeds than this and the cold start also asks EM over blocked
# pairs (``resolution.training.em``): the data has little or no shared phone, e-mail or handle.
EM_SEEDS_BELOW = 100


# Knobs that change how a run executes, not what the model learns.
RUNTIME_KNOBS = frozenset(
    {
        "score_chunk",
        "retrain_growth",
        "workers",
        "max_lost_share",
        "min_labelled_precision",
        "keep_snapshots",
        "keep_days",
        "engine",
    }
)


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
    path = run.paths.trained_file
    if run.retrain or not path.exists() or not run.paths.model_file.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    growth = run.config.resolution.retrain_growth
    if state.get("key") != training_key(run) or contacts > state["contacts"] * (1 + growth):
        return None
    return state


@stage("train")
def train_model(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """The dedupe model, saved as model.json + training.json in HOME/model.

    A model trained earlier in this home is reused while it fits (``reusable_model``): the
    daily run scores new contacts with the same model, so existing profiles only change where
    new evidence touches them (stable IDs, and an unchanged partition). ``--retrain`` forces
    a fresh model, a full re-cluster."""
    contacts = read_table(con, "normalized_contacts")
    state = reusable_model(run, contacts.height)
    if state is not None:
        model = MatchModel.load(run.paths.model_dir)
        return {
            "blocking_rules": len(model.predicates),
            "reused": True,
            "trained_on": state["contacts"],
            **model.stats,
        }
    specs = field_specs(run.config)
    # records made as training reads them: a sample and the labelled pairs, not every contact
    recs = FrameRecords(record_frame(contacts, specs), specs)
    labelled = read_table(con, "training_labels")
    answered = pl.col("reason").is_in(list(ANSWERED))
    pairs = training_pairs(labelled.filter(~answered), recs)
    answers = training_pairs(labelled.filter(answered), recs)
    # matches EM found because their fields agree: blocking learns on them with a typo put back
    agreeing = training_pairs(labelled.filter(pl.col("reason") == EM_REASON), recs)["match"]
    res = run.config.resolution

    def hard_negatives(neighbours: list[tuple[int, int]]) -> list[tuple[int, int]]:
        got = conflicting_neighbours(
            contacts,
            specs,
            pl.DataFrame(neighbours, schema={"l": pl.Int64, "r": pl.Int64}, orient="row"),
            max_pairs=res.max_seed_pairs,
            seed=res.seed,
        )
        return list(got.select("l", "r").iter_rows())

    model = train(
        recs,
        pairs,
        specs,
        threshold=res.threshold,
        sample_size=res.training_sample,
        recall=res.recall,
        seed=res.seed,
        hard_negatives=hard_negatives,
        answers=answers,
        regularization=res.regularization,
        agreeing=agreeing,
    )
    # No identifier seeds (EM's seeds taught blocking): the fields' weights estimated by EM
    # score the pairs, not the classifier fitted on EM's own labels; the operator's answers
    # refine those weights and the prior (a classifier on 50 answers and EM's seeds scored
    # lower than the weights without them). The answers still outrank any score in clustering.
    cold = labelled.filter(pl.col("reason") == EM_REASON).height > 0
    if cold:
        known = labelled.filter(answered).select("l", "r", "label")
        model.fs = fit_fellegi_sunter(contacts, recs, specs, seed=res.seed, answers=known)
    model.stats["scored_by"] = "fellegi_sunter" if model.fs is not None else "classifier"
    # the name-only guard's weights, from this home's own name-sharing pairs (no truth read)
    model.stats[NAME_WEIGHTS] = estimate_name_weights(recs.frame, specs, seed=res.seed).to_json()
    model.save(run.paths.model_dir, {k: pairs[k] + answers[k] for k in ("match", "distinct")})
    write_atomic(
        run.paths.trained_file,
        json.dumps({"key": training_key(run), "contacts": contacts.height}, indent=2),
    )
    return {
        "blocking_rules": len(model.predicates),
        "reused": False,
        "trained_on": contacts.height,
        **model.stats,
    }


@stage("block")
def block(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """candidate_pairs from the model's fingerprinter: every pair, or in an incremental run
    (``resolution.linking.incremental``) only those with a new or changed contact."""
    model = MatchModel.load(run.paths.model_dir)
    contacts = read_table(con, "normalized_contacts")
    frame, states = incremental.contact_states(
        contacts, model.specs, NameWeights.of_model(model).rare_name
    )
    plan = incremental.plan_resolution(
        con,
        run.home,
        run.paths.model_file,
        training_key(run),
        states,
        full=run.full or run.retrain or run.on_spark,
    )
    model_key = incremental.model_hash(run.paths.model_file)
    max_block = run.config.resolution.max_block_size
    if run.on_spark:
        return {**spark_block(con, run, model), **plan.metadata}
    if plan.incremental:
        got = incremental.block_dirty(con, model, frame, states, model_key, max_block)
        return {**got, **plan.metadata}
    stats = candidate_pairs(con, model, FrameRecords(frame, model.specs), max_block)
    incremental.remember_block_keys(con, states, model_key)
    return {
        "candidate_pairs": stats.pairs,
        "blocks": stats.blocks,
        "skipped_blocks": stats.skipped_blocks,
        **plan.metadata,
    }


@stage("score")
def score(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """scored_pairs (match probabilities of the candidate pairs) and scored_pair_reasons (each
    field's contribution to them)."""
    model = MatchModel.load(run.paths.model_dir)
    if run.on_spark:
        got = spark_score(con, run, model)
    else:
        contacts = read_table(con, "normalized_contacts")
        chunk = run.config.resolution.score_chunk
        if incremental.read_plan(con).incremental:
            frame = record_frame(contacts, model.specs)
            recs = incremental.candidate_records(con, frame, model.specs)
            got = incremental.with_carried(con, score_candidates(con, model, recs, chunk))
        else:
            frame = record_frame(contacts, model.specs)
            got = score_candidates(con, model, FrameRecords(frame, model.specs), chunk)
    write_table(con, "scored_pairs", got.scored)
    write_table(con, "scored_pair_reasons", got.reasons)
    return {
        "scored_pairs": got.scored.height,
        "above_threshold": (got.scored["score"] >= model.threshold).sum(),
        "held_by_name_guard": got.held_by_guard,
    }


# The Spark engine (issue 16): normalize, block, score, the cluster stage's components and
# the profiles on pyspark, the same tables written.


def spark_normalize(raw: pl.DataFrame, config: EdinConfig) -> pl.DataFrame:
    """``normalize_contacts`` on Spark, slice by slice (``resolution.spark.normalize``)."""
    from resolution.spark import normalize_on_spark, spark_session

    return normalize_on_spark(spark_session(), raw, config)


def spark_profiles(
    contacts: pl.DataFrame,
    members: pl.DataFrame,
    clusters: pl.DataFrame,
    history: pl.DataFrame,
    settings: ProfileSettings,
) -> pl.DataFrame:
    """``build_profiles`` on Spark, bucket by bucket (``resolution.spark.profiles``)."""
    from resolution.spark import profiles_on_spark, spark_session

    return profiles_on_spark(spark_session(), contacts, members, clusters, history, settings)


def spark_block(con: duckdb.DuckDBPyConnection, run: RunSettings, model: MatchModel) -> Metadata:
    """The block stage on Spark: candidate pairs saved as Parquet in ``work_dir(home)``."""
    from resolution.linking.blocking import HELD_TABLE
    from resolution.spark import block_on_spark, spark_session, work_dir

    # The pairs live in the work folder: no stale DuckDB tables of an earlier run beside them.
    con.execute("DROP TABLE IF EXISTS candidate_pairs; DROP TABLE IF EXISTS block_keys")
    frame = record_frame(read_table(con, "normalized_contacts"), model.specs)
    stats = block_on_spark(
        spark_session(), model, frame, work_dir(run.home), run.config.resolution.max_block_size
    )
    # the pairs the name-only guard held, for the score stage's count (as the DuckDB path)
    con.execute(
        f"CREATE OR REPLACE TABLE {HELD_TABLE} AS SELECT $held AS held",
        {"held": stats.held_by_guard},
    )
    return {
        "candidate_pairs": stats.pairs,
        "blocks": stats.blocks,
        "skipped_blocks": stats.skipped_blocks,
        "held_by_guard": stats.held_by_guard,
        "engine": "spark",
    }


def spark_score(
    con: duckdb.DuckDBPyConnection, run: RunSettings, model: MatchModel
) -> ScoredCandidates:
    """The score stage on Spark: the candidate pairs of ``spark_block`` scored."""
    from resolution.linking.scoring import _held_by_blocking
    from resolution.spark import CANDIDATES, score_on_spark, spark_session, work_dir

    frame = record_frame(read_table(con, "normalized_contacts"), model.specs)
    path = f"{work_dir(run.home).rstrip('/')}/{CANDIDATES}"
    got = score_on_spark(spark_session(), model, frame, path)
    held = got.held_by_guard + _held_by_blocking(con)
    return ScoredCandidates(got.scored, got.reasons, held)


def spark_hierarchy() -> Hierarchy:
    """The cluster stage's components and per-component clustering on Spark."""
    from resolution.spark import spark_hierarchy, spark_session

    return spark_hierarchy(spark_session())


@stage("cluster")
def cluster(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """clusters: every contact in exactly one cluster (in an incremental run, the components
    the drop touches clustered again and the others as published); kept_apart: the scored
    pairs the household and namesakes' mailbox rules dropped, and why (``kept_apart``)."""
    contacts = read_table(con, "normalized_contacts")
    res = run.config.resolution
    decisions = pair_decisions(run.home)
    must, cannot = decision_pairs(decisions, contacts)
    columns = identifier_columns(field_specs(run.config))
    weights = NameWeights.of_model(MatchModel.load(run.paths.model_dir))
    scored = drop_pairs(read_table(con, "scored_pairs"), cannot)
    # a value several people bear joins no two of them by itself (linking/households.py), nor
    # does a common name's e-mail local part on two mailboxes (linking/mailboxes.py)
    household = household_holds(contacts, columns, threshold=res.threshold, pairs=scored)
    # the home's name counts, read by the namesakes' mailbox rule and the attachments alike
    freq = name_counts(contacts) if {"name_key", "given_key"} <= set(contacts.columns) else None
    namesakes = namesake_mailbox_holds(
        contacts,
        scored,
        hub_columns(field_specs(run.config)),
        rare_name=weights.rare_name,
        name_freq=freq,
    )
    # which rule dropped which scored pair, for `edin explain` and the review app
    write_table(con, KEPT_APART_TABLE, kept_apart(household, namesakes))
    scored = drop_household_pairs(drop_household_pairs(scored, household), namesakes)
    extra: Metadata = {}
    if incremental.read_plan(con).incremental and not run.on_spark:
        # the published profiles hold the last run's attachments: undone (where the run does not
        # cluster afresh), then made anew over the whole home below, so that an incremental run
        # attaches as a full one does
        attached = (
            attached_now(read_table(con, ATTACHMENTS), contacts)
            if has_table(con, ATTACHMENTS)
            else None
        )
        # a new or changed contact on a family's phone line changes the verdict of the line's
        # other pairs (linking/households.py): their components are clustered again too
        dirty = con.sql("SELECT record_id FROM dirty_contacts").pl()
        clusters, extra = incremental.recluster(
            con,
            contacts,
            scored,
            also=household_neighbours(contacts, dirty),
            must=must,
            cannot=cannot,
            identifier_cols=columns,
            threshold=res.threshold,
            max_cluster_size=res.max_cluster_size,
            attached=attached,
        )
    else:
        clusters = cluster_records(
            contacts["record_id"],
            scored,
            threshold=res.threshold,
            max_cluster_size=res.max_cluster_size,
            linked=identifier_links(contacts, columns),
            hierarchy=spark_hierarchy() if run.on_spark else None,
        )
        clusters = enforce_decisions(
            clusters, scored, must_link=must, cannot_link=cannot, threshold=res.threshold
        )
        extra = {"reclustered_contacts": clusters.height, "kept_contacts": 0}
    decided = pl.concat([must, cannot]).select(
        pl.concat_list("record_id_l", "record_id_r").explode().alias("record_id")
    )
    clusters, attached = attach_by_name_and_city(
        clusters, contacts, columns, exclude=decided["record_id"], weights=weights, name_freq=freq
    )
    write_table(con, ATTACHMENTS, keyed_attachments(attached, contacts))
    write_table(con, "clusters", clusters)
    incremental.record_decision_contacts(con, decisions)
    incremental.record_basis(con, training_key(run), incremental.model_hash(run.paths.model_file))
    sizes = clusters.group_by("cluster_id").len()
    return {
        "clusters": sizes.height,
        "attached_by_name_and_city": attached.height,
        "household_pairs": household.height,
        "namesake_mailbox_pairs": namesakes.height,
        "merged_clusters": (sizes["len"] > 1).sum(),
        "largest": int(sizes["len"].max() or 0),  # type: ignore[arg-type]
        "review": clusters.filter(pl.col("status") == "review").height,
        "decided_same": must.height,
        "decided_different": cannot.height,
        **extra,
        **cluster_size_histogram(sizes["len"]),
    }


KEPT_APART_TABLE = "kept_apart"


def kept_apart(household: pl.DataFrame, namesakes: pl.DataFrame) -> pl.DataFrame:
    """The scored pairs the household rule (``household_holds``) or the namesakes' mailbox
    rule (``namesake_mailbox_holds``) drops, both weighed on the scored pairs only, with the
    rule and what it counted (contract KEPT_APART); a pair both drop is told as the household
    rule's, which is applied first."""
    held = household.select(
        "record_id_l",
        "record_id_r",
        pl.lit(KEPT_HOUSEHOLD).alias("rule"),
        "why",
        pl.col("people").alias("bearers"),
        pl.col("values").alias("shared"),
    )
    namesake = namesakes.join(held, on=["record_id_l", "record_id_r"], how="anti").select(
        "record_id_l",
        "record_id_r",
        pl.lit(KEPT_NAMESAKES).alias("rule"),
        pl.lit(None, pl.String).alias("why"),
        pl.col("people").alias("bearers"),
        pl.lit(None, pl.Int64).alias("shared"),
    )
    both = pl.concat([held, namesake], how="vertical_relaxed")
    return conform(both.sort("record_id_l", "record_id_r"), KEPT_APART, KEPT_APART_TABLE)


def cluster_size_histogram(sizes: pl.Series) -> Metadata:
    """Clusters by size, in buckets the UI plots across runs."""
    buckets = ((1, 1), (2, 2), (3, 5), (6, 10), (11, 50), (51, None))
    out: Metadata = {}
    for lo, hi in buckets:
        name = f"clusters_size_{lo}" if lo == hi else f"clusters_size_{lo}_{hi or 'plus'}"
        inside = sizes >= lo if hi is None else (sizes >= lo) & (sizes <= hi)
        out[name] = int(inside.sum())
    return out


@stage("profiles")
def build(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """members (with IDs kept stable against the published snapshot), profiles, history,
    id_map and this run's change events (stamped with the run ID when publishing)."""
    contacts = con.sql(f"SELECT {', '.join(PROFILE_CONTACT_COLUMNS)} FROM normalized_contacts").pl()
    clusters = read_table(con, "clusters")
    prev = read_published(run.home)  # the published snapshot, never the warehouse
    assignment = assign_ids(
        cluster_keys(contacts, clusters),
        prev.members if prev else None,
        prev.id_map if prev else None,
    )
    members = build_members(contacts, clusters, assignment.ids)
    write_table(con, "members", members)
    # history is a view in the warehouse (``build_history`` in SQL), sorted when publish
    # streams it; profiles read what they use of it, unsorted
    write_history(con)
    history = history_stats(con)
    history_rows = history.height
    drop_cached_pages(con, run)  # what follows is polars' work
    # a profile whose contacts, statuses and history are those it was published with is taken
    # from the snapshot; the others are built
    digests = profile_digests(contacts, members, clusters, history)
    kept = reuse_profiles(
        digests,
        prev.profiles if prev else None,
        published_digests(con, prev.run_id, run.config.profile) if prev else None,
    )
    todo = members.join(kept.select("profile_id"), on="profile_id", how="anti")
    todo_contacts, todo_history = contacts, history
    if kept.height:
        # only the rows of the profiles to build (when none is kept, every row is: the joins
        # would only copy both tables, 2 GB at 5M contacts)
        todo_contacts = contacts.join(
            todo.select("source", "source_id"), on=["source", "source_id"], how="semi"
        )
        todo_history = history.join(todo.select("profile_id").unique(), on="profile_id", how="semi")
    built = (spark_profiles if run.on_spark else build_profiles)(
        todo_contacts, todo, clusters, todo_history, run.config.profile
    )
    del todo_contacts, todo_history
    profiles = pl.concat([kept, built]).sort("profile_id")
    del history
    write_table(
        con,
        "pending_profile_digests",
        digests.with_columns(
            pl.lit(repr(run.config.profile)).alias("settings"), pl.lit(run.run_id).alias("run_id")
        ),
    )
    events = change_events(
        assignment,
        prev.members if prev else None,
        prev.profiles if prev else None,
        members,
        profiles,
        # rows taken from the snapshot as they were (not cast from an older schema) are equal
        kept.select("profile_id") if prev and prev.profiles.schema == kept.schema else None,
    )
    changes = pl.concat([prev.changes, events]) if prev else events
    for name, df in (
        ("profiles", profiles),
        ("id_map", assignment.id_map),
        ("changes", changes),
    ):
        write_table(con, name, df)
    counts = dict(events.group_by("event").len().iter_rows())
    floor = run.config.resolution.min_labelled_precision
    precision = labelled_precision(members, operator_labels(run.home))
    write_table(
        con,
        "labelled_precision",
        pl.DataFrame([precision.metadata(floor)]).with_columns(
            pl.lit("; ".join(precision.problems(floor))).alias("problem")
        ),
    )
    return {
        **precision.metadata(floor),
        "profiles": profiles.height,
        "built_profiles": built.height,
        "members": members.height,
        "merge_rate": merge_rate(members.height, profiles.height),
        "id_map": assignment.id_map.height,
        "changes": changes.height,
        "history": history_rows,
        "merged_profiles": (profiles["contacts"] > 1).sum(),
        "previous_run": prev.run_id if prev else "",
        **{f"events_{e}": counts.get(e, 0) for e in CHANGE_EVENTS},
    }


def drop_cached_pages(con: duckdb.DuckDBPyConnection, run: RunSettings) -> None:
    """Let DuckDB evict the warehouse pages it keeps cached after reading them (up to its
    ``memory_limit``, 1.2 GB at 5M contacts) before work done in polars, whose memory comes on
    top: the limit is lowered for a moment, then set back. Pages it cannot evict stay."""
    limit = run.config.resolution.memory_limit  # checked by the config's parser
    try:
        con.execute("SET memory_limit = '64MB'")
    except duckdb.Error:
        pass  # more is pinned than that: the limit stays as it was
    finally:
        con.execute(f"SET memory_limit = '{limit}'" if limit else "RESET memory_limit")


def operator_labels(home: Path) -> pl.DataFrame:
    """Operator-labelled contact pairs: the decisions (latest per pair), then the label
    queue's answers in ``HOME/labels.csv`` on pairs no decision covers."""
    decided = pair_decisions(home).select(list(LABELLED_SCHEMA))
    answers = Home(home).labels
    if not answers.exists():
        return decided
    got = read_file(answers)
    if not set(LABELLED_SCHEMA) <= set(got.columns):
        return decided
    got = got.select(list(LABELLED_SCHEMA)).with_columns(
        pl.col("source_l", "source_r").str.strip_chars().str.to_lowercase(),
        pl.col("label").str.strip_chars().str.to_lowercase(),
    )
    return pl.concat([decided, got.reverse()])  # the latest answer to a pair first


@stage("publish")
def publish(con: duckdb.DuckDBPyConnection, run: RunSettings) -> Metadata:
    """A checked snapshot in HOME/snapshots/<run_id>, then HOME/current switched to it."""
    model = MatchModel.load(run.paths.model_dir)
    # the explain tables first, into the snapshot's partial folder, while no other table is
    # held (at 5M contacts, making them beside the checked tables was the run's peak); the
    # checks read their keys only. A failure before the snapshot is whole removes the folder.
    folder = begin_snapshot(run.home, run.run_id)
    # the lookup database is made in a second thread from the moment the folder exists: each
    # table as soon as its file is written, the explain tables (contacts, the costliest for
    # DuckDB to compress) while the other tables are still being read and checked
    database = SnapshotDatabase(folder, run.config.resolution.memory_limit)
    try:
        explained = stage_explain_tables(con, run, model, folder, database)
        snapshot, summary = publish_snapshot(con, run, model, folder, explained, database)
    except BaseException:
        database.abandon()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    current = switch_current(run.home, snapshot)
    remember_records(con, snapshot.run_id)
    # the next run may build on these clusters
    incremental.mark_published(con, snapshot.run_id, snapshot.counts["members"])
    remember_known(con, snapshot.run_id)  # the next drop is added to the raw tables in place
    res = run.config.resolution
    pruned = prune_snapshots(run.home, res.keep_snapshots, res.keep_days)
    return {
        "run_id": snapshot.run_id,
        "path": str(current),
        "pruned_snapshots": len(pruned),
        "run_chart": str(current / RUN_CHART),
        **snapshot.counts,
        **{k: v for k, v in summary.items() if not isinstance(v, dict)},
    }


# What the checks read of the explain tables (``snapshot.check_snapshot``)
_EXPLAIN_KEYS = {
    "contacts": ("source", "source_id"),
    "pair_reasons": ("source_l", "source_id_l", "source_r", "source_id_r"),
    "kept_apart": ("source_l", "source_id_l", "source_r", "source_id_r"),
}


def stage_explain_tables(
    con: duckdb.DuckDBPyConnection,
    run: RunSettings,
    model: MatchModel,
    folder: Path,
    database: SnapshotDatabase | None = None,
) -> dict[str, tuple[int, pl.DataFrame]]:
    """The snapshot's contacts, pair_reasons and kept_apart written into ``folder`` (the
    snapshot's folder, ``begin_snapshot``), one held at a time: per table its rows and the key
    columns the checks read. Each file is handed to ``database`` once written."""
    contacts = read_table(con, "normalized_contacts")
    drop_cached_pages(con, run)
    made = published_contacts(con, run, contacts, model)
    keys = contacts.select("record_id", "source", "source_id")
    del contacts
    explained = {"contacts": _staged(made, folder, "contacts", database)}
    del made
    reasons = published_reasons(read_table(con, "scored_pair_reasons"), keys)
    explained["pair_reasons"] = _staged(reasons, folder, "pair_reasons", database)
    del reasons
    kept = read_table(con, KEPT_APART_TABLE) if has_table(con, KEPT_APART_TABLE) else None
    explained["kept_apart"] = _staged(
        published_kept_apart(kept, keys), folder, "kept_apart", database
    )
    return explained


def _staged(
    table: pl.DataFrame, folder: Path, name: str, database: SnapshotDatabase | None
) -> tuple[int, pl.DataFrame]:
    file = folder / f"{name}.parquet"
    rows = write_table_file(table, file)
    if database is not None:
        database.add(name, file)
    return rows, table.select(_EXPLAIN_KEYS[name])


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    run: RunSettings,
    model: MatchModel,
    folder: Path,
    explained: dict[str, tuple[int, pl.DataFrame]],
    database: SnapshotDatabase | None = None,
) -> tuple[Snapshot, Metadata]:
    """The checked snapshot, completed in ``folder`` where the explain tables are staged
    (``explained``: their rows and keys), and the run summary of its manifest. ``database``:
    the folder's lookup database, when started already (finished here)."""
    # history, the largest table, is streamed into the snapshot: the checks count its rows only
    # (a column of booleans, not 13.7M profile IDs at 5M contacts), without sorting them
    tables: dict[str, pl.DataFrame] = {
        name: read_table(con, name) for name in TABLES if name not in STREAMED
    }
    tables["history"] = pl.select(counted=pl.repeat(True, history_rows(con), eager=True))
    tables["id_map"] = stamp_id_map(tables["id_map"], run.run_id)
    tables["changes"] = stamp(tables["changes"], run.run_id, datetime.now(UTC))
    rows = con.execute("SELECT contacts, interactions, fingerprint FROM input_counts").fetchall()
    if len(rows) != 1:
        raise PublishError(
            "the warehouse has no input counts (table input_counts): run the "
            "whole pipeline, not publish alone"
        )
    input_contacts, input_interactions, inputs_fingerprint = rows[0]
    problems = check_snapshot(
        {**tables, **{name: keys for name, (_, keys) in explained.items()}},
        int(input_contacts),
        int(input_interactions),
    )
    if not run.accept_mass_change:
        # the previous snapshot's profile count, from the Parquet footer: reading the whole
        # snapshot again (the profiles stage already did) costs seconds at a million contacts
        published = run.paths.current_target()
        before = published / "profiles.parquet" if published is not None else None
        live_before = (
            int(pl.scan_parquet(before).select(pl.len()).collect().item())
            if before is not None and before.exists()
            else 0
        )
        problems += mass_change(
            tables["changes"], run.run_id, live_before, run.config.resolution.max_lost_share
        )
    problems += [
        p for (p,) in con.execute("SELECT problem FROM labelled_precision").fetchall() if p
    ]
    if problems:
        raise PublishError(
            "snapshot failed its checks, current/ left unchanged: " + "; ".join(problems)
        )
    summary = run_summary(con, run, tables)
    scores = con.sql("SELECT score FROM scored_pairs").fetchnumpy()["score"]
    chart = run_chart(
        scores,
        model.threshold,
        model.chart_weights(),
        f"edin run {run.run_id}",
    )
    # the home's inputs and the history are streamed from the warehouse, never held; the
    # frames are handed over, each let go of once written
    streamed = {
        name: partial(copy_to_parquet, con, name, order_by=STREAMED_ORDER.get(name, ()))
        for name in STREAMED
    }
    to_write: dict[str, pl.DataFrame | Callable[[Path], int]] = {
        **tables,
        **{name: staged(rows) for name, (rows, _) in explained.items()},
        **streamed,
    }
    del tables
    drop_cached_pages(con, run)  # the tables read above, held by polars now
    snapshot = write_snapshot(
        run.home,
        run.run_id,
        to_write,
        {"inputs_fingerprint": inputs_fingerprint, "run": summary},
        {
            run.paths.model_file.name: run.paths.model_file.read_bytes(),
            RUN_CHART: chart.encode(),
        },
        memory_limit=run.config.resolution.memory_limit,
        begun=folder,
        database=database,
    )
    return snapshot, summary


# The snapshot's tables written from the warehouse straight to Parquet
STREAMED = ("history", *STATE_TABLES)
# the home's inputs are published in the order ``merge_drop`` gives (the warehouse holds a drop
# added in place at the tables' end)
STREAMED_ORDER = {"raw_contacts": CONTACT_ORDER, "raw_interactions": INTERACTION_ORDER}


# The record hashes of the published contacts (``reasons.match_records_json``), with the run
# and model they were published by: the next publish takes unchanged contacts' match_record
# from that snapshot instead of making every one again.
PUBLISHED_RECORDS = "published_records"


def published_contacts(
    con: duckdb.DuckDBPyConnection, run: RunSettings, contacts: pl.DataFrame, model: MatchModel
) -> pl.DataFrame:
    """The snapshot's contacts table; the match_records of contacts whose record is unchanged
    since the published snapshot come from it (``pending_records`` keeps this run's hashes)."""
    frame = record_frame(contacts, model.specs)
    snapshot = run.paths.current_target()
    model_key = incremental.model_hash(run.paths.model_file)
    hashes = None
    if snapshot is not None and has_table(con, PUBLISHED_RECORDS):
        hashes = con.sql(
            f"SELECT source, source_id, record_hash FROM {PUBLISHED_RECORDS} "
            "WHERE run_id = $r AND model_hash = $m",
            params={"r": snapshot.name, "m": model_key},
        ).pl()
    keys = contacts.select("record_id", "source", "source_id")
    made = match_records_json(frame, model.specs, keys, previous_match_records(snapshot, hashes))
    write_table(
        con,
        "pending_records",
        made.join(keys, on="record_id").select(
            "source",
            "source_id",
            "record_hash",
            pl.lit(model_key).alias("model_hash"),
            pl.lit(run.run_id).alias("run_id"),
        ),
    )
    return snapshot_contacts_json(contacts, made.select("record_id", "match_record"))


# The digests of the published profiles (``profiles.profile_digests``), with the run and the
# ``[profile]`` settings they were built by: the next run builds only the profiles whose digest
# moved.
PUBLISHED_DIGESTS = "profile_digests"


def published_digests(
    con: duckdb.DuckDBPyConnection, run_id: str, settings: ProfileSettings
) -> pl.DataFrame | None:
    """(profile_id, digest) of the profiles of snapshot ``run_id`` when they were built with
    ``settings``; None when the warehouse has none."""
    if not has_table(con, PUBLISHED_DIGESTS):
        return None
    return con.sql(
        f"SELECT profile_id, digest FROM {PUBLISHED_DIGESTS} WHERE run_id = $r AND settings = $s",
        params={"r": run_id, "s": repr(settings)},
    ).pl()


def remember_records(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """This run's record hashes (``pending_records``) and profile digests
    (``pending_profile_digests``, both written with the run's ID) are those of snapshot
    ``run_id``: the tables are renamed, not copied."""
    for pending, kept in (
        ("pending_records", PUBLISHED_RECORDS),
        ("pending_profile_digests", PUBLISHED_DIGESTS),
    ):
        if has_table(con, pending):
            con.execute(f"DROP TABLE IF EXISTS {kept}")
            con.execute(f"ALTER TABLE {pending} RENAME TO {kept}")
            # a publish retried under another run ID than the stages before it
            con.execute(f"UPDATE {kept} SET run_id = $r WHERE run_id <> $r", {"r": run_id})


def run_summary(
    con: duckdb.DuckDBPyConnection, run: RunSettings, tables: dict[str, pl.DataFrame]
) -> Metadata:
    """What a snapshot's manifest says of the run that made it (``edin status`` prints it):
    the drop, how it was resolved, the merge rate, cluster sizes, quarantine by reason and the
    precision on operator-labelled pairs."""
    plan = incremental.read_plan(con)
    members, profiles = tables["members"].height, tables["profiles"].height
    labelled = con.execute(
        "SELECT labelled_pairs, labelled_merged, labelled_precision FROM labelled_precision"
    ).fetchall()
    pairs, merged, precision = labelled[0] if labelled else (0, 0, -1.0)
    quarantine = tables["quarantine"]
    return {
        "drop": run.drop or "",
        "mode": plan.mode,
        "mode_reason": plan.reason,
        "dirty_contacts": plan.dirty,
        "merge_rate": merge_rate(members, profiles),
        "labelled_pairs": int(pairs),
        "labelled_merged": int(merged),
        "labelled_precision": float(precision),
        "cluster_sizes": cluster_size_histogram(
            tables["members"].group_by("profile_id").len()["len"]
        ),
        "quarantine_by_reason": dict(sorted(quarantine.group_by("reason").len().iter_rows())),
    }


def merge_rate(members: int, profiles: int) -> float:
    """The share of contacts merged into another contact's profile: 1 − profiles / contacts."""
    return round(1 - profiles / members, 4) if members else 0.0


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (ingest_inputs, normalize, label, train_model, block, score, cluster, build, publish)
}
"""Every stage by name, in the order the data moves through them."""
