"""Inputs: channel exports read row by row (``read_rows``: any encoding, line ending, quoting
and type) onto the input contract (rows that cannot be used go to the quarantine with a
reason), each drop added to what the home already knows, every contact's match keys (only new
and changed contacts normalized again: ``normalize_cached``), and the hub values that stop
counting as evidence."""

from resolution.inputs.cache import normalize_cached
from resolution.inputs.hubs import drop_hubs, find_hubs
from resolution.inputs.ingest import Ingested, fingerprint, ingest, parse_timestamp
from resolution.inputs.known import Known, Merged, merge_drop, read_deletes, read_known
from resolution.inputs.normalize import normalize_contacts, worker_count
from resolution.inputs.reader import Broken, Rows, read_rows

__all__ = [
    "Broken",
    "Ingested",
    "Rows",
    "read_rows",
    "Known",
    "Merged",
    "merge_drop",
    "read_deletes",
    "read_known",
    "drop_hubs",
    "find_hubs",
    "fingerprint",
    "ingest",
    "normalize_cached",
    "normalize_contacts",
    "parse_timestamp",
    "worker_count",
]
