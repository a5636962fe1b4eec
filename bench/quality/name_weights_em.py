"""The name-only guard's weights as EM estimated them on a home, against its truth.

    python bench/quality/name_weights_em.py HOME TRUTH [--config edin.toml]

``resolution.training.name_weights`` estimates the guard's weights with no truth, by EM over
the pairs sharing a full name that nothing else links. This runs the same estimator on the
home's ``normalized_contacts`` (its warehouse, opened read-only) and prints, per comparison and
level: ``u`` (random pairs of full-name bearers) and ``u`` of the true non-matches, ``m`` of EM
and ``m`` of the true matches, and the bits both give (the guard's form); then how often a
pair of a name borne by ``n`` contacts was one person (``n`` times its odds: ``name_odds`` when
flat), and, for comparison, the context of the pairs that share an identifier (the population
the old constants were measured on).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from resolution import default_config  # noqa: E402
from resolution.config import load_config  # noqa: E402
from resolution.matching.comparison import RecordColumns  # noqa: E402
from resolution.matching.fields import (  # noqa: E402
    NAME_COUNT,
    FrameRecords,
    field_specs,
    record_frame,
)
from resolution.matching.guard import _linked  # noqa: E402
from resolution.training import name_weights as nw  # noqa: E402


def _bits(m: np.ndarray, u: np.ndarray, reference: int) -> np.ndarray:
    bits = np.log2(m / u)
    return bits - (bits[reference] if reference >= 0 else 0.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("home", type=Path)
    p.add_argument("truth", type=Path)
    p.add_argument("--config", type=Path)
    args = p.parse_args()
    config = load_config(args.config) if args.config else default_config()
    con = duckdb.connect(str(args.home / "warehouse.duckdb"), read_only=True)
    contacts = con.sql("SELECT * FROM normalized_contacts").pl()
    con.close()
    specs = field_specs(config)
    frame = record_frame(contacts, specs)
    truth = pl.read_csv(args.truth, infer_schema=False)
    keyed = contacts.select("record_id", "source", "source_id").join(
        truth, on=["source", "source_id"], how="left"
    )
    entity = dict(zip(keyed["record_id"].to_list(), keyed["entity_id"].to_list(), strict=True))
    recs = FrameRecords(frame, specs)
    names = {s.name for s in specs}
    left, right, n = nw._name_pairs(recs, 0)
    columns = RecordColumns(recs, [*names, NAME_COUNT])
    free = ~_linked(columns.pairs(left, right), specs)
    same_all = np.array([entity[a] == entity[b] for a, b in zip(left, right, strict=True)])
    print(
        f"{len(n)} pairs share a full name of at most {nw.MAX_BEARERS} bearers; "
        f"{(~free).sum()} also share an identifier ({same_all[~free].mean():.3f} one person), "
        f"{free.sum()} nothing else ({same_all[free].mean():.3f} one person)"
    )
    linked_levels = nw._levels(columns.pairs(left[~free], right[~free]), names)
    left, right, n, same = left[free], right[free], n[free], same_all[free]
    comparisons = nw._levels(columns.pairs(left, right), names)
    rng = np.random.default_rng(0)
    ids = nw._full_named(recs)
    a, b = rng.integers(0, len(ids), nw.RANDOM_PAIRS), rng.integers(0, len(ids), nw.RANDOM_PAIRS)
    keep = a != b
    random = nw._levels(columns.pairs(ids[a[keep]], ids[b[keep]]), names)
    u = {c.name: nw._shares(c.levels, c.count) for c in random}
    odds, m, post, iterations = nw.fit(n, comparisons, u)
    print(f"EM: {iterations} iterations, {post.sum():.0f} expected one person (truth {same.sum()})")
    for c, lc in zip(comparisons, linked_levels, strict=True):
        true_m = nw._shares(c.levels[same], c.count)
        true_u = nw._shares(c.levels[~same], c.count)
        linked_m = nw._shares(lc.levels, lc.count)
        print(f"{c.name}")
        print(f"  u random   {np.round(u[c.name], 3)}   u truth {np.round(true_u, 3)}")
        print(f"  m EM       {np.round(m[c.name], 3)}   m truth {np.round(true_m, 3)}")
        print(f"  bits EM    {np.round(_bits(m[c.name], u[c.name], c.reference), 2)}")
        print(f"  bits truth {np.round(_bits(true_m, u[c.name], c.reference), 2)}")
        linked_bits = np.round(_bits(linked_m, u[c.name], c.reference), 2)
        print(f"  bits of the identifier-sharing pairs {linked_bits}")
    by_n = (
        pl.DataFrame({"n": n, "same": same})
        .group_by(pl.col("n").clip(0, 12))
        .agg(pl.len().alias("pairs"), pl.col("same").mean().alias("one_person"))
        .with_columns(
            (pl.col("n") * pl.col("one_person") / (1 - pl.col("one_person"))).alias("n_x_odds")
        )
        .sort("n")
    )
    pl.Config.set_tbl_rows(20)
    print(by_n)
    got = nw.estimate_name_weights(frame, specs)
    print("the weights the home's model would keep:", got.to_json())


if __name__ == "__main__":
    main()
