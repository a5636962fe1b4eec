"""Benchmark: normalization throughput (every contact through every normalizer).

Generates N people (about 2.5 contacts each; or reads an existing folder with ``--data``), runs
the ingest stage's function on them, then times the normalize stage's function alone and prints
contacts/s; appends a JSON line to bench/results/normalize_contacts.jsonl. Issue 3 asks for 1M
contacts in at most 60 s on 2 cores:

    python bench/normalize_contacts.py --persons 400000

The load average of the machine at the start is recorded beside the figure: on a shared
2-core machine, other work slows the normalizer's worker processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from provenance import provenance

from resolution import default_config
from resolution.inputs import ingest, normalize_contacts, worker_count
from synth import generate, write_dataset

RESULTS = Path(__file__).resolve().parent / "results" / "normalize_contacts.jsonl"


def measure(folder: Path) -> dict:
    config = default_config()
    contacts = ingest([folder], config).contacts
    load = os.getloadavg()[0]
    started = time.perf_counter()
    normalized = normalize_contacts(contacts, config)
    seconds = time.perf_counter() - started
    peak = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {
        "contacts": normalized.height,
        "seconds": round(seconds, 1),
        "contacts_per_s": round(normalized.height / seconds),
        "workers": worker_count(config.resolution.workers),
        "load_avg_at_start": round(load, 2),
        "peak_rss_mb": round(peak / 1024),
    }


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--persons", type=int, default=40000)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--data", type=Path, help="an existing input folder instead of generating one")
    args = p.parse_args()
    if args.data is not None:
        row = measure(args.data)
    else:
        with tempfile.TemporaryDirectory(prefix="edin-norm-") as tmp:
            write_dataset(generate(args.persons, seed=args.seed), Path(tmp))
            row = measure(Path(tmp))
        row |= {"persons": args.persons, "seed": args.seed}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row | provenance()) + "\n")
    print(
        f"{row['contacts']:,} contacts normalized in {row['seconds']} s "
        f"({row['contacts_per_s']:,}/s, {row['workers']} worker processes, load average "
        f"{row['load_avg_at_start']} at the start); peak {row['peak_rss_mb']:,} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
