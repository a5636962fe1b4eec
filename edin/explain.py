"""``edin explain``: why a contact is in its profile, or why two contacts were (not) matched.

Reads only the published snapshot (``HOME/current``: members, profiles, contacts, pair_reasons,
kept_apart and the model that scored them) and, read-only, the operator decisions: never the
warehouse, so it works while a pipeline run holds the warehouse lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from resolution import Key, NotFoundError
from resolution.feedback import decision_history
from resolution.matching import (
    FellegiSunter,
    MatchModel,
    NameWeights,
    contributions,
    field_weights,
    ranked_reasons,
    score_pairs,
)
from resolution.publishing import (
    KEPT_HOUSEHOLD,
    KEPT_NAMESAKES,
    Explainable,
    parse_record,
    read_explainable,
)

# Pairs to contacts outside the profile shown for one contact.
OUTSIDE_PAIRS = 5

# What a positive and a negative contribution of a field say, where "agree" / "disagree" would
# not (a creation time is never equal, only closer or farther apart than usual).
REASON_WORDS = {"created": ("close in time", "far apart in time")}


# Why the household rule held a pair (resolution.linking.households.HELD_WHY), in words.
HELD_WORDS = {
    "given_names": "their given names are two people's",
    "initials": "their initials differ, or a side's initial fits none of the line's bearers",
    "unnamed": "a side has no given name and is not likely enough the other's bearer",
}


def kept_apart_words(row: dict[str, Any], rare_name: int | None = None) -> str:
    """What a ``kept_apart`` row says, in words: which rule dropped the pair's link, and why
    (counts only: never another contact's value)."""
    n = row["bearers"]
    if row["rule"] == KEPT_HOUSEHOLD:
        lines = row["shared"] or 1
        what = (
            f"a phone line borne by {n} people"
            if lines == 1
            else f"{lines} phone lines, each borne by {n} people or more"
        )
        why = HELD_WORDS.get(row["why"] or "", "its bearers cannot tell which they are")
        return (
            f"they share only {what} ({why}): a household's line joins no two people "
            "by itself (the household rule, resolution/linking/households.py)"
        )
    if row["rule"] == KEPT_NAMESAKES:
        limit = f", more than the home's rare-name limit {rare_name}" if rare_name else ""
        return (
            f"the same e-mail local part on two mailboxes, and the name is borne by {n} "
            f"contacts{limit}: an address built from a common name joins no two namesakes "
            "(the namesakes' mailbox rule, resolution/linking/mailboxes.py)"
        )
    return f"a rule of the cluster stage ({row['rule']}) dropped their link"


def _sides(row: dict[str, Any]) -> tuple[Key, Key]:
    return (row["source_l"], row["source_id_l"]), (row["source_r"], row["source_id_r"])


def format_reasons(reasons: list[tuple[str, float]]) -> str:
    """``phones +3.2 (agree), city −0.4 (disagree)``"""
    if not reasons:
        return "no field present on both sides"
    return ", ".join(
        f"{name} {w:+.2f} ({REASON_WORDS.get(name, ('agree', 'disagree'))[0 if w > 0 else 1]})"
        for name, w in reasons
    )


def fellegi_sunter_lines(fs: dict[str, Any]) -> list[str]:
    """The Fellegi–Sunter model's weight per field and level, in bits (log2 m/u), as text."""
    model = FellegiSunter.from_json(fs)
    out = [
        "model: Fellegi–Sunter weights estimated by EM over blocked pairs (no identifier "
        "seeds); per field and level, log2(m/u) in bits (an equal value weighs "
        "less the more records hold it; the pairs' contributions are in natural log-odds):"
    ]
    answered = model.stats.get("answered_match", 0) + model.stats.get("answered_distinct", 0)
    if answered:
        out.append(
            f"    refined by {answered} answer(s) ({model.stats.get('answered_match', 0)} "
            f"match): their matches counted into m, the prior's log-odds moved "
            f"{model.stats.get('prior_shift', 0.0):+.2f}"
        )
    table: dict[str, list[str]] = {}
    for name, level, _m, _u, bits in model.level_table():
        table.setdefault(name, []).append(f"{level} {bits:+.1f}")
    out += [f"    {name}: {', '.join(levels)}" for name, levels in table.items()]
    return out


def load(home: Path) -> Explainable:
    """The current snapshot's explanation tables."""
    return read_explainable(home)


def _name(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


def _joined(source: str, source_id: str) -> pl.Expr:
    return pl.concat_str(pl.col(source), pl.lit("\x1f"), pl.col(source_id))


def _ids(keys: set[Key]) -> list[str]:
    return sorted(f"{s}\x1f{i}" for s, i in keys)


def _pairs_of(snap: Explainable, keys: set[Key]) -> pl.DataFrame:
    """pair_reasons rows touching any of ``keys``, strongest first, with ``in_l``/``in_r``
    saying which side is one of ``keys``."""
    ids = _ids(keys)
    return (
        snap.reasons.with_columns(
            _joined("source_l", "source_id_l").is_in(ids).alias("in_l"),
            _joined("source_r", "source_id_r").is_in(ids).alias("in_r"),
        )
        .filter(pl.col("in_l") | pl.col("in_r"))
        .sort(
            "score",
            "source_l",
            "source_id_l",
            "source_r",
            "source_id_r",
            descending=[True, False, False, False, False],
        )
        .collect()
    )


def _pair_line(row: dict[str, Any], threshold: float) -> str:
    a = _name((row["source_l"], row["source_id_l"]))
    b = _name((row["source_r"], row["source_id_r"]))
    side = "≥" if row["score"] >= threshold else "<"
    return (
        f"    {a} ~ {b}  score {row['score']:.3f} ({side} {threshold:g})\n"
        f"        {format_reasons(ranked_reasons(row))}"
    )


def _contact_line(snap: Explainable, key: Key) -> str:
    row = snap.contacts.filter((pl.col("source") == key[0]) & (pl.col("source_id") == key[1]))
    if row.height == 0:
        return f"    {_name(key)}"
    r = row.row(0, named=True)
    bits = [r["display_name"] or "(no name)"]
    for col in ("phones", "emails", "handles"):
        if r[col]:
            bits.append(", ".join(r[col]))
    if r["city"]:
        bits.append(r["city"])
    hubs = [f for f in (r["flags"] or []) if f.endswith(":hub")]
    line = f"    {_name(key)}  " + " · ".join(bits)
    if hubs:
        line += f"  [hub value ignored as evidence: {', '.join(hubs)}]"
    return line


def decided_pairs(home: Path) -> pl.DataFrame:
    """(source_l, source_id_l, source_r, source_id_r) of every pair an operator decided."""
    rows = [(*d.left, *d.right) for d in decision_history(home)]
    return pl.DataFrame(
        rows, schema=["source_l", "source_id_l", "source_r", "source_id_r"], orient="row"
    )


def decisions_about(home: Path, keys: set[Key]) -> Iterator[str]:
    """Operator decisions naming any of ``keys``."""
    for d in decision_history(home):
        if d.left in keys or d.right in keys:
            who = f" by {d.operator}" if d.operator else ""
            (sl, il), (sr, ir) = d.left, d.right
            yield (
                f"    decision #{d.decision_id} ({d.kind}, {d.at}{who}): {sl}:{il} and "
                f"{sr}:{ir} are "
                f"{'the same person' if d.label == 'match' else 'not the same person'}"
            )


def explain_contact(home: Path, key: Key) -> str:
    snap = load(home)
    member = snap.members.filter((pl.col("source") == key[0]) & (pl.col("source_id") == key[1]))
    if member.height == 0:
        raise NotFoundError(
            f"contact {_name(key)} is not in the published snapshot "
            f"({snap.path.name}); see {home}/current/members.parquet"
        )
    pid = member["profile_id"][0]
    profile = snap.profiles.filter(pl.col("profile_id") == pid).row(0, named=True)
    inside = snap.members.filter(pl.col("profile_id") == pid).sort("source", "source_id")
    keys = {(s, i) for s, i in inside.select("source", "source_id").iter_rows()}
    out = [
        f"profile {pid}  ({profile['status']}, {profile['contacts']} contact(s), "
        f"{profile['interactions']} interaction(s))",
        f"  name {profile['display_name'] or '-'} · phones {', '.join(profile['phones']) or '-'}"
        f" · e-mails {', '.join(profile['emails']) or '-'} · city {profile['city'] or '-'}",
        "",
        "members",
    ]
    for s, i, c in inside.select("source", "source_id", "confidence").iter_rows():
        out.append(_contact_line(snap, (s, i)) + f"  (confidence {c:.3f})")
    pairs = _pairs_of(snap, keys)
    within = pairs.filter(pl.col("in_l") & pl.col("in_r"))
    outside = pairs.filter(~(pl.col("in_l") & pl.col("in_r")))
    fs = snap.model.get("fellegi_sunter")
    bias = FellegiSunter.from_json(fs).prior_logit if fs else snap.model["classifier"]["bias"]
    out += [
        "",
        f"why: pairs scoring ≥ {snap.threshold:g} join contacts (dedupe's hierarchical "
        "clustering); each field's contribution is its share of the pair's log-odds "
        f"(they add up with the {'prior' if fs else 'bias'} {bias:+.2f}), measured "
        "against the field being missing: + raised the odds (agree), − lowered them "
        "(disagree, or agreement too common to count)",
        *(fellegi_sunter_lines(fs) if fs else []),
    ]
    rare_name = NameWeights.of_stats(snap.model.get("stats", {})).rare_name
    out.append(f"  scored pairs inside the profile ({within.height})")
    for r in within.iter_rows(named=True):
        line = _pair_line(r, snap.threshold)
        rule = snap.kept_apart_row(*_sides(r))
        if rule is not None:
            line += (
                f"\n        this pair's own link was dropped: {kept_apart_words(rule, rare_name)};"
                " its contacts are joined through others"
            )
        out.append(line)
    if within.height == 0:
        out.append("    none: a single contact" if len(keys) == 1 else "    none kept")
    out.append(f"  strongest pairs to contacts outside it (of {outside.height})")
    member_of = dict(
        ((s, i), p)
        for p, s, i in snap.members.select("profile_id", "source", "source_id").iter_rows()
    )
    for r in outside.head(OUTSIDE_PAIRS).iter_rows(named=True):
        left, right = _sides(r)
        other = right if left in keys else left
        rule = snap.kept_apart_row(left, right)
        if rule is not None:
            note = f"\n        kept apart: {kept_apart_words(rule, rare_name)}"
        elif r["score"] >= snap.threshold:
            note = (
                " — at or above the threshold, yet apart: dedupe's clustering (centroid "
                "linkage over the whole group) or a decision kept it out"
            )
        else:
            note = ""
        out.append(
            _pair_line(r, snap.threshold) + f"\n        other side in profile "
            f"{member_of.get(other, '?')}{note}"
        )
    if outside.height == 0:
        out.append("    none: no contact outside shares a block and scored ≥ 0.05")
    flags = snap.contacts.filter(_joined("source", "source_id").is_in(_ids(keys)))["flags"]
    flagged = [
        f for f in flags.explode().drop_nulls().unique().sort().to_list() if f.endswith(":hub")
    ]
    out.append(
        "  hub guard: "
        + (
            f"values {', '.join(flagged)} are shared by too many people and were not compared"
            if flagged
            else "no hub values here"
        )
    )
    if profile["status"] == "review":
        out.append(
            "  review: its cluster was larger than the size limit ([resolution] "
            "max_cluster_size); the contacts are published apart until an operator decides"
        )
    decided = list(decisions_about(home, keys))
    out.append("  operator decisions: " + ("none" if not decided else ""))
    out += decided
    return "\n".join(out)


def explain_pair(home: Path, a: Key, b: Key) -> str:
    snap = load(home)
    member_of = dict(
        ((s, i), p)
        for p, s, i in snap.members.select("profile_id", "source", "source_id").iter_rows()
    )
    for k in (a, b):
        if k not in member_of:
            raise NotFoundError(
                f"contact {_name(k)} is not in the published snapshot "
                f"({snap.path.name}); see {home}/current/members.parquet"
            )
    same = member_of[a] == member_of[b]
    out = [
        _contact_line(snap, a).strip() + f"  (profile {member_of[a]})",
        _contact_line(snap, b).strip() + f"  (profile {member_of[b]})",
        f"same profile: {'yes' if same else 'no'}",
    ]
    lo, hi = sorted((a, b))
    row = snap.reasons.filter(
        (
            (pl.col("source_l") == lo[0])
            & (pl.col("source_id_l") == lo[1])
            & (pl.col("source_r") == hi[0])
            & (pl.col("source_id_r") == hi[1])
        )
        | (
            (pl.col("source_l") == hi[0])
            & (pl.col("source_id_l") == hi[1])
            & (pl.col("source_r") == lo[0])
            & (pl.col("source_id_r") == lo[1])
        )
    ).collect()
    weights = NameWeights.of_stats(snap.model.get("stats", {}))
    if row.height:
        out.append(_pair_line(row.row(0, named=True), snap.threshold).lstrip())
        rule = snap.kept_apart_row(a, b)
        if rule is not None:
            words = kept_apart_words(rule, weights.rare_name)
            out.append(
                f"this pair's own link was dropped: {words}; they are in one profile through "
                "other contacts or a decision"
                if same
                else f"kept apart: {words}"
            )
    else:
        model = MatchModel.load(snap.path)
        recs = {
            k: parse_record(
                snap.contacts.filter((pl.col("source") == k[0]) & (pl.col("source_id") == k[1]))[
                    "match_record"
                ][0]
            )
            for k in (a, b)
        }
        blocks = {k: sorted({key for key, _ in model.blocks([(0, recs[k])])}) for k in (a, b)}
        shared = sorted(set(blocks[a]) & set(blocks[b]))
        if not shared:
            out.append("never compared: no shared block")
            for k in (a, b):
                out.append(f"  block keys of {_name(k)}: {', '.join(blocks[k]) or '(none)'}")
        else:
            got = score_pairs(model, [(recs[a], recs[b])])
            fields, matrix = field_weights(model)
            contrib = contributions(got.features, matrix)[0]
            score = float(got.score[0])
            out.append(
                f"shared block(s) {', '.join(shared)}, but no kept score: the pair scores "
                f"{score:.3f} now (pairs below 0.05 are not kept) or its block was larger "
                "than [resolution] max_block_size"
            )
            reasons = ranked_reasons(
                {"w_" + f: float(c) for f, c in zip(fields, contrib, strict=True)}
            )
            out.append("  " + format_reasons(reasons))
    out.append(f"name weights of this home ({weights.source}): {weights.describe()}")
    decided = list(decisions_about(home, {a, b}))
    out += ["operator decisions:" + (" none" if not decided else "")] + decided
    return "\n".join(out)
