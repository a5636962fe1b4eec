"""Pairs of contacts: the columns of a pair's two sides end in ``_l`` and ``_r``.

A pair table names its sides either by record id (``record_id_l``, ``record_id_r``: inside a
run) or by contact key (``source_l``, ``source_id_l``, ``source_r``, ``source_id_r``: across
runs, in files and snapshots). ``join_sides`` joins a per-contact table onto both sides; the
helpers below are its common uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl

SIDES = ("l", "r")
KEY = ("source", "source_id")
PAIR_KEY = ("source_l", "source_id_l", "source_r", "source_id_r")
JoinHow = Literal["inner", "left"]


def join_sides(
    pairs: pl.DataFrame,
    table: pl.DataFrame,
    *,
    on: Sequence[str],
    add: Sequence[str],
    how: JoinHow = "inner",
    names: tuple[Sequence[str], Sequence[str]] | None = None,
) -> pl.DataFrame:
    """``pairs`` with the ``add`` columns of ``table`` joined onto each side.

    A side's join columns in ``pairs`` are ``{c}_l`` / ``{c}_r`` for ``c`` in ``on``; the
    added columns are named the same way, or by ``names`` (one sequence per side).
    """
    for i, side in enumerate(SIDES):
        added = names[i] if names is not None else [f"{c}_{side}" for c in add]
        rename = {c: f"{c}_{side}" for c in on} | dict(zip(add, added, strict=True))
        pairs = pairs.join(
            table.select(*on, *add).rename(rename), on=[f"{c}_{side}" for c in on], how=how
        )
    return pairs


def keys_to_ids(
    pairs: pl.DataFrame,
    contacts: pl.DataFrame,
    how: JoinHow = "inner",
    names: tuple[str, str] = ("a", "b"),
) -> pl.DataFrame:
    """Pairs by contact key, with each side's ``record_id`` (as ``names``) from ``contacts``."""
    return join_sides(
        pairs, contacts, on=KEY, add=("record_id",), how=how, names=((names[0],), (names[1],))
    )


def ids_to_keys(pairs: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """Pairs by record id, with each side's contact key from ``contacts``."""
    return join_sides(pairs, contacts, on=("record_id",), add=KEY)


def ordered_ids(a: str = "a", b: str = "b") -> list[pl.Expr]:
    """``record_id_l`` < ``record_id_r`` from two record-id columns in either order."""
    return [
        pl.min_horizontal(a, b).alias("record_id_l"),
        pl.max_horizontal(a, b).alias("record_id_r"),
    ]
