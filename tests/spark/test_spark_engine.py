"""The Spark engine (resolution.spark) on local[2]: connected components against scipy's, the
bucketed clustering against the local one, the name-only guard in Spark SQL against
``name_only_pairs``, the normalizers and the profiles sliced over many tasks against the DuckDB
path's functions, and a whole run of the bundled sample with normalize, blocking, scoring,
clustering and profiles on Spark publishing byte for byte the members, profiles, history and
contacts of the DuckDB path. Needs the `spark` extra and Java 17 (CI has both).

``EDIN_SPARK_LARGE=1`` adds the same comparison on a generated set of about 50,000 contacts
(``edin generate --persons 20000 --seed 1``; a few minutes on two cores, not run in CI)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import scipy.sparse
import scipy.sparse.csgraph

pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - CI installs Java 17 (.ci/run)
    pytest.skip("no java on PATH: Spark cannot start", allow_module_level=True)

from edin.cli import main  # noqa: E402
from resolution.config import ProfileSettings, default_config  # noqa: E402
from resolution.inputs.ingest import ingest  # noqa: E402
from resolution.inputs.normalize import normalize_contacts  # noqa: E402
from resolution.linking.clustering import MAX_COMPONENT, local_hierarchy  # noqa: E402
from resolution.publishing.profiles import build_history, build_profiles  # noqa: E402
from resolution.spark import (  # noqa: E402
    cluster_components,
    connected_components,
    normalize_on_spark,
    profiles_on_spark,
    spark_session,
)

pytestmark = pytest.mark.spark
ROOT = Path(__file__).resolve().parents[2]
LOCAL = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
}


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", LOCAL)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def scipy_components(edges: np.ndarray) -> dict[int, int]:
    """Each node of ``edges`` labelled by its component's smallest node, by scipy."""
    nodes, index = np.unique(edges, return_inverse=True)
    index = index.reshape(edges.shape)
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(edges)), (index[:, 0], index[:, 1])), shape=(len(nodes),) * 2
    )
    _, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
    smallest: dict[int, int] = {}
    for node, lab in zip(nodes, label, strict=True):  # nodes ascend: the first is the smallest
        smallest.setdefault(int(lab), int(node))
    return {int(n): smallest[int(lab)] for n, lab in zip(nodes, label, strict=True)}


def test_connected_components_match_scipy(spark) -> None:
    rng = np.random.default_rng(16)
    graphs = []
    offset = 0
    # sparse and denser random graphs, a long path (many rounds) and self-loops, side by side
    for n, m in ((200, 120), (150, 300), (60, 40)):
        graphs.append(rng.integers(0, n, size=(m, 2)) + offset)
        offset += n
    path = np.arange(offset, offset + 16)
    graphs.append(np.column_stack([path[:-1], path[1:]])[rng.permutation(15)])
    graphs.append(np.array([[offset + 100, offset + 100], [offset + 101, offset + 100]]))
    edges = np.concatenate(graphs)
    frame = spark.createDataFrame(
        [(int(a), int(b)) for a, b in edges], "src long, dst long"
    ).repartition(2)
    got = {r["node"]: r["component"] for r in connected_components(frame).collect()}
    assert got == scipy_components(edges)


def test_bucketed_clustering_yields_the_local_clusters_in_order(spark) -> None:
    """Many components in few buckets (one Python call per bucket, each clustering its
    components in a loop): the clusters, their records and confidences in the order the
    local ``hierarchical`` yields them, whatever bucket a component fell in."""
    rng = np.random.default_rng(1616)
    rows = []
    offset = 0
    # pairs, triangles, chains and denser groups, scored around the threshold
    for size in rng.integers(2, 9, size=300):
        nodes = np.arange(offset, offset + size)
        offset += size + int(rng.integers(0, 3))
        chain = np.column_stack([nodes[:-1], nodes[1:]])
        extra = rng.choice(nodes, size=(int(size) // 2, 2))
        for a, b in np.concatenate([chain, extra]):
            if a != b:
                rows.append((min(a, b), max(a, b), rng.uniform(0.2, 1.0)))
    edges = {(a, b): s for a, b, s in rows}  # one score per pair, as scored_pairs holds
    order = sorted(edges)
    dupes = np.empty(len(order), dtype=[("pairs", "i8", 2), ("score", "f4")])
    dupes["pairs"] = np.array(order, dtype=np.int64)
    dupes["score"] = np.array([edges[k] for k in order], dtype=np.float32)
    want = list(local_hierarchy(dupes, 0.5))
    # about 80 edges a bucket: a dozen buckets over 2 cores
    got = list(cluster_components(spark, dupes, 0.5, MAX_COMPONENT, edges_per_task=80))
    assert len(want) > 100
    assert [ids for ids, _ in got] == [ids for ids, _ in want]
    for (_, conf_got), (_, conf_want) in zip(got, want, strict=True):
        assert np.array_equal(conf_got, conf_want)


@pytest.mark.parametrize("home_weights", [False, True], ids=["default", "home"])
def test_spark_guard_holds_what_the_duckdb_guard_holds(
    spark, sample_contacts, home_weights
) -> None:
    """The name-only guard in Spark SQL (``linkable_spark``) against ``name_only_pairs`` on
    the pairs of the sample's records that share a name token or that the guard lets
    through."""
    from resolution.linking.blocking import guard_frame
    from resolution.matching.fields import field_specs, records
    from resolution.matching.guard import DEFAULT_WEIGHTS, NameWeights, name_only_pairs
    from resolution.spark.engine import linkable_spark

    # a home's own weights (``resolution.training.name_weights``) or the constants
    weights = (
        NameWeights(name_odds=9.5, city_same=3.3, city_other=-0.4, phone_conflict=-1.1)
        if home_weights
        else DEFAULT_WEIGHTS
    )

    config = default_config()
    specs = list(field_specs(config))
    recs = records(normalize_contacts(sample_contacts, config), specs)
    table = guard_frame(recs, specs)
    spark.createDataFrame(table).createOrReplaceTempView("g")
    # the pairs the guard decides either way: all it lets through, and those sharing a name
    # token (most of them held)
    linkable = linkable_spark(specs, weights=weights)
    pairs = spark.sql(
        f"SELECT * FROM (SELECT l.record_id AS a, r.record_id AS b, {linkable} "
        "AS linkable, arrays_overlap(split(l.name, ' '), split(r.name, ' ')) AS token "
        "FROM g l JOIN g r ON l.record_id < r.record_id) WHERE linkable OR token"
    ).toPandas()
    spark.catalog.dropTempView("g")
    held = name_only_pairs(
        [(recs[int(a)], recs[int(b)]) for a, b in zip(pairs["a"], pairs["b"], strict=True)],
        specs,
        weights,
    )
    assert pairs["linkable"].sum() > 0 and held.sum() > 0
    assert np.array_equal(~held, pairs["linkable"].to_numpy(dtype=bool))


@pytest.fixture(scope="module")
def sample_contacts() -> pl.DataFrame:
    """The sample's raw contacts, as the ingest stage hands them to normalize."""
    return ingest([ROOT / "data" / "sample"], default_config()).contacts


def test_normalize_on_spark_equals_normalize_contacts(spark, sample_contacts) -> None:
    config = default_config()
    # about 300 contacts a task: every slice numbers its contacts from 0, the global ids return
    got = normalize_on_spark(spark, sample_contacts, config, rows_per_task=300)
    want = normalize_contacts(sample_contacts, config)
    assert got.schema == want.schema
    assert got.equals(want)
    # a slice in the middle of the order keeps its global record ids
    assert got["record_id"].to_list() == list(range(sample_contacts.height))


def test_profiles_on_spark_equal_build_profiles(spark, sample_contacts) -> None:
    contacts = normalize_contacts(sample_contacts, default_config())
    # a clustering with large and single profiles, review status on some
    clusters = contacts.select(
        "record_id",
        (pl.col("record_id") // 3 * 3).alias("cluster_id"),
        pl.lit(1.0).alias("confidence"),
        pl.when(pl.col("record_id") % 17 == 0)
        .then(pl.lit("review"))
        .otherwise(pl.lit("published"))
        .alias("status"),
    )
    members = (
        contacts.select("record_id", "source", "source_id")
        .join(clusters, on="record_id")
        .with_columns(pl.format("p{}", pl.col("cluster_id")).alias("profile_id"))
        .select("profile_id", "source", "source_id", "confidence")
    )
    interactions = ingest([ROOT / "data" / "sample"], default_config()).interactions
    history = build_history(interactions, members)
    for settings in (
        ProfileSettings(),
        ProfileSettings(
            name="most_recent", city="source_priority", source_priority=("vk", "phone")
        ),
    ):
        got = profiles_on_spark(spark, contacts, members, clusters, history, settings, 50)
        want = build_profiles(contacts, members, clusters, history, settings)
        assert got.schema == want.schema
        assert got.equals(want)


def assert_same_publication(homes: dict[str, Path]) -> None:
    """The members, profiles, history and contacts the two homes published, byte for byte."""
    for name in ("members", "profiles", "history", "contacts"):
        duck, on_spark = (h / "current" / f"{name}.parquet" for h in homes.values())
        assert duck.read_bytes() == on_spark.read_bytes(), f"{name}.parquet differs"


def test_spark_run_publishes_what_the_duckdb_run_publishes(spark, tmp_path: Path) -> None:
    homes = {engine: tmp_path / engine for engine in ("duckdb", "spark")}
    for engine, home in homes.items():
        argv = ["run", str(ROOT / "data" / "sample"), "--home", str(home), "--engine", engine]
        assert main(argv) == 0
    assert_same_publication(homes)
    # The pair reasons: the same pairs and contributions; a score may differ in its last bit
    # (BLAS sums a chunk's matrix-vector product in an order that depends on the chunk).
    duck, on_spark = (
        pl.read_parquet(h / "current" / "pair_reasons.parquet") for h in homes.values()
    )
    assert duck.drop("score").equals(on_spark.drop("score"))
    assert np.allclose(duck["score"].to_numpy(), on_spark["score"].to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("EDIN_SPARK_LARGE") != "1", reason="EDIN_SPARK_LARGE=1: about 50k contacts"
)
def test_spark_run_on_50k_generated_contacts(spark, tmp_path: Path) -> None:
    from synth import generate, write_dataset

    inputs = tmp_path / "inputs"
    write_dataset(generate(20_000, seed=1), inputs)
    homes = {engine: tmp_path / engine for engine in ("duckdb", "spark")}
    for engine, home in homes.items():
        assert main(["run", str(inputs), "--home", str(home), "--engine", engine]) == 0
    assert_same_publication(homes)
