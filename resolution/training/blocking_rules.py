"""Learning the blocking rules: which predicates put duplicates in a common block, cheaply.

The rules are learned on a seeded sample of records (dedupe's learner materialises every pair
each candidate predicate covers in its sample, so the sample bounds its memory), then applied
to every record by the trained model's fingerprinter (``resolution.linking.blocking``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import dedupe
import dedupe.predicates as P
from dedupe import branch_and_bound

from resolution._typing import Pair, Record
from resolution.errors import ModelError

# A conjunction is only worth considering when each part covers this share of the matches.
CONJUNCTION_MIN_SHARE = 0.01
# Node budget of dedupe's branch-and-bound search for the cheapest covering rule set.
SEARCH_CALLS = 2500
# No blocking rule may make more than this many candidate pairs per record (estimated on the
# training sample): candidate pairs, scoring time and memory then grow linearly with the data.
MAX_PAIRS_PER_RULE_RECORD = 10


def rule_budget(sample_size: int, n_records: int) -> float:
    """Most pairs a rule may cover in a sample of ``sample_size`` of ``n_records`` records.

    A rule making k pairs per record makes k·N pairs on N records, of which a uniform sample of
    n records sees k·N·(n/N)² = k·n²/N.
    """
    return MAX_PAIRS_PER_RULE_RECORD * sample_size**2 / max(n_records, sample_size, 1)


def learn_blocking(
    block_learner: Any, matches: list[Pair], recall: float, budget: float = float("inf")
) -> tuple[Any, ...]:
    """The cheapest set of blocking rules (single predicates or pairs) covering ``recall`` of the
    matches, cost measured on the learner's record sample.

    dedupe's own learner draws 5,000 random-forest conjunctions, which took minutes here; all
    pairwise conjunctions of useful predicates are fewer, deterministic and cover the same ground.
    Rules covering more than ``budget`` sample pairs are not considered (on fake_20000 a
    commonFourGram rule alone made 2.7M candidate pairs for 20k records); the recall target
    drops to what the affordable rules can cover.
    """
    comparison_cover = block_learner.comparison_cover
    # Only the fields' own predicates: dedupe also offers "the field exists", which covers
    # every pair with the value on both sides (no blocking at all) and cannot be saved.
    match_cover = {
        p: c
        for p, c in block_learner.cover(matches, index_predicates=False).items()
        if p in comparison_cover and isinstance(p, P.SimplePredicate)
    }
    if not match_cover:
        raise ModelError("no blocking rule covers any matched training pair")
    candidates: dict[Any, frozenset[int]] = {}
    for pred in sorted(match_cover, key=repr):
        pred.cover_count = len(comparison_cover[pred])
        if pred.cover_count <= budget:
            candidates[pred] = match_cover[pred]
    useful = [
        p
        for p in sorted(match_cover, key=repr)
        if len(match_cover[p]) >= CONJUNCTION_MIN_SHARE * len(matches)
    ]
    for a, b in itertools.combinations(useful, 2):
        if a.field == b.field:
            continue
        covered = match_cover[a] & match_cover[b]
        if covered:
            compound = P.CompoundPredicate((a, b))
            compound.cover_count = len(comparison_cover[a] & comparison_cover[b])
            if compound.cover_count <= budget:
                candidates[compound] = covered
    if not candidates:
        raise ModelError("no blocking rule within the pair budget covers a matched training pair")
    coverable = frozenset.union(*candidates.values())
    target = min(int(recall * len(matches)), len(coverable))
    return tuple(branch_and_bound.search(candidates, target, SEARCH_CALLS))


# At most this many blocked sample pairs are examined for hard negatives (memory stays flat:
# 25 rules over 20,000 records once made tens of millions of pairs and a 21 GB peak).
MAX_NEIGHBOUR_PAIRS = 200_000


def sample_neighbours(
    predicates: Sequence[Any],
    sample: dict[int, Record],
    max_block: int = 100,
    max_pairs: int = MAX_NEIGHBOUR_PAIRS,
) -> list[tuple[int, int]]:
    """Record-id pairs (l < r) the blocking rules put together within the sample, sorted.

    When the blocks hold more than ``max_pairs`` pairs, a deterministic 1-in-k subset of them
    is kept (chosen by the record ids, so the same input gives the same pairs).
    """
    blocks: dict[str, list[int]] = {}
    for key, record_id in dedupe.blocking.Fingerprinter(list(predicates))(sorted(sample.items())):
        blocks.setdefault(key, []).append(int(record_id))  # the sample's keys are record ids
    groups = [sorted(set(ids)) for ids in blocks.values() if len(ids) <= max_block]
    total = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    k = max(1, -(-total // max_pairs))
    pairs = {
        (a, b)
        for ids in groups
        for a, b in itertools.combinations(ids, 2)
        if (a * 1_000_003 + b) % k == 0
    }
    return sorted(pairs)
