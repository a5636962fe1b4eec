"""Score a resolution run against a labelled truth: pairwise and B-cubed precision / recall / F1.

``truth`` assigns every labelled contact ``(source, source_id)`` to a true ``entity_id``;
``members`` (the published ``members`` table) assigns contacts to a predicted ``profile_id``.
Keys are compared as strings, so an integer ``source_id`` in one table matches the same digits
in the other.

Only truth contacts are scored:

* a truth contact absent from ``members`` is *missing*: it counts as its own predicted singleton
  cluster (so it costs recall wherever its true entity has other contacts) and is reported;
* a ``members`` row absent from truth is *unexpected*: it is ignored in the scores and reported.

Every figure comes from counting, never from enumerating pairs: group sizes ``a_i`` of the true
entities, ``b_j`` of the predicted clusters and the cells ``n_ij`` of the truth x predicted
contingency table (contacts of entity ``i`` put in cluster ``j``)::

    true_pairs      = sum_i C(a_i, 2)
    predicted_pairs = sum_j C(b_j, 2)
    correct_pairs   = sum_ij C(n_ij, 2)
    bcubed_precision = 1/N * sum_ij n_ij^2 / b_j     (mean over contacts of |P ∩ T| / |P|)
    bcubed_recall    = 1/N * sum_ij n_ij^2 / a_i     (mean over contacts of |P ∩ T| / |T|)

Convention for empty ratios: a ratio ``0 / 0`` is 1.0 (nothing was claimed, so nothing was wrong;
or nothing was to be found, so nothing was missed). It only arises with a zero denominator, since
the numerator never exceeds it. So predicting all singletons gives pairwise precision 1.0 and
recall 0.0; a truth without any true pair gives pairwise recall 1.0. F1 is 0.0 when precision
and recall are both 0. An empty truth is an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from resolution.errors import InputError

KEY = ("source", "source_id")
TRUTH_COLUMNS = (*KEY, "entity_id")
MEMBERS_COLUMNS = (*KEY, "profile_id")


@dataclass(frozen=True)
class Scores:
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    contacts: int  # contacts in truth
    missing: int  # truth contacts absent from members (each scored as a predicted singleton)
    unexpected: int  # members rows absent from truth (ignored in the scores, reported)
    true_entities: int
    predicted_clusters: int  # predicted clusters among truth contacts, missing singletons included

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _ratio(num: float, den: float) -> float:
    """``num / den`` with ``0 / 0 = 1.0`` (see the module docstring)."""
    if den == 0:
        return 1.0 if num == 0 else float("nan")  # num > 0 with den 0 cannot happen here
    return num / den


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 0.0 if total == 0 else 2 * precision * recall / total


def _keys(df: pl.DataFrame, columns: tuple[str, ...], table: str) -> pl.DataFrame:
    """Key columns as strings; a null ``source`` becomes ""; other nulls and duplicates raise."""
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise InputError(f"{table} lacks column(s) {absent}; expected {list(columns)}")
    out = df.select([pl.col(c).cast(pl.String) for c in columns]).with_columns(
        pl.col("source").fill_null("")
    )
    for column in columns[1:]:
        nulls = out.get_column(column).null_count()
        if nulls:
            raise InputError(f"{table} has {nulls} row(s) with an empty `{column}`")
    duplicates = out.height - out.select(KEY).n_unique()
    if duplicates:
        raise InputError(
            f"{table} has {duplicates} duplicate (source, source_id) row(s); "
            "each contact must appear once"
        )
    return out


def evaluate(truth: pl.DataFrame, members: pl.DataFrame) -> Scores:
    """Compare predicted ``members`` (source, source_id, profile_id) with ``truth``
    (source, source_id, entity_id). See the module docstring for definitions and conventions."""
    t = _keys(truth, TRUTH_COLUMNS, "truth")
    m = _keys(members, MEMBERS_COLUMNS, "members")
    if t.height == 0:
        raise InputError("truth is empty: nothing to score")

    unexpected = m.join(t, on=KEY, how="anti").height
    scored = (
        t.join(m, on=KEY, how="left")
        .with_row_index("_row")
        .with_columns(
            _missing=pl.col("profile_id").is_null(),
            # a missing contact is its own cluster: key it by its row, flagged apart from ids
            _pred=pl.coalesce(pl.col("profile_id"), pl.col("_row").cast(pl.String)),
        )
    )
    missing = int(scored.get_column("_missing").sum())

    def pairs(col: str) -> pl.Expr:
        return (pl.col(col) * (pl.col(col) - 1) // 2).sum()

    entities = scored.group_by("entity_id").agg(a=pl.len().cast(pl.Int64))
    clusters = scored.group_by("_missing", "_pred").agg(b=pl.len().cast(pl.Int64))
    cells = (
        scored.group_by("entity_id", "_missing", "_pred")
        .agg(n=pl.len().cast(pl.Int64))
        .join(entities, on="entity_id")
        .join(clusters, on=["_missing", "_pred"])
    )
    sums = cells.select(
        correct=pairs("n"),
        bp=(pl.col("n").cast(pl.Float64) ** 2 / pl.col("b")).sum(),
        br=(pl.col("n").cast(pl.Float64) ** 2 / pl.col("a")).sum(),
    ).row(0, named=True)
    correct = int(sums["correct"])
    bp, br = float(sums["bp"]), float(sums["br"])
    true_pairs = int(entities.select(pairs("a")).item())
    predicted_pairs = int(clusters.select(pairs("b")).item())

    n = t.height
    pp = _ratio(correct, predicted_pairs)
    pr = _ratio(correct, true_pairs)
    bcp, bcr = bp / n, br / n
    return Scores(
        pairwise_precision=pp,
        pairwise_recall=pr,
        pairwise_f1=_f1(pp, pr),
        bcubed_precision=bcp,
        bcubed_recall=bcr,
        bcubed_f1=_f1(bcp, bcr),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
        contacts=n,
        missing=missing,
        unexpected=unexpected,
        true_entities=entities.height,
        predicted_clusters=clusters.height,
    )


def format_scores(s: Scores) -> str:
    """A small aligned table for the terminal."""
    lines = [f"{'':<10}{'precision':>10}{'recall':>10}{'f1':>10}"]
    for label, p, r, f in (
        ("pairwise", s.pairwise_precision, s.pairwise_recall, s.pairwise_f1),
        ("b-cubed", s.bcubed_precision, s.bcubed_recall, s.bcubed_f1),
    ):
        lines.append(f"{label:<10}{p:>10.4f}{r:>10.4f}{f:>10.4f}")
    lines.append("")
    counts = (
        ("true pairs", s.true_pairs),
        ("predicted pairs", s.predicted_pairs),
        ("correct pairs", s.correct_pairs),
        ("contacts", s.contacts),
        ("true entities", s.true_entities),
        ("predicted clusters", s.predicted_clusters),
        ("missing", s.missing),
        ("unexpected", s.unexpected),
    )
    lines += [f"{label:<20}{value:>20,}" for label, value in counts]
    return "\n".join(lines)
