"""The benchmark data sets, each prepared once for every system.

A :class:`Dataset` holds the product's input folder (and config), the truth, and
``records.parquet``: one row per contact with ``unique_id``, ``source``, ``source_id`` and the
cleaned columns the other systems compare (see ``cleaning``). Columns per data set are declared
in :data:`FIELDS`; the identifier columns feed the exact-identifier baseline.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from cleaning import clean_generated, strip_strings

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
NOID = ("febrl1_noid", "febrl2_noid", "febrl3_noid", "febrl4_noid")
NAMES = ("febrl3", "fake_20000", "fake_20000_noemail", "generated", *NOID)

# The FEBRL sets' columns (FEBRL3 adds soc_sec_id).
FEBRL = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
)
# Columns of records.parquet each system may compare, and which of them are identifiers
# (e-mail, phone, handle) for the exact-identifier baseline. FEBRL3 has none: its soc_sec_id
# is corrupted in the duplicates like every other field, and REFERENCE.md's baseline is about
# contact identifiers.
FIELDS: dict[str, tuple[str, ...]] = {
    "febrl3": (*FEBRL, "soc_sec_id"),
    "fake_20000": ("first_name", "surname", "dob", "city", "email"),
    # FEBRL 1-4 with soc_sec_id left out (examples/febrl_noid): no identifier at all
    **{name: FEBRL for name in NOID},
    # the same register with its e-mails left out: no identifier at all (issue 11)
    "fake_20000_noemail": ("first_name", "surname", "dob", "city"),
    "generated": (
        "name",
        "first_name",
        "surname",
        "email",
        "phone",
        "handle",
        "city",
        "created_at",
    ),
}
IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "febrl3": (),
    "fake_20000": ("email",),
    "fake_20000_noemail": (),
    **{name: () for name in NOID},
    "generated": ("email", "phone", "handle"),
}


@dataclass(frozen=True)
class Dataset:
    name: str
    inputs: Path  # folder for `edin run`
    config: Path | None  # edin.toml, when the data is not in the input contract
    truth: Path  # source, source_id, entity_id
    records: Path  # records.parquet for Splink, dedupe and the exact-identifier baseline
    contacts: int
    note: str = ""


def _run_prepare(script: Path, out: Path) -> None:
    proc = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{script} failed:\n{proc.stdout}{proc.stderr}")


def _write_records(df: pl.DataFrame, path: Path) -> int:
    df = df.with_row_index("unique_id").with_columns(pl.col("unique_id").cast(pl.Int64))
    df.write_parquet(path)
    return df.height


# Public example sets: (file the example's prepare.py writes, source name, record key column).
PUBLIC_SETS = {
    "febrl3": ("febrl3.csv", "febrl", "rec_id"),
    "fake_20000": ("fake_20000.csv", "fake", "unique_id"),
    "fake_20000_noemail": ("fake_20000.csv", "fake", "unique_id"),
    **{name: ("records.csv", "febrl", "rec_id") for name in NOID},
}
# Variants of an example: (its example folder, the subfolder its prepare.py writes them into,
# their config in the example folder).
VARIANTS = {
    "fake_20000_noemail": ("fake_20000", "no_email", "edin_no_email.toml"),
    **{name: ("febrl_noid", name.removesuffix("_noid"), "edin.toml") for name in NOID},
}


def prepare(name: str, work: Path, *, persons: int, seed: int) -> Dataset:
    """Write the data set under ``work/<name>`` (reused when already there) and describe it."""
    if name in PUBLIC_SETS:
        csv_name, source, key = PUBLIC_SETS[name]
        example, sub, config_name = VARIANTS.get(name, (name, "", "edin.toml"))
        folder = work / name
        prepared = folder / "data"
        data = prepared / sub if sub else prepared
        if not (data / "truth.csv").exists():
            _run_prepare(EXAMPLES / example / "prepare.py", prepared)
        raw = pl.read_csv(data / csv_name, infer_schema=False)
        records = strip_strings(raw).select(
            pl.lit(source).alias("source"), pl.col(key).alias("source_id"), *FIELDS[name]
        )
        config = EXAMPLES / example / config_name
        note = ""
    elif name == "generated":
        from synth import generate, write_dataset

        folder = work / f"generated_p{persons}_s{seed}"
        data = folder / "data"
        if not (data / "truth.csv").exists():
            write_dataset(generate(persons, seed=seed), data)
        raw = pl.read_csv(data / "contacts.csv", infer_schema=False)
        records = clean_generated(raw)
        config = None
        note = f"{persons} persons, seed {seed}"
    else:
        raise SystemExit(f"unknown dataset {name!r}; choose from {', '.join(NAMES)}")
    path = folder / "records.parquet"
    contacts = _write_records(records, path)
    return Dataset(
        name=name,
        inputs=data,
        config=config,
        truth=data / "truth.csv",
        records=path,
        contacts=contacts,
        note=note,
    )
