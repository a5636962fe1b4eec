"""The Spark session the engine runs in: the active one (spark-submit, Databricks, a test's
``local[2]``), or one started here from ``EDIN_SPARK_MASTER`` (default: Spark's own, which is
``local[*]`` outside spark-submit)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from resolution.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SHUFFLE = "spark.sql.shuffle.partitions"
LOCAL_SHUFFLE_PER_CORE = 2
"""Shuffle partitions per core of a local session (``spark.sql.shuffle.partitions``)."""

# The folder holding the `resolution` package: local Python workers import it from there.
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


def prepare_local_workers() -> None:
    """Environment a local Spark's Python workers inherit (set before the JVM starts): this
    interpreter, and this checkout of the project first on their path. On a cluster the
    project is installed on the executors instead (docs/SCALE.md)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    path = os.environ.get("PYTHONPATH", "")
    if PROJECT_ROOT not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (PROJECT_ROOT, path) if p)


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """The running Spark session, or a new one (``master``, else ``EDIN_SPARK_MASTER``, else
    Spark's default) with ``conf`` set."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "the spark engine needs pyspark: install the `spark` extra (pip install "
            "'edin[spark]'), or run with --engine duckdb"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ConfigError(
            "the spark engine needs a Java 17 runtime (apt-get install openjdk-17-jre-headless), "
            "or run with --engine duckdb"
        )
    prepare_local_workers()
    builder = SparkSession.builder.appName("edin")
    master = master or os.environ.get("EDIN_SPARK_MASTER")
    if master:
        builder = builder.master(master)
    settings = {"spark.sql.execution.arrow.pyspark.enabled": "true", **(conf or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    context = session.sparkContext
    if (context.master or "").startswith("local") and not context.getConf().contains(SHUFFLE):
        # Spark's default of 200 shuffle partitions is for a cluster: on a machine's few cores
        # each is a task of its own, most of them near empty
        session.conf.set(SHUFFLE, str(LOCAL_SHUFFLE_PER_CORE * context.defaultParallelism))
    return session
