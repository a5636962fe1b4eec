"""Fitting the Fellegi–Sunter model of a home with no identifier to learn from, as Splink does.

When the cold start found (almost) no contacts sharing a phone, e-mail or handle, the seed
labels come from EM (``resolution.training.em``) and a classifier trained on them scored pairs
that share little more than a birth date too high and true pairs with a typo too low. Here the
fields' weights themselves are estimated, with no labels, and score the pairs
(``resolution.matching.fellegi_sunter``):

1. ``u`` per field and level: on random pairs of records (almost all of them two people); for
   an equal value, the value's own frequency over the whole home (term-frequency adjustment);
2. ``m`` per field and level: by expectation–maximisation over the pairs of each blocking rule
   (two compared fields equal: a surname and a birth date, a given name and a city...), ``u``
   held fixed, each pass estimating the fields its rule does not hold equal; a field's ``m`` is
   the mean over the passes that estimated it (Splink's way: a rule cannot tell how often the
   fields it holds equal agree), save a level some rules make unreachable (a first name
   swapped with the surname a rule holds equal), taken from the passes that reach it
   (``combine_passes``);
3. the prior (the chance that two random records are one person): each pass's matches divided
   by the share of all matches its rule can catch (both fields present and equal, from the
   ``m`` of step 2), over all pairs of records; the median over the rules.

With the operator's answers (``answers``: pairs of known class), they refine the model rather
than replace it (a classifier trained on 50 answers and EM's own seeds scored worse than the
model fitted without them):

4. ``m``: the answered matches' levels are counted in with EM's expected matches per level
   (Splink's ``estimate_m_from_label_column``, blended with EM's estimate by their counts);
5. the prior: the answered pairs' log-odds under the model get one common shift, its
   posterior mode under a weakly informative prior (``prior_shift``). The label queue picks
   pairs by their score alone, and the chance that a pair of a given score is one person does
   not depend on how it was picked: the shift re-estimates the prior from the answers, where
   EM's is an extrapolation from the blocked pairs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import polars as pl

from resolution.matching.fellegi_sunter import (
    EQUAL,
    FLOOR,
    LEVEL_CUTS,
    LEVELS,
    MISSING,
    FellegiSunter,
    frame_levels,
    value_counts,
)
from resolution.matching.fields import FIELD_COLUMNS, FieldSpec, FrameRecords
from resolution.training.em import (
    MAX_CANDIDATES,
    MAX_GROUP,
    RANDOM_PAIRS,
    _candidates_sql,
    _random_pairs,
    blocking_rules,
    compared_columns,
)

log = logging.getLogger("edin")

EM_ITERATIONS = 100
# EM stops earlier once no m moves by more than this.
TOLERANCE = 1e-6
# The types of field compared by string similarity (the others are sets, times).
STRING_TYPES = frozenset({"String", "ShortString", "Exact", "Text"})
# m at the start of EM, per level (different, alike, close, equal, reversed): one person's
# records mostly agree.
M_START = (0.05, 0.05, 0.1, 0.75, 0.05)
PRIOR_START = 0.1
# Pseudo-matches per level added to EM's counts (a uniform Dirichlet prior): a level no match of
# the sample reached weighs what one match would say, not the floor. Unsmoothed, FEBRL's
# address "alike" level (a typo no sampled duplicate had) weighed -13.8 bits: one such typo
# would have parted a duplicate that agrees on everything else.
SMOOTHING = 1.0
# The scale of the Cauchy prior of the answers' shift of the prior log-odds (Gelman, Jakulin,
# Pittau and Su 2008, "A weakly informative default prior distribution for logistic regression
# models": 2.5 for a coefficient), and the bound of the search for it (the prior keeps the
# optimum finite well inside it).
SHIFT_SCALE = 2.5
MAX_SHIFT = 20.0


def fs_fields(contacts: pl.DataFrame, specs: Sequence[FieldSpec]) -> list[tuple[str, str]]:
    """(record field, normalized_contacts column) of the fields the model compares: the text
    fields EM compares (``compared_columns``: names, city, configured fields, one of each
    redundant pair), not the identifiers."""
    column_of = {s.name: FIELD_COLUMNS.get(s.name, s.name) for s in specs if s.type in STRING_TYPES}
    field_of = {c: f for f, c in column_of.items()}
    chosen = [
        (field_of[c], c)
        for c in compared_columns(contacts)
        if c in field_of and contacts[c].drop_nulls().n_unique() > 1  # a value to compare
    ]
    # Names the normalizer could not split (no surname found, not even one compared under
    # another field's name): the whole name is compared.
    surnames = contacts["surname_key"] if "surname_key" in contacts.columns else None
    unsplit = surnames is None or surnames.drop_nulls().n_unique() < 2
    names = contacts["name_key"] if "name_key" in contacts.columns else None
    if unsplit and "name" in column_of and names is not None and names.drop_nulls().n_unique() > 1:
        chosen.insert(0, ("name", "name_key"))
    return chosen


def _pair_frame(pairs: pl.DataFrame, values: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """For pairs (l, r) of record ids, columns l{i} and r{i}: field i's values on each side."""
    left = values.rename({f: f"l{i}" for i, f in enumerate(fields)} | {"record_id": "l"})
    right = values.rename({f: f"r{i}" for i, f in enumerate(fields)} | {"record_id": "r"})
    return (
        pairs.select("l", "r")
        .join(left, on="l", how="left", maintain_order="left")
        .join(right, on="r", how="left", maintain_order="left")
    )


def em_pass(
    levels: np.ndarray, log_u: np.ndarray, free: Sequence[int]
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """EM over pairs with ``u`` fixed (``log_u``: each pair's log-probability of its levels
    among non-matches, over the ``free`` fields): m (free fields × levels), the share of
    matches, each pair's posterior probability of being one person, and the expected number
    of matches at each level (free fields × levels, before smoothing)."""
    n_levels = len(LEVELS)
    lv = levels[:, free].astype(np.int64)
    present = lv != MISSING
    safe = np.where(present, lv, 0)
    m = np.tile(np.array(M_START), (len(free), 1))
    prior = PRIOR_START
    post = np.zeros(levels.shape[0])
    counts = np.zeros_like(m)
    for _ in range(EM_ITERATIONS):
        log_m = np.zeros(levels.shape[0])
        for j in range(len(free)):
            log_m += np.where(present[:, j], np.log(m[j])[safe[:, j]], 0.0)
        odds = np.log(prior) - np.log1p(-prior) + log_m - log_u
        post = 1.0 / (1.0 + np.exp(-np.clip(odds, -50, 50)))
        prior = float(np.clip(post.mean(), 1e-6, 1 - 1e-6))
        new = np.empty_like(m)
        for j in range(len(free)):
            w = np.bincount(safe[present[:, j], j], post[present[:, j]], minlength=n_levels)
            counts[j] = w
            new[j] = (w + SMOOTHING) / (float(w.sum()) + n_levels * SMOOTHING)
        moved = float(np.abs(new - m).max())
        m = new
        if moved < TOLERANCE:
            break
    return m, prior, post, counts


def _log_u(
    levels: np.ndarray, u: np.ndarray, free: Sequence[int], left: Mapping[int, np.ndarray]
) -> np.ndarray:
    """Per pair, the log-probability of its levels over the ``free`` fields among non-matches:
    ``u`` of the level, an equal value's own frequency (``left[j]``) in place of the average."""
    out = np.zeros(levels.shape[0])
    for j in free:
        lv = levels[:, j].astype(np.int64)
        present = lv != MISSING
        per = np.log(u[j])[np.where(present, lv, 0)]
        per = np.where(lv == EQUAL, np.log(np.maximum(left[j], FLOOR)), per)
        out += np.where(present, per, 0.0)
    return out


def fit_fellegi_sunter(
    contacts: pl.DataFrame,
    records: FrameRecords,
    specs: Sequence[FieldSpec],
    *,
    seed: int,
    answers: pl.DataFrame | None = None,
) -> FellegiSunter | None:
    """The Fellegi–Sunter model of the home's records (see the module docstring), or None when
    fewer than three fields can be compared or no blocking rule makes pairs to learn from.
    ``answers``: the operator's answered pairs (record ids ``l``, ``r`` and ``label``, "match"
    or "distinct"), which refine ``m`` and the prior (steps 4 and 5)."""
    chosen = fs_fields(contacts, specs)
    if len(chosen) < 3:
        return None
    fields = [f for f, _ in chosen]
    values = pl.DataFrame(
        {"record_id": records.id_series(), **{f: records.series(f) for f in fields}}
    )
    counts = {f: value_counts(values[f]) for f in fields}
    totals = {f: int(values[f].drop_nulls().len()) for f in fields}
    frequency = {
        f: pl.DataFrame(
            {"v": list(counts[f]), "freq": [n / max(totals[f], 1) for n in counts[f].values()]},
            schema={"v": pl.String, "freq": pl.Float64},
        )
        for f in fields
    }

    def left_frequencies(frame: pl.DataFrame) -> dict[int, np.ndarray]:
        out = {}
        for i, f in enumerate(fields):
            got = frame.select(pl.col(f"l{i}").alias("v")).join(
                frequency[f], on="v", how="left", maintain_order="left"
            )
            out[i] = got["freq"].fill_null(1.0 / max(totals[f], 1)).to_numpy()
        return out

    rng = np.random.default_rng(seed)
    ids = values["record_id"].to_numpy()
    random_pairs = _pair_frame(_random_pairs(ids, RANDOM_PAIRS, rng), values, fields)
    random_levels = frame_levels(random_pairs, len(fields))
    u = np.empty((len(fields), len(LEVELS)))
    u_seen = np.zeros((len(fields), len(LEVELS)))  # random pairs at each level
    both = np.empty(len(fields))  # share of random pairs with the field on both sides
    for j in range(len(fields)):
        lv = random_levels[:, j]
        seen = lv[lv != MISSING].astype(np.int64)
        both[j] = seen.size / max(lv.size, 1)
        u_seen[j] = np.bincount(seen, minlength=len(LEVELS))
        u[j] = np.maximum(u_seen[j] / max(seen.size, 1), FLOOR)

    column_field = {c: f for f, c in chosen}
    table = contacts.select("record_id", *column_field)
    estimates: dict[int, list[np.ndarray]] = {j: [] for j in range(len(fields))}
    # per field and pass, the levels some candidate pair of the pass reached
    reachable: dict[int, list[np.ndarray]] = {j: [] for j in range(len(fields))}
    reached = np.zeros((len(fields), len(LEVELS)))  # expected matches per level, all passes
    passes: list[tuple[list[int], float, int]] = []  # (rule's fields, match share, its pairs)
    con = duckdb.connect()
    try:
        con.register("contacts", table)
        for rule in blocking_rules(list(column_field)):
            held = [fields.index(column_field[c]) for c in rule]
            free = [j for j in range(len(fields)) if j not in held]
            candidates = con.sql(
                _candidates_sql(rule),
                params={"max_group": MAX_GROUP, "seed": seed, "limit": MAX_CANDIDATES},
            ).pl()
            if candidates.height < 10 or not free:
                continue
            total = _rule_pairs(con, rule)
            frame = _pair_frame(candidates.sort("l", "r"), values, fields)
            levels = frame_levels(frame, len(fields))
            m, share, _, seen = em_pass(
                levels, _log_u(levels, u, free, left_frequencies(frame)), free
            )
            for k, j in enumerate(free):
                estimates[j].append(m[k])
                reachable[j].append(np.isin(np.arange(len(LEVELS)), levels[:, j]))
                reached[j] += seen[k]
            passes.append((held, share, total))
            log.info(
                "Fellegi–Sunter EM over %d of %d pairs sharing %s: %.1f %% one person",
                candidates.height,
                total,
                "+".join(rule),
                100 * share,
            )
    finally:
        con.close()
    if not passes or any(not estimates[j] for j in range(len(fields))):
        return None
    m_all = np.array(
        [combine_passes(np.array(estimates[j]), np.array(reachable[j])) for j in range(len(fields))]
    )
    known = _answered(answers, values, fields)
    if known is not None:
        _, levels, is_match = known
        m_all = blend_m(m_all, reached, levels[is_match])
    # A level neither random pairs nor EM's matches reached (two fields that are never
    # swapped) has no measured u and a smoothed m: it weighs nothing rather than the ratio of
    # two guesses.
    unseen = (u_seen == 0) & (reached < 1.0)
    u[unseen] = m_all[unseen]
    n = len(ids)
    all_pairs = n * (n - 1) / 2
    matches = [
        share * total / max(float(np.prod([both[j] * m_all[j][EQUAL] for j in held])), FLOOR)
        for held, share, total in passes
    ]
    log.info("Fellegi–Sunter matches per rule: %s", ", ".join(f"{x:.0f}" for x in matches))
    prior = float(np.clip(np.median(matches) / max(all_pairs, 1.0), 1e-12, 0.5))
    duplicates = 2.0 * float(np.median(matches)) / max(n, 1)
    stats: dict[str, float | int] = {
        "em_passes": len(passes),
        "expected_matches": float(np.median(matches)),
    }
    model = FellegiSunter(
        fields=tuple(fields),
        m={f: [float(x) for x in m_all[j]] for j, f in enumerate(fields)},
        u={f: [float(x) for x in u[j]] for j, f in enumerate(fields)},
        prior=prior,
        counts=counts,
        totals=totals,
        cuts=LEVEL_CUTS,
        duplicates=duplicates,
        stats=stats,
    )
    if known is not None:
        frame, levels, is_match = known
        left = {f: frame[f"l{i}"] for i, f in enumerate(fields)}
        z = model.logit(model.level_weights(levels, left))
        shift = prior_shift(z, is_match)
        model.prior = float(np.clip(1.0 / (1.0 + np.exp(-(model.prior_logit + shift))), 1e-12, 0.5))
        stats |= {
            "answered_match": int(is_match.sum()),
            "answered_distinct": int((~is_match).sum()),
            "prior_shift": shift,
        }
        log.info(
            "Fellegi–Sunter model refined by %d answers (%d match): prior log-odds %+.2f",
            len(is_match),
            int(is_match.sum()),
            shift,
        )
    log.info(
        "Fellegi–Sunter model: prior %.3g (EM: %.0f matching pairs); bits per level %s",
        model.prior,
        np.median(matches),
        "; ".join(
            f"{f} " + "/".join(f"{b:+.1f}" for name, _, _, _, b in model.level_table() if name == f)
            for f in fields
        ),
    )
    return model


def combine_passes(m: np.ndarray, reachable: np.ndarray) -> np.ndarray:
    """A field's ``m`` from the EM passes that estimated it (``m``: passes × levels), each
    pass's candidates having reached the levels ``reachable`` (passes × levels).

    A pass can only see the levels its rule leaves possible: among pairs sharing a surname, no
    first name is swapped with the surname (a swap needs both to differ), so that pass's
    ``m`` of the swapped level is its smoothing's, and its other levels' shares are those among
    the pairs not swapped. A level some passes reached and others did not is taken from the
    passes that reached it; the others keep the shares among themselves that every pass gives
    them, scaled to what is left. With every level reachable in every pass (or none), the mean
    of the passes, as Splink takes it. On fake_20000 without its e-mails the swapped first
    name's ``m`` was 0.05 as the mean of the six passes, 0.15 among the truth's pairs."""
    seen_by_some = reachable.any(axis=0) & ~reachable.all(axis=0)
    if not seen_by_some.any():
        return np.asarray(m.mean(axis=0))
    out = np.empty(m.shape[1])
    for level in np.flatnonzero(seen_by_some):
        out[level] = m[reachable[:, level], level].mean()
    rest = ~seen_by_some
    shares = m[:, rest] / m[:, rest].sum(axis=1, keepdims=True)
    out[rest] = shares.mean(axis=0) * max(1.0 - float(out[seen_by_some].sum()), FLOOR)
    return out


def _answered(
    answers: pl.DataFrame | None, values: pl.DataFrame, fields: Sequence[str]
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray] | None:
    """The answered pairs' values (``_pair_frame``), levels (pairs × fields) and which of them
    are one person, or None without answers."""
    if answers is None:
        return None
    known = answers.filter(pl.col("label").is_in(["match", "distinct"]))
    if not known.height:
        return None
    frame = _pair_frame(known, values, fields)
    return frame, frame_levels(frame, len(fields)), (known["label"] == "match").to_numpy()


def blend_m(m: np.ndarray, expected: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """EM's ``m`` (fields × levels) with the levels of known matches (pairs × fields) counted
    in: each field's ``m`` weighs as many matches as EM expected at its levels (``expected``,
    fields × levels), each known match as one."""
    out = m.copy()
    for j in range(m.shape[0]):
        lv = matched[:, j].astype(np.int64)
        seen = np.bincount(lv[lv != MISSING], minlength=m.shape[1]).astype(np.float64)
        weight = float(expected[j].sum())
        if seen.sum():
            out[j] = (weight * m[j] + seen) / (weight + seen.sum())
    return out


def prior_shift(z: np.ndarray, is_match: np.ndarray) -> float:
    """The shift of the prior log-odds that makes the answered pairs' log-odds ``z`` fit their
    answers best: its posterior mode under a Cauchy prior of scale ``SHIFT_SCALE`` centred on
    no shift (Gelman et al.'s weakly informative default for logistic regression); 0 without
    answers.

    Answers the model already tells apart (every match above every distinct pair, the usual
    case on FEBRL) leave the likelihood flat over a wide range of shifts: the prior keeps the
    shift near 0 there, where the maximum likelihood (or Firth's, pulled towards the nearest
    answer) went anywhere from −2.4 to +9.6 with the same answers."""
    if not len(z):
        return 0.0
    # here, not at the module's top: only a run that trains on answers needs scipy.optimize,
    # and every run imports this module (35-45 ms of start-up otherwise)
    from scipy.optimize import minimize_scalar

    y = is_match.astype(np.float64)

    def loss(a: float) -> float:
        t = z + a
        # -log-likelihood (computed stably) - log prior
        return float(np.sum(np.logaddexp(0.0, t) - y * t) + np.log1p((a / SHIFT_SCALE) ** 2))

    got = minimize_scalar(loss, bounds=(-MAX_SHIFT, MAX_SHIFT), method="bounded")
    return float(got.x)


def _rule_pairs(con: duckdb.DuckDBPyConnection, rule: tuple[str, ...]) -> int:
    """How many pairs the rule makes in groups of at most MAX_GROUP (before any sample)."""
    key = " || '\x1f' || ".join(rule)
    present = " AND ".join(f"{c} IS NOT NULL" for c in rule)
    got = con.sql(
        f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM contacts "
        f"WHERE {present} GROUP BY {key}) WHERE n <= $max_group",
        params={"max_group": MAX_GROUP},
    ).fetchall()
    return int(got[0][0])
