"""Incremental resolution: a daily drop blocked, scored and clustered against what is resolved.

A full run blocks and scores every contact of the home and clusters every connected component.
With the home's model unchanged, most of that work gives the same answer as last time: a
pair's score depends only on its two records (and the model), and a component's clusters only
on its edges and on the operator decisions inside it. So a daily run does only this:

- **dirty** contacts are those whose record (``match_record``, as the snapshot publishes it:
  the model's fields plus the name frequency the name-only guard reads) differs from the
  published snapshot's, or that it does not hold: new, changed, or touched by a changed
  frequency or hub;
- **block**: block keys of every contact (cached in the warehouse by contact and record hash,
  so only dirty contacts go through the fingerprinter), candidate pairs only where one side is
  dirty, found as a full run finds them (``blocking.dirty_candidate_pairs``: shared evidence
  and a shared block, the name-only guard in SQL);
- **score**: those candidates scored; the published snapshot's kept pairs between two clean
  contacts are carried over with their scores and reasons (``carried_pairs``);
- **cluster**: only the connected components (scored edges plus must-links) holding a dirty
  contact, a neighbour of a changed or deleted contact, a contact an operator decided on, or
  a contact held for review (the snapshot's profiles say which) are re-clustered, by the same
  ``cluster_records`` and ``enforce_decisions``; every other contact keeps the cluster it was
  published in.

A run is incremental only when the warehouse's ``cluster_basis`` says it clustered the snapshot
``current`` points at, with the same training key (fields, knobs, labels) and model; anything
else (first run, ``--full``, ``--retrain``, a retrained model, a failed run since, the Spark
engine, a drop dirtying more than ``FULL_ABOVE`` of the home) is a full run. Both give the same
tables to the ``profiles`` stage, so stable IDs and the change feed are computed the same way.

Warehouse tables owned here: ``resolve_plan`` (one row: mode, reason, counts),
``dirty_contacts``, ``carried_pairs``, ``previous_clusters``, ``touched_seeds``,
``pending_states`` (this run's), ``contact_states`` (the published run's record hashes),
``block_key_cache``, ``cluster_basis`` and ``decision_contacts`` (kept between runs; every one
keyed by ``(source, source_id)`` or ``record_id``, so ``edin erase`` finds its rows).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import scipy.sparse
import scipy.sparse.csgraph

from resolution._typing import Metadata, Record
from resolution.contract import (
    CLUSTERS,
    SCORED_PAIR_REASONS,
    SCORED_PAIRS,
    conform,
    conform_reasons,
)
from resolution.home import Home
from resolution.linking.attach import detach
from resolution.linking.blocking import dirty_candidate_pairs
from resolution.linking.clustering import cluster_records
from resolution.linking.decisions import enforce_decisions
from resolution.linking.links import identifier_links
from resolution.linking.scoring import ScoredCandidates
from resolution.matching.fields import FieldSpec, FrameRecords, frame_records, record_frame
from resolution.matching.guard import RARE_NAME, NameWeights
from resolution.matching.model import MatchModel
from resolution.pairs import keys_to_ids
from resolution.warehouse import has_table, write_table

log = logging.getLogger("edin")

INCREMENTAL = "incremental"
FULL = "full"
# A drop dirtying more than this share of the home's contacts is resolved in full: the pairs
# carried over would be few, and a full run is simpler to reason about.
FULL_ABOVE = 0.5

KEY = ["source", "source_id"]
_PLAN_SCHEMA = {
    "mode": pl.String,
    "reason": pl.String,
    "previous_run": pl.String,
    "dirty": pl.Int64,
    "gone": pl.Int64,
    "carried_pairs": pl.Int64,
}
_IDS = {"record_id": pl.Int64}
# The seed of the record hashes kept in ``contact_states`` (a change of it, or of polars' hash,
# makes every contact dirty once: a full run).
STATE_SEED = 12


@dataclass(frozen=True)
class Plan:
    """How this run resolves: ``incremental`` or ``full``, and why."""

    mode: str
    reason: str
    previous_run: str = ""
    dirty: int = 0
    gone: int = 0
    carried_pairs: int = 0

    @property
    def incremental(self) -> bool:
        return self.mode == INCREMENTAL

    @property
    def metadata(self) -> Metadata:
        return {
            "mode": self.mode,
            "mode_reason": self.reason,
            "dirty_contacts": self.dirty,
            "gone_contacts": self.gone,
            "carried_pairs": self.carried_pairs,
        }


def contact_states(
    contacts: pl.DataFrame, specs: Sequence[FieldSpec], rare_name: int = RARE_NAME
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The contacts' ``record_frame`` (what ``records`` builds the model's records from) and
    their states: (record_id, source, source_id, record_hash), the hash of the record as
    scoring sees it. The name count enters only as far as the name-only guard reads it (at
    most ``rare_name`` + 1, the model's ``NameWeights.rare_name``): a common name borne by one
    more contact changes no score."""
    frame = record_frame(contacts, specs)
    seen = frame.select(
        pl.exclude("record_id", "name_freq"),
        pl.col("name_freq").struct.field("key").alias("_name"),
        pl.min_horizontal(pl.col("name_freq").struct.field("n"), rare_name + 1).alias("_count"),
    )
    states = contacts.select("record_id", *KEY).with_columns(
        seen.hash_rows(seed=STATE_SEED).reinterpret(signed=True).alias("record_hash")
    )
    return frame, states


def model_hash(model_file: Path) -> str:
    return hashlib.sha256(model_file.read_bytes()).hexdigest()


def _basis(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str, int] | None:
    """(run_id, training_key, model_hash, members) the warehouse last clustered with."""
    if not has_table(con, "cluster_basis"):
        return None
    cols = {r[0] for r in con.execute("DESCRIBE cluster_basis").fetchall()}
    if "members" not in cols:
        return None
    rows = con.execute(
        "SELECT run_id, training_key, model_hash, members FROM cluster_basis"
    ).fetchall()
    if len(rows) != 1:
        return None
    run_id, key, model, members = rows[0]
    return str(run_id), str(key), str(model), int(members)


def _why_full(
    con: duckdb.DuckDBPyConnection, home: Path, training_key: str, full: bool
) -> tuple[str, Path | None]:
    """Why this run must be full ('' when it may be incremental), and the snapshot folder."""
    if full:
        return "asked (--full, --retrain or the Spark engine)", None
    paths = Home(home)
    snapshot = paths.current_target()
    if snapshot is None:
        return "nothing published yet", None
    needed = ("pair_reasons.parquet", "members.parquet", "profiles.parquet", "model.json")
    if any(not (snapshot / f).exists() for f in needed):
        return "the published snapshot lacks the tables to build on", None
    basis = _basis(con)
    if basis is None or basis[0] != snapshot.name or not has_table(con, "contact_states"):
        return "the warehouse did not cluster the published snapshot", None
    published = pl.scan_parquet(snapshot / "members.parquet").select(pl.len()).collect().item()
    if basis[3] != published:  # `edin erase` rewrote the snapshot since
        return "the published snapshot changed since it was clustered", None
    if basis[1] != training_key:
        return "fields, knobs or labels changed", None
    current = model_hash(paths.model_file)
    if basis[2] != current or model_hash(snapshot / "model.json") != current:
        return "the model changed", None
    return "", snapshot


def plan_resolution(
    con: duckdb.DuckDBPyConnection,
    home: Path,
    model_file: Path,
    training_key: str,
    states: pl.DataFrame,
    *,
    full: bool,
) -> Plan:
    """Decide how this run resolves and, when incrementally, write what the later stages need:
    ``dirty_contacts``, ``carried_pairs``, ``previous_clusters`` and ``touched_seeds``. Then
    keep ``states`` as ``pending_states`` (``contact_states`` once this run is published)."""
    reason, snapshot = _why_full(con, home, training_key, full)
    plan = Plan(FULL, reason)
    if snapshot is not None:
        plan = _prepare(con, snapshot, states)
    write_table(con, "resolve_plan", pl.DataFrame([plan.__dict__], schema=_PLAN_SCHEMA))
    # kept as ``contact_states`` only once this run is published (``mark_published``): a
    # retried or failed run still compares with the published snapshot's states
    write_table(con, "pending_states", states.select(*KEY, "record_hash"))
    log.info(
        "resolution: %s (%s)",
        plan.mode,
        plan.reason if not plan.incremental else f"{plan.dirty} dirty contact(s)",
    )
    return plan


def _prepare(con: duckdb.DuckDBPyConnection, snapshot: Path, states: pl.DataFrame) -> Plan:
    # the states the warehouse kept stay there: only the dirty contacts' ids come over
    con.register("_new_states", states.select("record_id", *KEY, "record_hash"))
    try:
        dirty = con.sql(
            "SELECT record_id FROM _new_states ANTI JOIN contact_states "
            "USING (source, source_id, record_hash) ORDER BY record_id"
        ).pl()
    finally:
        con.unregister("_new_states")
    if dirty.height > FULL_ABOVE * max(states.height, 1):
        return Plan(FULL, f"the drop dirties {dirty.height} of {states.height} contacts")
    clean = states.join(dirty, on="record_id", how="anti").select("record_id", *KEY)
    members = pl.read_parquet(
        snapshot / "members.parquet", columns=["profile_id", *KEY, "confidence"]
    )
    gone = members.select(KEY).join(states.select(KEY), on=KEY, how="anti")
    pairs = pl.read_parquet(snapshot / "pair_reasons.parquet")
    ids = keys_to_ids(pairs, clean, how="left")
    kept = ids.filter(pl.col("a").is_not_null() & pl.col("b").is_not_null())
    carried = kept.select(
        pl.min_horizontal("a", "b").alias("record_id_l"),
        pl.max_horizontal("a", "b").alias("record_id_r"),
        *(c for c in pairs.columns if c == "score" or c.startswith("w_")),
    ).sort("record_id_l", "record_id_r")
    # neighbours of a changed or deleted contact: their component lost an edge
    partners = pl.concat(
        [
            ids.filter(pl.col("a").is_not_null() & pl.col("b").is_null()).select(
                pl.col("a").alias("record_id")
            ),
            ids.filter(pl.col("b").is_not_null() & pl.col("a").is_null()).select(
                pl.col("b").alias("record_id")
            ),
        ]
    )
    previous = members.join(clean, on=KEY).select("record_id", "profile_id", "confidence")
    # the cluster-mates of a deleted contact (linked to it only through a decision, say)
    mates = (
        members.join(gone, on=KEY, how="semi")
        .select("profile_id")
        .join(previous, on="profile_id")
        .select("record_id")
    )
    # contacts held for review (an oversized cluster, published one by one): their
    # component is clustered again, so that they are held again as a full run holds them
    held = pl.read_parquet(snapshot / "profiles.parquet", columns=["profile_id", "status"])
    review = (
        held.filter(pl.col("status") == "review")
        .select("profile_id")
        .join(previous, on="profile_id")
        .select("record_id")
    )
    seeds = pl.concat([dirty, partners, mates, review]).unique().sort("record_id")
    write_table(con, "dirty_contacts", dirty.sort("record_id"))
    write_table(con, "carried_pairs", carried)
    write_table(con, "previous_clusters", previous.sort("record_id"))
    write_table(con, "touched_seeds", seeds)
    return Plan(
        INCREMENTAL,
        "the home's model and a published snapshot to build on",
        previous_run=snapshot.name,
        dirty=dirty.height,
        gone=gone.height,
        carried_pairs=carried.height,
    )


def read_plan(con: duckdb.DuckDBPyConnection) -> Plan:
    """The plan the block stage wrote (a full plan when none was)."""
    if not has_table(con, "resolve_plan"):
        return Plan(FULL, "no plan recorded")
    rows = con.execute(
        "SELECT mode, reason, previous_run, dirty, gone, carried_pairs FROM resolve_plan"
    ).fetchall()
    return Plan(*rows[0]) if len(rows) == 1 else Plan(FULL, "no plan recorded")


# ---- block


_DIRTY_PAIRS_SQL = """
CREATE OR REPLACE TABLE candidate_pairs AS
WITH sized AS (
    SELECT block_key, record_id, count(*) OVER (PARTITION BY block_key) AS n FROM block_keys
), touched AS (
    SELECT s.block_key, s.record_id FROM sized s
    WHERE s.n <= $max_block AND s.record_id IN (SELECT record_id FROM dirty_contacts)
)
SELECT DISTINCT least(a.record_id, b.record_id) AS record_id_l,
       greatest(a.record_id, b.record_id) AS record_id_r
FROM touched a JOIN sized b ON a.block_key = b.block_key AND a.record_id <> b.record_id
ORDER BY record_id_l, record_id_r
"""


def remember_block_keys(con: duckdb.DuckDBPyConnection, states: pl.DataFrame, model: str) -> None:
    """Keep table ``block_keys`` (this run's) as ``block_key_cache``, by contact and record
    hash, for the next run's clean contacts; a contact without any block key keeps one row
    with a null key, so that it is not fingerprinted again either."""
    con.register("_states", states.select("record_id", *KEY, "record_hash"))
    try:
        con.execute(
            "CREATE OR REPLACE TABLE block_key_cache AS "
            "SELECT s.source, s.source_id, s.record_hash, b.block_key, $m AS model_hash "
            "FROM block_keys b JOIN _states s USING (record_id) "
            "UNION ALL SELECT s.source, s.source_id, s.record_hash, NULL, $m FROM _states s "
            "WHERE s.record_id NOT IN (SELECT record_id FROM block_keys)",
            {"m": model},
        )
    finally:
        con.unregister("_states")


# The cached block keys of this run's contacts whose record (hash) and model are those the
# cache holds them for (a null key: the contact has none).
_CACHED_SQL = """
CREATE OR REPLACE TEMP TABLE _cached_keys AS
SELECT s.record_id, c.block_key
FROM block_key_cache c JOIN _states s USING (source, source_id, record_hash)
WHERE c.model_hash = $m
"""

# The cache kept up to date in place: the rows of contacts gone, changed, or cached for
# another model go, the keys just computed (a null key for a contact without any) come in.
_UPDATE_CACHE_SQL = (
    """
DELETE FROM block_key_cache c
WHERE c.model_hash <> $m OR NOT EXISTS (
    SELECT 1 FROM _states s
    WHERE s.source = c.source AND s.source_id = c.source_id AND s.record_hash = c.record_hash
)
""",
    """
INSERT INTO block_key_cache
SELECT s.source, s.source_id, s.record_hash, k.block_key, $m
FROM _computed_keys k JOIN _states s USING (record_id)
UNION ALL
SELECT s.source, s.source_id, s.record_hash, NULL, $m
FROM _fingerprinted f JOIN _states s USING (record_id)
WHERE f.record_id NOT IN (SELECT record_id FROM _computed_keys)
""",
)

_BLOCK_KEYS_SQL = """
CREATE OR REPLACE TABLE block_keys AS
SELECT block_key, record_id FROM _cached_keys WHERE block_key IS NOT NULL
UNION ALL
SELECT block_key, record_id FROM _computed_keys
"""


def block_dirty(
    con: duckdb.DuckDBPyConnection,
    model: MatchModel,
    frame: pl.DataFrame,
    states: pl.DataFrame,
    model_key: str,
    max_block_size: int,
) -> Metadata:
    """Tables ``block_keys`` (every contact: cached ones from the last run, the rest through
    the fingerprinter) and ``candidate_pairs`` (only pairs with a dirty side). ``frame`` is
    the contacts' ``record_frame``. The cache stays in the warehouse: only the keys of the
    contacts fingerprinted now move between DuckDB and Python."""
    con.register("_states", states.select("record_id", *KEY, "record_hash"))
    try:
        cache = has_table(con, "block_key_cache")
        if cache:
            con.execute(_CACHED_SQL, {"m": model_key})
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _cached_keys (record_id BIGINT, block_key VARCHAR)"
            )
        # a contact not in the cache for its record (new, changed, or cached by another
        # model) goes through the fingerprinter (found in DuckDB: only those ids come over)
        unknown = con.sql(
            "SELECT record_id FROM _states ANTI JOIN _cached_keys USING (record_id)"
        ).pl()
        missing = frame.join(unknown, on="record_id", how="semi", maintain_order="left")
        recs = frame_records(missing, model.specs)
        keys, ids = [], []
        for key, record_id in model.blocks(sorted(recs.items())):
            keys.append(key)
            ids.append(record_id)
        computed = pl.DataFrame(
            {"block_key": keys, "record_id": ids},
            schema={"block_key": pl.String, "record_id": pl.Int64},
        )
        con.register("_computed_keys", computed)
        con.register("_fingerprinted", missing.select("record_id"))
        con.execute(_BLOCK_KEYS_SQL)
        crossed = _crossed_blocks(con, model_key, max_block_size) if cache else 0
        specs = list(model.specs)
        weights = NameWeights.of_model(model)
        if not dirty_candidate_pairs(
            con, specs, FrameRecords(frame, specs), max_block_size, weights
        ):
            con.execute(_DIRTY_PAIRS_SQL, {"max_block": max_block_size})
        if cache:
            for sql in _UPDATE_CACHE_SQL:
                con.execute(sql, {"m": model_key})
        else:
            remember_block_keys(con, states, model_key)
        con.execute("DROP TABLE IF EXISTS _cached_keys")
    finally:
        for view in ("_states", "_computed_keys", "_fingerprinted"):
            con.unregister(view)
    pairs = int(con.execute("SELECT count(*) FROM candidate_pairs").fetchall()[0][0])
    log.info(
        "blocking: %d contact(s) fingerprinted, %d from the cache; %d candidate pairs with a "
        "dirty side",
        missing.height,
        frame.height - missing.height,
        pairs,
    )
    return {
        "candidate_pairs": pairs,
        "crossed_blocks_contacts": crossed,
        "fingerprinted": missing.height,
        "cached_block_keys": frame.height - missing.height,
    }


# The contacts of blocks that crossed the size limit either way since the cache was written:
# their size now (table block_keys) against their size then (the cache, for this model). Only
# a block that gained a key just computed or lost a cached one (of a contact gone or changed)
# changed size: the others are not counted.
_CROSSED_SQL = """
WITH moved AS (
    SELECT block_key FROM _computed_keys
    UNION
    SELECT c.block_key FROM block_key_cache c
    WHERE c.model_hash = $m AND c.block_key IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM _states s
        WHERE s.source = c.source AND s.source_id = c.source_id AND s.record_hash = c.record_hash
    )
), now AS (
    SELECT block_key, count(*) AS n FROM block_keys SEMI JOIN moved USING (block_key)
    GROUP BY block_key
), before AS (
    SELECT block_key, count(*) AS n FROM block_key_cache SEMI JOIN moved USING (block_key)
    WHERE model_hash = $m GROUP BY block_key
), crossed AS (
    SELECT now.block_key FROM now LEFT JOIN before USING (block_key)
    WHERE (now.n > $max) <> (coalesce(before.n, 0) > $max)
)
SELECT DISTINCT k.record_id FROM block_keys k JOIN crossed USING (block_key)
ORDER BY k.record_id
"""


def _crossed_blocks(con: duckdb.DuckDBPyConnection, model_key: str, max_block: int) -> int:
    """Contacts of blocks that crossed ``max_block`` either way since the last run (a full run
    compares none, or all, of their pairs now): they become dirty, their carried pairs go and
    their clean neighbours are re-clustered. Returns how many contacts that made dirty. Reads
    ``block_key_cache`` before this run updates it."""
    ids = con.sql(_CROSSED_SQL, params={"m": model_key, "max": max_block}).pl()
    if ids.height == 0:
        return 0
    dirty = con.sql("SELECT record_id FROM dirty_contacts").pl()
    new = ids.join(dirty, on="record_id", how="anti")
    if new.height == 0:
        return 0
    carried = con.sql("SELECT * FROM carried_pairs").pl()
    gone = carried.filter(
        pl.col("record_id_l").is_in(new["record_id"])
        | pl.col("record_id_r").is_in(new["record_id"])
    )
    partners = pl.concat(
        [
            gone.select(pl.col("record_id_l").alias("record_id")),
            gone.select(pl.col("record_id_r").alias("record_id")),
        ]
    )
    seeds = con.sql("SELECT record_id FROM touched_seeds").pl()
    write_table(con, "dirty_contacts", pl.concat([dirty, new]).unique().sort("record_id"))
    write_table(
        con,
        "carried_pairs",
        carried.join(
            gone.select("record_id_l", "record_id_r"), on=["record_id_l", "record_id_r"], how="anti"
        ),
    )
    write_table(con, "touched_seeds", pl.concat([seeds, new, partners]).unique().sort("record_id"))
    log.info("%d contact(s) in blocks that crossed max_block_size made dirty", new.height)
    return new.height


def candidate_records(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, specs: Sequence[FieldSpec]
) -> dict[int, Record]:
    """The model's records of the contacts in table ``candidate_pairs`` (all that scoring an
    incremental run's candidates needs)."""
    ids = con.sql(
        "SELECT record_id_l AS record_id FROM candidate_pairs "
        "UNION SELECT record_id_r FROM candidate_pairs"
    ).pl()
    return frame_records(frame.join(ids, on="record_id", how="semi"), specs)


# ---- score


def with_carried(con: duckdb.DuckDBPyConnection, got: ScoredCandidates) -> ScoredCandidates:
    """This run's scored pairs plus the published pairs carried over (two clean sides)."""
    carried = con.sql("SELECT * FROM carried_pairs").pl()
    reasons = pl.concat([got.reasons, carried.select(got.reasons.columns)], how="vertical_relaxed")
    reasons = conform_reasons(
        reasons.sort("record_id_l", "record_id_r"), SCORED_PAIR_REASONS, "scored_pair_reasons"
    )
    return ScoredCandidates(
        conform(reasons, SCORED_PAIRS, "scored_pairs"), reasons, got.held_by_guard
    )


# ---- cluster


def record_decision_contacts(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame) -> None:
    """Add the contacts of the current decisions to ``decision_contacts`` (cumulative: a
    revoked decision's contacts stay, so the run after a revocation re-clusters them)."""
    keys = pl.concat(
        [
            decisions.select(
                pl.col("source_l").alias("source"), pl.col("source_id_l").alias("source_id")
            ),
            decisions.select(
                pl.col("source_r").alias("source"), pl.col("source_id_r").alias("source_id")
            ),
        ]
    )
    if has_table(con, "decision_contacts"):
        keys = pl.concat([con.sql("SELECT source, source_id FROM decision_contacts").pl(), keys])
    write_table(con, "decision_contacts", keys.unique().sort(KEY))


def record_basis(con: duckdb.DuckDBPyConnection, training_key: str, model: str) -> None:
    """What this run clustered with; ``mark_published`` names the snapshot once it is
    published (until then, and if publishing fails, the next run is a full one)."""
    write_table(
        con,
        "cluster_basis",
        pl.DataFrame(
            {
                "run_id": [""],
                "training_key": [training_key],
                "model_hash": [model],
                "members": [-1],
            },
            schema={
                "run_id": pl.String,
                "training_key": pl.String,
                "model_hash": pl.String,
                "members": pl.Int64,
            },
        ),
    )


def mark_published(con: duckdb.DuckDBPyConnection, run_id: str, members: int) -> None:
    """The clusters of ``cluster_basis`` are those of snapshot ``run_id`` (of ``members``
    contacts): the next run may build on it."""
    if not has_table(con, "cluster_basis"):
        return
    if has_table(con, "pending_states"):  # renamed, not copied (a million rows at 1M)
        con.execute("DROP TABLE IF EXISTS contact_states")
        con.execute("ALTER TABLE pending_states RENAME TO contact_states")
    if has_table(con, "contact_states"):
        con.execute(
            "UPDATE cluster_basis SET run_id = $r, members = $m", {"r": run_id, "m": members}
        )


def _components(record_ids: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The connected-component label of each of ``record_ids`` (sorted) over ``pairs``."""
    n = len(record_ids)
    if len(pairs) == 0:
        return np.arange(n)
    index = np.searchsorted(record_ids, pairs)
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(index), dtype=np.int8), (index[:, 0], index[:, 1])), shape=(n, n)
    )
    return np.asarray(scipy.sparse.csgraph.connected_components(graph, directed=False)[1])


def recluster(
    con: duckdb.DuckDBPyConnection,
    contacts: pl.DataFrame,
    scored: pl.DataFrame,
    *,
    must: pl.DataFrame,
    cannot: pl.DataFrame,
    identifier_cols: Sequence[str],
    threshold: float,
    max_cluster_size: int,
    attached: pl.DataFrame | None = None,
    also: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Every contact's cluster: the touched components clustered again, the rest as published,
    less the published attachments (``attached``: record_id; ``resolution.linking.attach``),
    which the run makes anew. A touched component's contacts are clustered afresh, so an earlier
    attachment among them is no longer one: it is not undone there.

    ``scored`` has the cannot-link pairs already dropped, as the full path's. ``also``
    (record_id): contacts whose components are clustered again besides the plan's seeds (those
    whose pairs' verdicts this run's contacts changed)."""
    record_ids = np.sort(contacts["record_id"].to_numpy())
    edges = scored.filter(pl.col("score") > 0)
    pairs = np.concatenate(
        [
            edges.select("record_id_l", "record_id_r").to_numpy().reshape(-1, 2),
            must.select("record_id_l", "record_id_r").to_numpy().reshape(-1, 2),
        ]
    ).astype(np.int64)
    label = _components(record_ids, pairs)
    comps = pl.DataFrame({"record_id": record_ids, "component": label})
    seeds = con.sql("SELECT record_id FROM touched_seeds").pl()
    decided = (
        con.sql(
            "SELECT record_id FROM normalized_contacts "
            "JOIN decision_contacts USING (source, source_id)"
        ).pl()
        if has_table(con, "decision_contacts")
        else pl.DataFrame(schema=_IDS)
    )
    decision_ids = pl.concat(
        [
            must.select(pl.col("record_id_l").alias("record_id")),
            must.select(pl.col("record_id_r").alias("record_id")),
            cannot.select(pl.col("record_id_l").alias("record_id")),
            cannot.select(pl.col("record_id_r").alias("record_id")),
        ]
    )
    extra_seeds = [also.select(pl.col("record_id").cast(pl.Int64))] if also is not None else []
    seeded = comps.join(
        pl.concat([seeds, decided, decision_ids, *extra_seeds]).unique(),
        on="record_id",
        how="semi",
    ).select("component")
    touched_comps = seeded.unique()
    touched = comps.join(touched_comps, on="component", how="semi").select("record_id")
    touched_ids = set(touched["record_id"].to_list())

    inside = edges.join(
        touched.rename({"record_id": "record_id_l"}), on="record_id_l", how="semi"
    )  # a touched component's edges have both sides in it
    sub_contacts = contacts.join(touched, on="record_id", how="semi")
    fresh = cluster_records(
        touched["record_id"].sort(),
        inside,
        threshold=threshold,
        max_cluster_size=max_cluster_size,
        linked=identifier_links(sub_contacts, identifier_cols),
    )
    fresh = enforce_decisions(
        fresh, inside, must_link=must, cannot_link=cannot, threshold=threshold
    )
    kept = (
        con.sql("SELECT * FROM previous_clusters")
        .pl()
        .filter(~pl.col("record_id").is_in(list(touched_ids)))
    )
    sizes = kept.group_by("profile_id").agg(
        pl.col("record_id").min().alias("cluster_id"), pl.len().alias("n")
    )
    kept = kept.join(sizes, on="profile_id").select(
        "record_id",
        "cluster_id",
        "confidence",
        pl.when(pl.col("n") > 1)
        .then(pl.lit("clustered"))
        .otherwise(pl.lit("singleton"))
        .alias("status"),
    )
    out = conform(
        pl.concat([fresh, conform(kept, CLUSTERS, "clusters")]).sort("record_id"),
        CLUSTERS,
        "clusters",
    )
    if attached is not None and attached.height:
        out = detach(out, attached.join(touched, on="record_id", how="anti"))
    if out.height != contacts.height or out["record_id"].is_duplicated().any():
        # a clean contact the snapshot did not publish: a bug in the plan, never silently
        raise RuntimeError(
            f"incremental clustering covers {out.height} of {contacts.height} contacts"
        )
    return out, {"reclustered_contacts": len(touched_ids), "kept_contacts": kept.height}
