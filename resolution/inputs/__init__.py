"""Inputs: channel exports read onto the input contract (rows that cannot be used go to the
quarantine with a reason), every contact's match keys, and the hub values that stop counting
as evidence."""

from resolution.inputs.hubs import drop_hubs, find_hubs
from resolution.inputs.ingest import Ingested, fingerprint, ingest, parse_timestamp
from resolution.inputs.normalize import normalize_contacts, worker_count

__all__ = [
    "Ingested",
    "drop_hubs",
    "find_hubs",
    "fingerprint",
    "ingest",
    "normalize_contacts",
    "parse_timestamp",
    "worker_count",
]
