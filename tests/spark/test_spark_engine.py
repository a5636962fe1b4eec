"""The Spark engine (resolution.spark) on local[2]: connected components against scipy's, and a
whole run of the bundled sample with blocking and scoring on Spark publishing byte for byte the
members and profiles of the DuckDB path. Needs the `spark` extra and Java 17 (CI has both)."""

from __future__ import annotations

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
from resolution.spark import connected_components, spark_session  # noqa: E402

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


def test_spark_run_publishes_what_the_duckdb_run_publishes(spark, tmp_path: Path) -> None:
    homes = {engine: tmp_path / engine for engine in ("duckdb", "spark")}
    for engine, home in homes.items():
        argv = ["run", str(ROOT / "data" / "sample"), "--home", str(home), "--engine", engine]
        assert main(argv) == 0
    for name in ("members", "profiles", "history", "contacts"):
        duck, on_spark = (h / "current" / f"{name}.parquet" for h in homes.values())
        assert duck.read_bytes() == on_spark.read_bytes(), f"{name}.parquet differs"
    # The pair reasons: the same pairs and contributions; a score may differ in its last bit
    # (BLAS sums a chunk's matrix-vector product in an order that depends on the chunk).
    duck, on_spark = (
        pl.read_parquet(h / "current" / "pair_reasons.parquet") for h in homes.values()
    )
    assert duck.drop("score").equals(on_spark.drop("score"))
    assert np.allclose(duck["score"].to_numpy(), on_spark["score"].to_numpy(), rtol=0, atol=1e-12)
