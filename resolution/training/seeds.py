"""The cold start: seed labels from strong evidence, with no human in the loop.

Two contacts that share a (non-hub) phone, e-mail, handle or configured identifier *and* carry
compatible names are a match; people who share a surname or a given name (but not the other)
and whose strong identifiers conflict are distinct; two contacts with nothing in common but a
given name ("Ольга" and "Ольга") are distinct, since a common first name alone is not a person;
random pairs of named contacts are distinct. Labelled pairs from a file (or, later, from
operators) outrank the seeds (``resolution.training.labels.combine``).

Two further rules are only *hypotheses*, labelled ``unsure``: a shared identifier with clearly
different names (a family phone, an office mailbox, or one person whose name was typed badly,
swapped, or replaced by a nickname such as "хозяйка") and namesakes with conflicting identifiers
(two people, or one person with a second phone or mailbox). Measured against the truth of three
data sets, 77–100 % of the first and 20–52 % of the second were in fact the same person, so
labelling them distinct taught the model the wrong lesson. The model decides them instead
(self-training in ``resolution.training.fit.self_label``) from the fields the rules do not look
at.
"""

from __future__ import annotations

import logging

import duckdb
import numpy as np
import polars as pl

from resolution.matching.fields import FieldSpec
from resolution.training.labels import UNSURE

log = logging.getLogger("edin")

# Name similarity (Jaro-Winkler on the transliteration-independent name key, in written and in
# sorted token order) from which a shared identifier makes a match seed, and below which names
# are "clearly different" (a family phone, an office mailbox). Pairs in between are not seeds:
# the match seeds must show the name variation real duplicates have, or the model learns that
# only near-identical names match.
COMPATIBLE_NAME = 0.8
DIFFERENT_NAME = 0.6
# Two identifier values this similar may be one value with a typo: not a conflict.
TYPO_SIMILARITY = 0.8


def _name_similarity(left: str, right: str) -> str:
    """SQL: how alike the full names of two ``names`` rows are (written or sorted order), and
    their given names."""
    return (
        f"greatest(jaro_winkler_similarity({left}.name_key, {right}.name_key), "
        f"jaro_winkler_similarity({left}.sorted_key, {right}.sorted_key)) AS name_sim, "
        f"jaro_winkler_similarity({left}.given_key, {right}.given_key) AS given_sim"
    )


# Identifiers of the same kind on both sides of each row of ``pairs`` (l, r), the best match
# among them. Pair by pair: joining values on kind first explodes.
_COMPARED_IDENTIFIERS = """
left_values AS MATERIALIZED (
    SELECT p.l, p.r, vl.kind, vl.value FROM pairs p
    JOIN identifier_values vl ON vl.record_id = p.l
),
compared AS (
    SELECT lv.l, lv.r, max(jaro_winkler_similarity(lv.value, vr.value)) AS best
    FROM left_values lv
    JOIN identifier_values vr ON vr.record_id = lv.r AND vr.kind = lv.kind
    GROUP BY lv.l, lv.r
)"""

# Pairs sharing an identifier value, labelled by how alike their names are: a match seed, a
# hypothesis ('unsure'), or nothing (NULL: names neither alike nor clearly different).
_SHARED_IDENTIFIER_SQL = f"""
WITH shared AS (
    SELECT DISTINCT a.record_id AS l, b.record_id AS r
    FROM identifier_values a JOIN identifier_values b
      ON a.kind = b.kind AND a.value = b.value AND a.record_id < b.record_id
),
named AS (
    SELECT s.l, s.r, {_name_similarity("nl", "nr")}
    FROM shared s
    JOIN names nl ON nl.record_id = s.l
    JOIN names nr ON nr.record_id = s.r
    WHERE nl.name_key IS NOT NULL AND nr.name_key IS NOT NULL
)
SELECT l, r,
       CASE -- two given names that differ are never a match seed, however alike the full
            -- names look (Jaro-Winkler favours the shared surname of "Иван"/"Ольга Иванова")
            WHEN given_sim < $different THEN 'unsure'
            WHEN given_sim < $compatible THEN NULL
            WHEN name_sim >= $compatible OR given_sim = 1 THEN 'match'
            WHEN name_sim < $different THEN 'unsure'
       END AS label,
       'shared identifier' AS reason
FROM named
"""


def _sharers_sql(key: str, *, full_names_only: bool = False, other_part: str | None = None) -> str:
    """SQL: a deterministic sample of pairs sharing ``key`` (a name key column; groups of at
    most 200, so not the commonest), ``other_part`` (a name key column) clearly different if
    given, whose identifiers of one kind conflict: none equal or a likely typo of another.
    Labelled ``$label`` for ``$reason``."""
    where = "AND strpos(name_key, ' ') > 0" if full_names_only else ""
    pair_filter = (
        f"AND jaro_winkler_similarity(a.{other_part}, b.{other_part}) < $different"
        if other_part
        else ""
    )
    return f"""
WITH sized AS (
    SELECT record_id, given_key, surname_key, {key} AS k,
           count(*) OVER (PARTITION BY {key}) AS n
    FROM names WHERE {key} IS NOT NULL {where}
),
pairs AS (
    SELECT a.record_id AS l, b.record_id AS r
    FROM sized a JOIN sized b ON a.k = b.k AND a.record_id < b.record_id
    WHERE a.n <= 200 {pair_filter}
    ORDER BY hash(a.record_id, b.record_id, $seed)
    LIMIT $sample
),{_COMPARED_IDENTIFIERS}
SELECT l, r, $label AS label, $reason AS reason FROM compared WHERE best < $typo
"""


# Namesakes (same full name), and people sharing a surname or a given name but not the other,
# whose strong identifiers conflict: distinct people, and the hard negatives the model needs
# to learn that one shared name part is not enough. Namesakes are only a hypothesis (see the
# module docstring). (SQL, label, reason)
_SHARERS = (
    (
        _sharers_sql("name_key", full_names_only=True),
        UNSURE,
        "namesakes with conflicting identifiers",
    ),
    (
        _sharers_sql("surname_key", other_part="given_key"),
        "distinct",
        "same surname, other given name, conflicting identifiers",
    ),
    (
        _sharers_sql("given_key", other_part="surname_key"),
        "distinct",
        "same given name, other surname, conflicting identifiers",
    ),
)

# "Ольга" and "Ольга" with nothing else in common: a common first name is not a person.
_GIVEN_NAME_ONLY_SQL = """
WITH sized AS (
    SELECT record_id, given_key, surname_key, count(*) OVER (PARTITION BY given_key) AS n
    FROM names WHERE given_key IS NOT NULL
),
pairs AS (
    SELECT a.record_id AS l, b.record_id AS r
    FROM sized a JOIN sized b ON a.given_key = b.given_key AND a.record_id < b.record_id
    WHERE a.n <= 200 AND (a.surname_key IS NULL OR b.surname_key IS NULL)
    ORDER BY hash(a.record_id, b.record_id, $seed)
    LIMIT $sample
)
SELECT p.l, p.r, 'distinct' AS label, 'only a given name in common' AS reason
FROM pairs p
WHERE NOT EXISTS (
    SELECT 1 FROM identifier_values vl JOIN identifier_values vr
      ON vl.kind = vr.kind AND vl.value = vr.value
    WHERE vl.record_id = p.l AND vr.record_id = p.r)
"""

# Blocked pairs (table ``pairs``) whose identifiers conflict and whose names are not compatible.
_NEIGHBOUR_SQL = f"""
WITH {_COMPARED_IDENTIFIERS.strip()},
named AS (
    SELECT c.l, c.r, c.best, {_name_similarity("nl", "nr")}
    FROM compared c
    JOIN names nl ON nl.record_id = c.l
    JOIN names nr ON nr.record_id = c.r
)
SELECT l, r, 'distinct' AS label, 'blocked together, conflicting identifiers and names' AS reason
FROM named
WHERE best < $typo AND name_sim < $compatible AND coalesce(given_sim, 0) < 1
ORDER BY hash(l, r, $seed)
LIMIT $limit
"""


def identifier_values(contacts: pl.DataFrame, specs: tuple[FieldSpec, ...]) -> pl.DataFrame:
    """Long table (record_id, kind, value) of the strong identifiers left after the hub guard.

    A handle's kind is its platform (``handles:vk``): a VK page and an Instagram account of one
    person are two values of different kinds, not a conflict.
    """
    frames = []
    for spec in specs:
        if not spec.identifier:
            continue
        df = contacts.select("record_id", pl.col(spec.name).alias("value"))
        if isinstance(df.schema["value"], pl.List):
            df = df.explode("value")
        kind = pl.lit(spec.name)
        if spec.name == "handles":
            kind = pl.lit("handles:") + pl.col("value").str.split(":").list.first()
        frames.append(df.drop_nulls("value").with_columns(kind.alias("kind")))
    if not frames:
        return pl.DataFrame(schema={"record_id": pl.Int64, "value": pl.String, "kind": pl.String})
    return pl.concat(frames).select("record_id", "kind", "value")


def seed_labels(
    contacts: pl.DataFrame, specs: tuple[FieldSpec, ...], *, max_pairs: int, seed: int
) -> pl.DataFrame:
    """Seed-labelled pairs (l, r, label, reason) by the cold-start rules, capped per category."""
    con = duckdb.connect()
    con.register("identifier_values", identifier_values(contacts, specs))
    con.register("names", _names(contacts))
    params = {"compatible": COMPATIBLE_NAME, "different": DIFFERENT_NAME}
    shared = con.sql(_SHARED_IDENTIFIER_SQL, params=params).pl().drop_nulls("label")
    sample = {"typo": TYPO_SIMILARITY, "seed": seed, "sample": max_pairs * 4}
    namesakes = pl.concat(
        [
            *(
                con.sql(
                    sql,
                    params=sample
                    | {"label": label, "reason": reason}
                    | ({"different": DIFFERENT_NAME} if "$different" in sql else {}),
                ).pl()
                for sql, label, reason in _SHARERS
            ),
            con.sql(_GIVEN_NAME_ONLY_SQL, params={"seed": seed, "sample": max_pairs * 4}).pl(),
        ]
    )
    con.close()
    rng = np.random.default_rng(seed)
    # Random pairs are drawn among named contacts: every other seed rule needs a name on both
    # sides, so pairs drawn from all contacts made "both have a name" look like evidence of a
    # match (on the generated helpdesk data it got the largest weight of the model).
    ids = contacts.filter(pl.col("name_key").is_not_null())["record_id"].to_numpy()
    n = len(ids)
    randoms = pl.DataFrame(schema={"l": pl.Int64, "r": pl.Int64})
    if n > 1:
        a = rng.integers(0, n, size=max_pairs * 2)
        b = rng.integers(0, n, size=max_pairs * 2)
        randoms = pl.DataFrame({"l": ids[np.minimum(a, b)], "r": ids[np.maximum(a, b)]}).filter(
            pl.col("l") != pl.col("r")
        )
    randoms = randoms.with_columns(
        pl.lit("distinct").alias("label"), pl.lit("random pair").alias("reason")
    )
    matched = set(
        zip(
            *shared.filter(pl.col("label") == "match")
            .select("l", "r")
            .to_dict(as_series=False)
            .values(),
            strict=True,
        )
    )
    # A random pair is distinct unless the seeds know it as a match (rare but possible).
    randoms = randoms.filter(
        ~pl.struct("l", "r").map_elements(
            lambda s: (s["l"], s["r"]) in matched, return_dtype=pl.Boolean
        )
    )
    parts = []
    # unique() must keep the row order and the categories must be sampled in a fixed order:
    # each category draws from the same generator, so an order that varied from run to run
    # (polars' unique() does not maintain order by default) changed every later sample.
    every = pl.concat(
        [
            shared.cast({"l": pl.Int64, "r": pl.Int64}),
            namesakes.cast({"l": pl.Int64, "r": pl.Int64}),
            randoms,
        ]
    ).unique(["l", "r"], keep="first", maintain_order=True)
    for (reason, label), group in sorted(
        every.group_by(["reason", "label"]), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))
    ):
        group = group.sort("l", "r")
        if group.height > max_pairs:
            pick = np.sort(rng.choice(group.height, size=max_pairs, replace=False))
            group = group[pick]
        parts.append(group)
        log.info("seed labels: %d %s (%s)", group.height, label, reason)
    return (
        pl.concat(parts).sort("label", "l", "r")
        if parts
        else pl.DataFrame(
            schema={"l": pl.Int64, "r": pl.Int64, "label": pl.String, "reason": pl.String}
        )
    )


def conflicting_neighbours(
    contacts: pl.DataFrame,
    specs: tuple[FieldSpec, ...],
    pairs: pl.DataFrame,
    *,
    max_pairs: int,
    seed: int,
) -> pl.DataFrame:
    """Distinct labels (l, r, label, reason) for blocked pairs whose identifiers and names conflict.

    The random pairs and name sharers among the seeds differ on almost everything, or on names
    only; the pairs the model must actually judge are blocking neighbours, which agree on some
    field by construction. A logistic model never shown them extrapolates across that region,
    and on FEBRL3 gave 0.9999 to strangers who merely shared a state and a postcode prefix.
    Blocking neighbours that hold identifiers of one kind, none equal or a likely typo of
    another, and names that are not compatible are distinct people: measured on the candidate
    pairs of FEBRL3 and fake_20000, at most 1 in 10,000 of them was a true match.
    ``pairs`` has columns l < r; at most ``max_pairs`` are returned, a seeded sample.
    """
    empty = pl.DataFrame(
        schema={"l": pl.Int64, "r": pl.Int64, "label": pl.String, "reason": pl.String}
    )
    if pairs.height == 0:
        return empty
    con = duckdb.connect()
    con.register("pairs", pairs.select(pl.col("l").cast(pl.Int64), pl.col("r").cast(pl.Int64)))
    con.register("identifier_values", identifier_values(contacts, specs))
    con.register("names", _names(contacts))
    out = con.sql(
        _NEIGHBOUR_SQL,
        params={
            "typo": TYPO_SIMILARITY,
            "compatible": COMPATIBLE_NAME,
            "seed": seed,
            "limit": max_pairs,
        },
    ).pl()
    con.close()
    return out.sort("l", "r") if out.height else empty


def _names(contacts: pl.DataFrame) -> pl.DataFrame:
    """Name keys per record, with the full name's tokens also in sorted order."""
    return contacts.select(
        "record_id",
        "name_key",
        "given_key",
        "surname_key",
        pl.col("name_key").str.split(" ").list.sort().list.join(" ").alias("sorted_key"),
    )
