"""Prototype (issue 11): a Fellegi–Sunter model fitted by EM over a home's blocked pairs, for a
home WITH identifiers, against the product's classifier + name-only guard.

    python bench/quality/fs_homes.py HOME TRUTH [--random 1000000] [--seed 0]

HOME is an ``edin run`` home (its warehouse is copied and read, never written), TRUTH a csv of
source, source_id, entity_id (read only to score the clusterings, never to fit or pick).

The pairs: every pair sharing a block of the home's trained fingerprinter (``block_keys``,
blocks of at most ``max_block_size`` records): the candidates the product scores *and* the
pairs its name-only guard holds (only a name in common). Per pair, one level per comparison:

* name: different / full names alike (Jaro–Winkler ≥ 0.92) / given name equal and a surname
  missing / given equal, surnames differ / surname equal and a given name missing / surname
  equal, given names differ / given name and surname equal (one person's full name);
* city (equal / other), created at (≤ 1 day, ≤ 30 days, ≤ 1 year, more apart), source (the
  same channel / another);
* phones, e-mails, handles, nicknames with e-mail local parts: a value shared / none shared.

``u`` per level from random pairs of contacts; an equal value's ``u`` its own frequency over
the home (term-frequency adjustment, Splink's); ``m`` by EM, with no labels, Splink's way: one
session over the blocked pairs sharing an identifier (it estimates the name, city, created-at
and source levels: where the identifiers speak, not the names) and one over those sharing a
given name and surname (it estimates the others); the prior from the name session's matches
over the share of all matches its rule catches. (One EM over all blocked pairs, tried first,
took "shares a name part", what the blocks are made of, for "one person": prior 0.95.)
Variants, each clustered by the product's own
public functions (``cluster_records`` with the strong identifier links, then
``attach_by_name_and_city``) at the home's threshold (no threshold picked with the truth):

* product: the published members, as they are;
* replay: the product's scored pairs clustered again here (checks the replay);
* fs: the Fellegi–Sunter posterior of every blocked pair alone;
* fs-held: the product's scores, plus the FS posterior of the pairs the guard holds;
* fs-silent: the classifier where the pair shares a phone, e-mail or handle, FS elsewhere;
* clf-unguarded / clf-held: the classifier's own score (``score_pairs``' log-odds before the
  guard) on every blocked pair / on the held ones only;
* clf+fs-names (silent): where no identifier is shared, the classifier's log-odds plus FS's
  name, city, created-at and source weights;
* mean(clf,fs) (silent): where no identifier is shared, the mean of the two log-odds.

Then, with the truth (diagnostics only): the blocked pairs by kind and name level, how many
are one person and how many each model keeps; the held pairs ranked by each model's log-odds
(how many of the top k are one person: no threshold could do better); the held pairs sharing
a given name and surname by how many contacts bear it and their cities.

Prints counts and scores only, never a contact's value.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from resolution import default_config, evaluate  # noqa: E402
from resolution.linking import (  # noqa: E402
    attach_by_name_and_city,
    cluster_records,
    identifier_links,
)
from resolution.matching import (  # noqa: E402
    MatchModel,
    NameWeights,
    field_specs,
    identifier_columns,
    score_pairs,
)

NAME_LEVELS = (
    "different",
    "alike",
    "given eq, surname missing",
    "given eq, surname differs",
    "surname eq, given missing",
    "surname eq, given differs",
    "full name eq",
)
# the name level whose equal value carries the term-frequency u: (level, column)
NAME_TF = {2: "given_key", 3: "given_key", 4: "surname_key", 5: "surname_key", 6: "name_key"}
SETS = ("phones", "emails", "handles", "nick")
COMPARISONS = {
    "name": NAME_LEVELS,
    "city": ("other", "equal"),
    "created": ("> 1 year", "<= 1 year", "<= 30 days", "<= 1 day"),
    "source": ("same", "other"),
    **{s: ("none shared", "shared") for s in SETS},
}
IDENTIFIERS = ("phones", "emails", "handles")
FLOOR = 1e-6
EM_ITERATIONS = 200

_CONTACTS = """
CREATE TEMP TABLE c AS
SELECT record_id, source, source_id, name_key,
       CASE WHEN name_key LIKE '% %' THEN given_key END AS given_key, surname_key,
       -- a one-word name is a given name (or a surname the normalizer kept as the name)
       coalesce(given_key, CASE WHEN name_key NOT LIKE '% %' THEN name_key END) AS given1,
       city_key, epoch(created_at) / 86400.0 AS day,
       nullif(phones, []) AS phones, nullif(emails, []) AS emails,
       nullif(handles, []) AS handles,
       nullif(list_distinct(list_concat(coalesce(nicknames, []),
              CASE WHEN email_local IS NULL THEN [] ELSE [email_local] END)), []) AS nick
FROM w.normalized_contacts
"""

_LEVELS = """
SELECT p.l, p.r,
  CASE
    WHEN a.name_key IS NULL OR b.name_key IS NULL THEN -1
    WHEN a.given1 = b.given1 AND a.surname_key = b.surname_key THEN 6
    WHEN a.name_key = b.name_key AND a.name_key LIKE '% %' THEN 6
    WHEN a.surname_key = b.surname_key AND (a.given1 IS NULL OR b.given1 IS NULL) THEN 4
    WHEN a.surname_key = b.surname_key THEN 5
    WHEN a.given1 = b.given1 AND (a.surname_key IS NULL OR b.surname_key IS NULL) THEN 2
    WHEN a.given1 = b.given1 THEN 3
    WHEN jaro_winkler_similarity(a.name_key, b.name_key) >= 0.92 THEN 1
    ELSE 0 END::TINYINT AS name,
  CASE WHEN a.city_key IS NULL OR b.city_key IS NULL THEN -1
       WHEN a.city_key = b.city_key THEN 1 ELSE 0 END::TINYINT AS city,
  CASE WHEN a.day IS NULL OR b.day IS NULL THEN -1
       WHEN abs(a.day - b.day) <= 1 THEN 3 WHEN abs(a.day - b.day) <= 30 THEN 2
       WHEN abs(a.day - b.day) <= 365 THEN 1 ELSE 0 END::TINYINT AS created,
  CASE WHEN a.source = b.source THEN 0 ELSE 1 END::TINYINT AS source,
  {sets},
  -- the value an equal level shares (for its term frequency)
  CASE WHEN a.given1 = b.given1 AND a.surname_key = b.surname_key
         THEN a.given1 || ' ' || a.surname_key
       WHEN a.name_key = b.name_key THEN a.name_key
       WHEN a.surname_key = b.surname_key THEN a.surname_key
       WHEN a.given1 = b.given1 THEN a.given1 END AS name_value,
  a.city_key AS city_value
FROM {pairs} p JOIN c a ON a.record_id = p.l JOIN c b ON b.record_id = p.r
ORDER BY p.l, p.r
"""


def _sets_sql() -> str:
    return ",\n  ".join(
        f"CASE WHEN a.{s} IS NULL OR b.{s} IS NULL THEN -1 "
        f"WHEN list_has_any(a.{s}, b.{s}) THEN 1 ELSE 0 END::TINYINT AS {s}"
        for s in SETS
    )


def _levels(con: duckdb.DuckDBPyConnection, pairs: str) -> pl.DataFrame:
    return con.sql(_LEVELS.format(sets=_sets_sql(), pairs=pairs)).pl()


def _frequencies(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, float]]:
    """Per equal-value kind, each value's share of the contacts holding such a value."""
    out: dict[str, dict[str, float]] = {}
    queries = {
        "name": "SELECT given1 || ' ' || surname_key AS v FROM c WHERE given1 IS NOT NULL "
        "AND surname_key IS NOT NULL",
        "surname": "SELECT surname_key AS v FROM c",
        "given": "SELECT given1 AS v FROM c",
        "city": "SELECT city_key AS v FROM c",
    }
    for kind, q in queries.items():
        df = con.sql(f"SELECT v, count(*) AS n FROM ({q}) WHERE v IS NOT NULL GROUP BY v").pl()
        total = float(df["n"].sum())
        out[kind] = dict(zip(df["v"].to_list(), (df["n"] / total).to_list(), strict=True))
    return out


def _em(
    levels: pl.DataFrame, names: list[str], u: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """EM over ``levels`` (pairs × comparisons) for the comparisons ``names``, u held fixed:
    (m per comparison, the distinct level patterns' posteriors, their pair counts)."""
    patterns = levels.group_by(names).len()
    lv = {n: patterns[n].to_numpy().astype(np.int64) for n in names}
    weight = patterns["len"].to_numpy().astype(float)
    m = {}
    for name in names:
        k = len(COMPARISONS[name])
        m[name] = np.linspace(0.1, 1.0, k) ** 2  # one person's records mostly agree
        m[name] /= m[name].sum()
    prior = 0.5
    post = np.zeros(len(weight))
    for _ in range(EM_ITERATIONS):
        logit = np.full(len(weight), np.log(prior / (1 - prior)))
        for n in names:
            present = lv[n] >= 0
            idx = np.where(present, lv[n], 0)
            logit += np.where(present, np.log(np.maximum(m[n][idx], FLOOR) / u[n][idx]), 0.0)
        post = 1 / (1 + np.exp(-logit))
        new_prior = float(np.clip((post * weight).sum() / weight.sum(), 1e-6, 1 - 1e-6))
        moved = abs(new_prior - prior)
        prior = new_prior
        for n in names:
            present = lv[n] >= 0
            counts = np.bincount(
                lv[n][present], weights=(post * weight)[present], minlength=len(COMPARISONS[n])
            )
            counts += 1.0  # one pseudo-match per level: a level unseen is not impossible
            new = counts / counts.sum()
            moved = max(moved, float(np.abs(new - m[n]).max()))
            m[n] = new
        if moved < 1e-7:
            break
    return m, post, weight


# Splink's training: each EM session's pairs are those a rule blocks; the comparisons the rule
# holds equal are not estimated by it (it cannot tell how often matches agree on them).
SESSIONS = {
    "a phone, e-mail, handle or nickname shared": (
        pl.any_horizontal([pl.col(s) == 1 for s in SETS]),
        ["name", "city", "created", "source"],
    ),
    "given name and surname equal": (
        pl.col("name") == 6,
        ["city", "created", "source", *SETS],
    ),
}


def fit(
    blocked: pl.DataFrame, random: pl.DataFrame, n_records: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float]:
    """u per comparison and level from random pairs; m per session (Splink's way: EM over the
    blocked pairs of a rule, u fixed, the rule's own comparisons left out), a comparison's m the
    mean over the sessions that estimated it; the prior (two random records one person) from
    the name session: its matches over the share of all matches its rule catches (m of the
    full-name level times how often both sides have a name, as in random pairs)."""
    u = {}
    for name, levels in COMPARISONS.items():
        col = random[name].to_numpy()
        col = col[col >= 0]
        counts = np.bincount(col, minlength=len(levels)).astype(float) + 1.0
        u[name] = counts / counts.sum()
    estimates: dict[str, list[np.ndarray]] = {n: [] for n in COMPARISONS}
    matches = {}
    for session, (rule, names) in SESSIONS.items():
        m_s, post, weight = _em(blocked.filter(rule), names, u)
        matches[session] = float((post * weight).sum())
        for n in names:
            estimates[n].append(m_s[n])
        print(f"session {session!r}: {int(weight.sum()):,} pairs, {matches[session]:,.0f} matches")
    m = {n: np.mean(v, axis=0) for n, v in estimates.items()}
    named = float((random["name"].to_numpy() >= 0).mean())
    caught = m["name"][6] * named
    total_pairs = n_records * (n_records - 1) / 2
    prior = matches["given name and surname equal"] / caught / total_pairs
    return m, u, prior


def fs_logits(
    pairs: pl.DataFrame,
    m: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    prior: float,
    freq: dict[str, dict[str, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """(the pairs' FS log-odds, the name fields' part of it: name, city, created)."""
    total = np.full(pairs.height, np.log(prior / (1 - prior)))
    names_part = np.zeros(pairs.height)
    for n in COMPARISONS:
        lv = pairs[n].to_numpy().astype(np.int64)
        present = lv >= 0
        idx = np.where(present, lv, 0)
        w = np.where(present, np.log(np.maximum(m[n][idx], FLOOR) / u[n][idx]), 0.0)
        if n == "name":
            values = pairs["name_value"].to_list()
            for level, col in NAME_TF.items():
                kind = {"given_key": "given", "surname_key": "surname", "name_key": "name"}[col]
                rows = np.flatnonzero(lv == level)
                f = np.array([freq[kind].get(values[i], 0.0) for i in rows])
                ok = f > 0
                # u of an equal value: its frequency (Splink's term-frequency adjustment)
                w[rows[ok]] = np.log(max(m[n][level], FLOOR)) - np.log(np.maximum(f[ok], FLOOR))
        elif n == "city":
            values = pairs["city_value"].to_list()
            rows = np.flatnonzero(lv == 1)
            f = np.array([freq["city"].get(values[i], 0.0) for i in rows])
            ok = f > 0
            w[rows[ok]] = np.log(max(m[n][1], FLOOR)) - np.log(np.maximum(f[ok], FLOOR))
        total += w
        if n in ("name", "city", "created", "source"):
            names_part += w
    return total, names_part


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x, -50, 50)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def classifier_logits(
    home: Path, model: MatchModel, contacts: pl.DataFrame, blocked: pl.DataFrame
) -> np.ndarray:
    """The classifier's log-odds (before the guard) of every blocked pair, through the
    product's one scoring path (``score_pairs``) on the published match records."""
    published = pl.read_parquet(home / "current" / "contacts.parquet")
    keyed = contacts.select("record_id", "source", "source_id").join(
        published.select("source", "source_id", "match_record"), on=["source", "source_id"]
    )
    recs: dict[int, dict] = {}
    rows = zip(keyed["record_id"].to_list(), keyed["match_record"].to_list(), strict=True)
    for rid, text in rows:
        r = json.loads(text)
        for k in ("phones", "emails", "handles", "nicknames"):
            r[k] = tuple(r[k]) if r.get(k) else None
        recs[rid] = r
    left, right = blocked["l"].to_list(), blocked["r"].to_list()
    out = []
    for start in range(0, len(left), 50_000):
        ends = slice(start, start + 50_000)
        chunk = [(recs[a], recs[b]) for a, b in zip(left[ends], right[ends], strict=True)]
        out.append(score_pairs(model, chunk).logit)
    return np.concatenate(out)


def cluster(
    contacts: pl.DataFrame, scored: pl.DataFrame, threshold: float, model: MatchModel
) -> pl.DataFrame:
    """members (source, source_id, profile_id) as the product's cluster stage makes them."""
    config = default_config()
    columns = identifier_columns(field_specs(config))
    clusters = cluster_records(
        contacts["record_id"],
        scored.filter(pl.col("score") >= 0.05),
        threshold=threshold,
        max_cluster_size=config.resolution.max_cluster_size,
        linked=identifier_links(contacts, columns),
    )
    clusters, _ = attach_by_name_and_city(
        clusters, contacts, columns, weights=NameWeights.of_model(model)
    )
    keys = contacts.select("record_id", "source", "source_id")
    return clusters.join(keys, on="record_id").select(
        "source", "source_id", pl.col("cluster_id").cast(pl.String).alias("profile_id")
    )


def _read(home: Path, n_random: int, seed: int, truth: Path) -> dict[str, pl.DataFrame]:
    """From a copy of the home's warehouse: the blocked and random pairs' levels, the product's
    scored and candidate pairs, the contacts and the full names' bearer counts; for the
    diagnostics only, the levels of the true pairs that share no block."""
    max_block = default_config().resolution.max_block_size
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "warehouse.duckdb"
        shutil.copy(home / "warehouse.duckdb", copy)
        con = duckdb.connect()
        try:
            con.execute("ATTACH ? AS w (READ_ONLY)", [str(copy)])
            con.execute(_CONTACTS)
            con.execute(_BLOCKED, {"max": max_block})
            n = con.sql("SELECT max(record_id) + 1 FROM c").fetchall()[0][0]
            rng = np.random.default_rng(seed)
            ru, rv = rng.integers(0, n, n_random), rng.integers(0, n, n_random)
            keep = ru != rv
            con.register(
                "random_pairs",
                pl.DataFrame({"l": np.minimum(ru, rv)[keep], "r": np.maximum(ru, rv)[keep]}),
            )
            return {
                "blocked": _levels(con, "blocked"),
                "random": _levels(con, "random_pairs"),
                "scored": con.sql(
                    "SELECT record_id_l AS l, record_id_r AS r, score AS clf FROM w.scored_pairs"
                ).pl(),
                "candidates": con.sql(
                    "SELECT record_id_l AS l, record_id_r AS r, true AS candidate"
                    " FROM w.candidate_pairs"
                ).pl(),
                "contacts": con.sql("SELECT * FROM w.normalized_contacts ORDER BY record_id").pl(),
                "bearers": con.sql(
                    "SELECT given1 || ' ' || surname_key AS name_value, count(*) AS bearers"
                    " FROM c GROUP BY 1"
                ).pl(),
                "_freq": _frequencies_frame(con),
                "unblocked": _unblocked_truth(con, truth),
            }
        finally:
            con.close()


def _unblocked_truth(con: duckdb.DuckDBPyConnection, truth: Path) -> pl.DataFrame:
    """Levels of the true pairs (two contacts of one entity) that share no block."""
    con.execute(
        """CREATE TEMP TABLE true_unblocked AS
        WITH t AS (SELECT c.record_id, tr.entity_id
                   FROM read_csv($truth, all_varchar = true) tr
                   JOIN c USING (source, source_id))
        SELECT a.record_id AS l, b.record_id AS r
        FROM t a JOIN t b ON a.entity_id = b.entity_id AND a.record_id < b.record_id
        ANTI JOIN blocked k ON k.l = a.record_id AND k.r = b.record_id""",
        {"truth": str(truth)},
    )
    return _levels(con, "true_unblocked")


_BLOCKED = """
CREATE TEMP TABLE blocked AS
WITH sized AS (SELECT block_key, record_id, count(*) OVER (PARTITION BY block_key) AS n
               FROM w.block_keys)
SELECT DISTINCT a.record_id AS l, b.record_id AS r
FROM sized a JOIN sized b ON a.block_key = b.block_key AND a.record_id < b.record_id
WHERE a.n <= $max
"""


def _frequencies_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    freq = _frequencies(con)
    return pl.DataFrame(
        [(k, v, f) for k, d in freq.items() for v, f in d.items()],
        schema={"kind": pl.String, "v": pl.String, "f": pl.Float64},
        orient="row",
    )


def _sig(x: pl.Expr) -> pl.Expr:
    return 1 / (1 + (-x).exp())


def variants(pairs: pl.DataFrame, extra: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each variant's scored pairs (record_id_l, record_id_r, score)."""
    clf, fs, shared, candidate = (pl.col(c) for c in ("clf", "fs", "shared", "candidate"))

    def edges(score: pl.Expr) -> pl.DataFrame:
        out = pairs.select(
            pl.col("l").alias("record_id_l"), pl.col("r").alias("record_id_r"), score.alias("score")
        ).filter(pl.col("score").is_not_null())
        more = extra.select(
            pl.col("l").alias("record_id_l"), pl.col("r").alias("record_id_r"), score=clf
        )
        return pl.concat([out, more]).sort("record_id_l", "record_id_r")

    return {
        "replay": edges(clf),
        "fs": edges(fs),
        "fs-held": edges(pl.when(candidate).then(clf).otherwise(fs)),
        "fs-silent": edges(pl.when(shared).then(clf).otherwise(fs)),
        "clf-unguarded": edges(_sig(pl.col("clf_logit"))),
        "clf-held": edges(pl.when(candidate).then(clf).otherwise(_sig(pl.col("clf_logit")))),
        "clf+fs-names (silent)": edges(
            pl.when(shared).then(clf).otherwise(_sig(pl.col("clf_logit") + pl.col("names_part")))
        ),
        "mean(clf,fs) (silent)": edges(
            pl.when(shared)
            .then(clf)
            .otherwise(_sig((pl.col("clf_logit") + pl.col("fs_logit")) / 2))
        ),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("home", type=Path)
    p.add_argument("truth", type=Path)
    p.add_argument("--random", type=int, default=1_000_000, help="random pairs for u")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    model = MatchModel.load(args.home / "model")
    model_json = json.loads((args.home / "model" / "model.json").read_text(encoding="utf-8"))
    threshold = float(model_json["threshold"])
    truth = pl.read_csv(args.truth, infer_schema=False)
    members = pl.read_parquet(args.home / "current" / "members.parquet")
    data = _read(args.home, args.random, args.seed, args.truth)
    blocked, contacts = data["blocked"], data["contacts"]
    freq: dict[str, dict[str, float]] = {}
    for kind, v, f in data["_freq"].iter_rows():
        freq.setdefault(kind, {})[v] = f

    m, u, prior = fit(blocked, data["random"], contacts.height)
    print(
        f"{blocked.height:,} blocked pairs ({data['candidates'].height:,} candidates); "
        f"prior {prior:.3g}"
    )
    print(f"{'comparison':10s} {'level':28s} {'m':>8s} {'u':>9s} {'bits':>7s}")
    for name, levels in COMPARISONS.items():
        for k, level in enumerate(levels):
            bits = np.log2(max(m[name][k], FLOOR) / u[name][k])
            print(f"{name:10s} {level:28s} {m[name][k]:8.4f} {u[name][k]:9.6f} {bits:7.2f}")

    logit, names_part = fs_logits(blocked, m, u, prior, freq)
    shared = np.zeros(blocked.height, dtype=bool)
    for s in IDENTIFIERS:
        shared |= blocked[s].to_numpy() == 1
    pairs = (
        blocked.select("l", "r", "name_value", name_level="name", city_level="city")
        .with_columns(
            pl.Series("fs_logit", logit),
            pl.Series("fs", _sigmoid(logit)),
            pl.Series("names_part", names_part),
            pl.Series("shared", shared),
            pl.Series("clf_logit", classifier_logits(args.home, model, contacts, blocked)),
        )
        .join(data["scored"], on=["l", "r"], how="left")
        .join(data["candidates"], on=["l", "r"], how="left")
        .with_columns(pl.col("candidate").fill_null(False))
    )
    # pairs the product scored that share no block here (none expected)
    extra = data["scored"].join(pairs.select("l", "r"), on=["l", "r"], how="anti")

    rows = [("product (published)", evaluate(truth, members))]
    for name, e in variants(pairs, extra).items():
        rows.append((name, evaluate(truth, cluster(contacts, e, threshold, model))))
    print(f"\nthreshold {threshold} (the home's); {extra.height} scored pairs outside the blocks")
    print(f"{'variant':22s} {'P':>6s} {'R':>6s} {'F1':>6s} {'B3 P':>6s} {'B3 R':>6s} {'B3 F1':>6s}")
    for name, sc in rows:
        print(
            f"{name:22s} {sc.pairwise_precision:6.3f} {sc.pairwise_recall:6.3f} "
            f"{sc.pairwise_f1:6.3f} {sc.bcubed_precision:6.3f} {sc.bcubed_recall:6.3f} "
            f"{sc.bcubed_f1:6.3f}"
        )
    diagnose(pairs, contacts, truth, data["bearers"], threshold)
    unblocked = data["unblocked"].with_columns(
        shared=pl.any_horizontal([pl.col(s) == 1 for s in IDENTIFIERS]),
        city_level=pl.col("city"),
    )
    print(f"\ntrue pairs sharing no block: {unblocked.height:,}, by name level and city level")
    print(
        unblocked.group_by("name", "shared")
        .agg(
            pl.len().alias("pairs"),
            (pl.col("city_level") == 1).sum().alias("same_city"),
            (pl.col("city_level") == 0).sum().alias("other_city"),
        )
        .sort("name", "shared")
    )
    return 0


def diagnose(
    pairs: pl.DataFrame,
    contacts: pl.DataFrame,
    truth: pl.DataFrame,
    bearers: pl.DataFrame,
    threshold: float,
) -> None:
    """Where the true pairs are among the blocked pairs (the truth is read here only)."""
    entity = contacts.select("record_id", "source", "source_id").join(
        truth, on=["source", "source_id"], how="left"
    )
    ids = entity.select("record_id", "entity_id")
    pairs = (
        pairs.join(ids.rename({"record_id": "l", "entity_id": "e_l"}), on="l", how="left")
        .join(ids.rename({"record_id": "r", "entity_id": "e_r"}), on="r", how="left")
        .with_columns(same=(pl.col("e_l") == pl.col("e_r")).fill_null(False))
    )
    sizes = entity.group_by("entity_id").len()["len"].to_numpy().astype(np.int64)
    total = int((sizes * (sizes - 1) // 2).sum())
    held_true = int(pairs.filter(~pl.col("candidate"))["same"].sum())
    print(
        f"\ntrue pairs {total:,}; sharing a block {int(pairs['same'].sum()):,}; "
        f"of them held by the guard {held_true:,}"
    )
    kind = (
        pl.when(pl.col("shared"))
        .then(pl.lit("shared id"))
        .when(pl.col("candidate"))
        .then(pl.lit("candidate, no id"))
        .otherwise(pl.lit("held by guard"))
        .alias("kind")
    )
    fs_kept, clf_kept = pl.col("fs") >= threshold, pl.col("clf") >= threshold
    print("\nblocked pairs by kind and name level (see NAME_LEVELS): pairs, one person, kept")
    print(
        pairs.group_by(kind, "name_level")
        .agg(
            pl.len().alias("pairs"),
            pl.col("same").sum().alias("one_person"),
            fs_kept.sum().alias("fs_kept"),
            (fs_kept & pl.col("same")).sum().alias("fs_kept_true"),
            clf_kept.sum().alias("product_kept"),
            (clf_kept & pl.col("same")).sum().alias("product_kept_true"),
        )
        .sort("kind", "name_level")
    )
    print("\nheld pairs ranked by each score: one person among the top k")
    held = pairs.filter(~pl.col("candidate"))
    for col in ("fs_logit", "clf_logit"):
        ranked = held.sort(col, descending=True)["same"].to_numpy()
        tops = [(k, ranked[:k].mean()) for k in (100, 300, 1000, 3000, 10000) if k <= len(ranked)]
        print(f"  {col:10s} " + "  ".join(f"top {k}: {v:.2f}" for k, v in tops))
    full = held.filter(pl.col("name_level") == 6).join(bearers, on="name_value", how="left")
    print("\nheld pairs sharing given name and surname, by bearers and city level (-1 missing)")
    print(
        full.group_by(
            pl.when(pl.col("bearers") <= 4)
            .then(pl.lit("a <=4"))
            .when(pl.col("bearers") <= 8)
            .then(pl.lit("b 5-8"))
            .when(pl.col("bearers") <= 16)
            .then(pl.lit("c 9-16"))
            .when(pl.col("bearers").is_not_null())
            .then(pl.lit("d >16"))
            .otherwise(pl.lit("e name key only"))
            .alias("bearers"),
            "city_level",
        )
        .agg(pl.len().alias("pairs"), pl.col("same").mean().round(3).alias("one_person"))
        .sort("bearers", "city_level")
    )


if __name__ == "__main__":
    pl.Config.set_tbl_rows(60)
    pl.Config.set_tbl_width_chars(120)
    sys.exit(main())
