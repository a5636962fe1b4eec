"""The name-only guard's weights measured on a published home with its truth.

    python bench/quality/name_weights.py HOME TRUTH [--sample 200000] [--seed 0]

``resolution.matching.guard`` weighs a pair that only a shared full name connects by the name's
frequency and its context, as Fellegi-Sunter Bayes factors (bits: log2 m/u). This prints, on
the home's contacts (their published ``match_record``):

* each context level's m (pairs sharing a phone, e-mail or handle: as good as one person, with
  no truth read) and u (random pairs of contacts), and its bits;
* the term-frequency check: pairs sharing a full name borne by ``n`` contacts and no identifier,
  ``n`` times their odds of being one person, by ``n`` (the guard's ``NAME_ODDS`` when flat);
* the guard's own posterior (``name_evidence_bits``) against how often such pairs were one person.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from resolution import default_config  # noqa: E402
from resolution.matching import CREATED_BITS, field_specs, name_evidence_bits  # noqa: E402

SETS = ("phones", "emails", "handles", "nicknames")
MAX_SHARED = 5  # an identifier value on more records is a hub, not evidence of one person


def _records(home: Path, truth: Path) -> tuple[list[dict], pl.DataFrame]:
    contacts = pl.read_parquet(home / "current" / "contacts.parquet")
    recs = [json.loads(s) for s in contacts["match_record"]]
    for r in recs:
        for k in SETS:
            r[k] = tuple(r[k]) if r.get(k) else None
    keyed = contacts.select("source", "source_id").with_row_index("rid")
    entity = keyed.join(pl.read_csv(truth, infer_schema=False), on=["source", "source_id"])
    return recs, entity.sort("rid")


def _levels(recs: list[dict], left: np.ndarray, right: np.ndarray) -> dict[str, list[str]]:
    """Per pair, the level of each context comparison."""
    out: dict[str, list[str]] = {"city": [], "created": [], "phones": [], "emails": []}
    for i, j in zip(left, right, strict=True):
        a, b = recs[i], recs[j]
        ca, cb = a.get("city"), b.get("city")
        out["city"].append(
            "missing" if ca is None or cb is None else "same" if ca == cb else "other"
        )
        ta, tb = a.get("created"), b.get("created")
        if ta is None or tb is None:
            out["created"].append("missing")
        else:
            apart = abs(ta - tb)
            out["created"].append(next(f"<= {d:g} days" for d, _ in CREATED_BITS if apart <= d))
        for f in ("phones", "emails"):
            x, y = a.get(f), b.get(f)
            both = bool(x) and bool(y)
            out[f].append(
                "missing" if not both else "shared" if not set(x).isdisjoint(y) else "conflict"
            )
    return out


def _identifier_pairs(recs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    rows = [
        (i, v)
        for i, r in enumerate(recs)
        for f in ("phones", "emails", "handles")
        for v in r[f] or ()
    ]
    values = pl.DataFrame(rows, schema={"rid": pl.Int64, "v": pl.String}, orient="row")
    values = values.filter(pl.len().over("v") <= MAX_SHARED)
    pairs = (
        values.join(values, on="v")
        .filter(pl.col("rid") < pl.col("rid_right"))
        .select("rid", "rid_right")
        .unique()
        .sort("rid", "rid_right")
    )
    return pairs["rid"].to_numpy(), pairs["rid_right"].to_numpy()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("home", type=Path)
    p.add_argument("truth", type=Path)
    p.add_argument("--sample", type=int, default=200_000, help="random pairs for u")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    pl.Config.set_tbl_rows(50)
    recs, entity = _records(args.home, args.truth)
    n = len(recs)
    rng = np.random.default_rng(args.seed)
    ru, rv = rng.integers(0, n, args.sample), rng.integers(0, n, args.sample)
    keep = ru != rv
    m_levels = _levels(recs, *_identifier_pairs(recs))
    u_levels = _levels(recs, ru[keep], rv[keep])
    print(f"{n} contacts; m from {len(m_levels['city'])} identifier pairs, u from {keep.sum()}")
    for field in m_levels:
        m = pl.Series(m_levels[field]).value_counts(normalize=True, name="m").rename({"": "level"})
        u = pl.Series(u_levels[field]).value_counts(normalize=True, name="u").rename({"": "level"})
        table = m.join(u, on="level", how="full", coalesce=True).sort("level")
        print(field)
        print(table.with_columns((pl.col("m") / pl.col("u")).log(2).alias("bits")))

    # pairs sharing a full name, no identifier: the frequency check and the posterior
    names = pl.DataFrame(
        {
            "rid": range(n),
            "name": [r.get("name") for r in recs],
            "n": [r.get("_name_count") for r in recs],
        }
    ).filter(pl.col("name").str.contains(" "))
    pairs = names.join(names, on=["name", "n"]).filter(pl.col("rid") < pl.col("rid_right"))
    ent = entity["entity_id"].to_list()
    left, right = pairs["rid"].to_list(), pairs["rid_right"].to_list()
    linked = [
        any(r1[f] and r2[f] and not set(r1[f]).isdisjoint(r2[f]) for f in SETS)
        for r1, r2 in ((recs[a], recs[b]) for a, b in zip(left, right, strict=True))
    ]
    specs = field_specs(default_config())
    bits = name_evidence_bits([(recs[a], recs[b]) for a, b in zip(left, right, strict=True)], specs)
    judged = pairs.with_columns(
        pl.Series("same", [ent[a] == ent[b] for a, b in zip(left, right, strict=True)]),
        pl.Series("linked", linked),
        pl.Series("bits", bits),
    ).filter(~pl.col("linked"))
    print("pairs sharing a full name and no identifier, by how many contacts bear it")
    print(
        judged.group_by(pl.col("n").clip(0, 12))
        .agg(pl.len().alias("pairs"), pl.col("same").mean().alias("one_person"))
        .with_columns(
            (pl.col("n") * pl.col("one_person") / (1 - pl.col("one_person"))).alias("n_x_odds")
        )
        .sort("n")
    )
    print("the guard's posterior (bits) against how often such pairs were one person")
    print(
        judged.filter(pl.col("bits") > -math.inf)
        .group_by(pl.col("bits").round(0).alias("bits"))
        .agg(pl.len().alias("pairs"), pl.col("same").mean().alias("one_person"))
        .with_columns((1 / (1 + 2 ** (-pl.col("bits")))).alias("expected"))
        .sort("bits")
    )


if __name__ == "__main__":
    main()
