"""The product against the exact-identifier union-find on variations of the generator.

    python bench/quality/variants.py --persons 20000 --seed 66001 [--variants default,fewer_ids]

A margin that holds only for the generator's default mix is a fit to it. Each variant changes
one knob of ``synth.config.SynthConfig`` (fewer identifiers, more namesakes, more households,
no username reuse, more cities), generates ``--persons`` people with ``--seed``, runs ``edin
run`` into a fresh home and the exact e-mail / phone / handle union-find of REFERENCE.md
(``exact_identifiers.py``, values on at most 25 records) on the same contacts, and prints
pairwise P / R / F1 and B-cubed F1 of both and the margin. Data and homes go under ``--work``
(reused when there). Below 20,000 people the union-find's hub cap leaves call-centre numbers
in (they have fewer bearers), so its precision, and the margin, are not comparable with the
main benchmark's.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from cleaning import clean_generated  # noqa: E402
from exact_identifiers import MAX_SHARED, clusters  # noqa: E402

from resolution import Scores, evaluate  # noqa: E402
from synth import generate, write_dataset  # noqa: E402
from synth.config import CONFIG, SynthConfig  # noqa: E402


def _scaled(factor: float) -> Callable[[dict[str, float]], dict[str, float]]:
    return lambda per_source: {k: min(1.0, v * factor) for k, v in per_source.items()}


# variant → the SynthConfig fields it changes
VARIANTS: dict[str, Callable[[SynthConfig], dict[str, Any]]] = {
    "default": lambda c: {},
    "fewer_ids": lambda c: {
        "phone_present": _scaled(0.5)(c.phone_present),
        "email_present": _scaled(0.5)(c.email_present),
        "handle_present": _scaled(0.5)(c.handle_present),
    },
    "namesakes3x": lambda c: {"namesake_rate": 3 * c.namesake_rate},
    "households2x": lambda c: {"household_rate": 2 * c.household_rate},
    "no_handle_reuse": lambda c: {"username_reuse": 0.05},
    "more_cities": lambda c: {"city_present": _scaled(1.6)(c.city_present)},
}


def run_variant(name: str, persons: int, seed: int, work: Path) -> tuple[int, Scores, Scores]:
    config = dataclasses.replace(CONFIG, **VARIANTS[name](CONFIG))
    folder = work / f"{name}_p{persons}_s{seed}"
    data, home = folder / "data", folder / "home"
    if not (data / "truth.csv").exists():
        write_dataset(generate(persons, seed=seed, config=config), data)
    if not (home / "current" / "members.parquet").exists():
        subprocess.run(
            [sys.executable, "-m", "edin", "run", str(data), "--home", str(home)],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
    truth = pl.read_csv(data / "truth.csv", infer_schema=False)
    raw = pl.read_csv(data / "contacts.csv", infer_schema=False)
    records = clean_generated(raw).with_row_index("unique_id")
    records = records.with_columns(pl.col("unique_id").cast(pl.Int64))
    exact = clusters(records, ["email", "phone", "handle"], MAX_SHARED)
    members = pl.read_parquet(home / "current" / "members.parquet")
    return (
        raw.height,
        evaluate(truth, members),
        evaluate(truth, exact.rename({"cluster_id": "profile_id"})),
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, default=20000)
    p.add_argument("--seed", type=int, default=66001)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--work", type=Path, default=REPO / "bench" / "results" / "tmp" / "variants")
    args = p.parse_args()
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    print(f"{args.persons} people, seed {args.seed}: pairwise P / R / F1, B-cubed F1")
    print("| variant | contacts | edin | exact identifiers | margin F1 / B-cubed |")
    print("|---|---|---|---|---|")
    for name in names:
        contacts, product, exact = run_variant(name, args.persons, args.seed, args.work)
        cells = [
            f"{s.pairwise_precision:.3f} / {s.pairwise_recall:.3f} / {s.pairwise_f1:.3f}, "
            f"{s.bcubed_f1:.3f}"
            for s in (product, exact)
        ]
        margin = (
            f"{product.pairwise_f1 - exact.pairwise_f1:+.3f} / "
            f"{product.bcubed_f1 - exact.bcubed_f1:+.3f}"
        )
        print(f"| {name} | {contacts:,} | {cells[0]} | {cells[1]} | {margin} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
