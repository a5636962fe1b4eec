"""Drops as Dagster dynamic partitions: each run ingests one drop, a partition of the ingest
assets named after it (a drop folder's name, ``nightly-2026-12-06``, ``cli-sample``), so the UI
shows which drop made which snapshot (the ``drop`` metadata of every asset of the run)."""

from __future__ import annotations

import re

from dagster import DagsterInstance, DynamicPartitionsDefinition

DROPS = DynamicPartitionsDefinition(name="drops")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def drop_partition(name: str) -> str:
    """A partition key for a drop named ``name`` (the characters Dagster's UI shows plainly)."""
    return _UNSAFE.sub("_", name).strip("_")[:100] or "drop"


def add_drop(instance: DagsterInstance, key: str) -> str:
    """Register partition ``key`` of DROPS (if new) and return it."""
    if not instance.has_dynamic_partition(DROPS.name or "drops", key):
        instance.add_dynamic_partitions(DROPS.name or "drops", [key])
    return key
