"""Benchmark: normalization throughput (every contact through every normalizer).

Generates N people (about 2.5 contacts each), runs the ingest and normalize stages' functions on
them and prints contacts/s; appends a JSON line to bench/results/normalize_contacts.jsonl.
Issue 3 asks for 1M contacts in at most 60 s on 2 cores:

    python bench/normalize_contacts.py --persons 400000
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from resolution.config import default_config
from resolution.features import normalize_contacts
from resolution.ingest import ingest
from synth import generate, write_dataset

RESULTS = Path(__file__).resolve().parent / "results" / "normalize_contacts.jsonl"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, default=40000)
    p.add_argument("--seed", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="edin-norm-") as tmp:
        write_dataset(generate(args.persons, seed=args.seed), Path(tmp))
        config = default_config()
        contacts = ingest([Path(tmp)], config).contacts
        started = time.perf_counter()
        normalized = normalize_contacts(contacts, config)
        seconds = time.perf_counter() - started
    row = {"contacts": normalized.height, "seconds": round(seconds, 1),
           "contacts_per_s": round(normalized.height / seconds),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(f"{row['contacts']:,} contacts normalized in {row['seconds']} s "
          f"({row['contacts_per_s']:,}/s, one process); peak {row['peak_rss_mb']:,} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
