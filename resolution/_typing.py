"""Type aliases shared by the engine, stated once."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
"""A contact as the match model sees it: field name → value (sets as tuples, missing → None)."""
Pair = tuple[Record, Record]
TrainingData = dict[str, list[Pair]]
"""dedupe's training structure: ``{"match": [...], "distinct": [...]}`` (and ``"unsure"``)."""
Key = tuple[str, str]
"""A contact's key: (source, source_id)."""
Metadata = dict[str, Any]
"""What a stage reports: counts and seconds, shown in Dagster and the run summary."""
