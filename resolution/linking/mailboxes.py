"""Namesakes' mailboxes: an e-mail local part on two mailboxes repeats the name, not the person.

People build their addresses from their names (``nikita.smirnov@mail.ru``), so two contacts on
two different mailboxes with one local part agree on little more than the name the local part
spells, and the more contacts bear that name, the likelier they are two of its bearers. The
model, taught by seeds that share an identifier, scores such pairs 0.6-0.9 whatever the name's
frequency: on generated seed 9090 (3e7f96e) they were one person 74 % of the time at 20,000
people and 26 % at 200,000, falling with the number of contacts bearing the pair's name (51 %
at 3-5, 28 % at 12-14, 11 % above 30, at 200,000).

So, as the name-only guard (``resolution.matching.guard``) weighs a name by its frequency, a
pair that only names and an equal local part of two different mailboxes connect keeps its edge
only while its names are rare enough to tell their bearers apart: a name borne by more contacts
than the home's ``NameWeights.rare_name`` (the count above which no context can lift a shared
name to the guard's pass odds) makes the local part the namesakes' evidence, and the edge is
dropped before clustering. Frequencies are counted over the whole home, so every run weighs
alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import jellyfish
import polars as pl

from resolution.matching.fields import name_counts

# Two domains at least this similar (Jaro-Winkler) may be one typed wrong (``thomas.com`` and
# ``thoamas.com`` 0.96, ``mail.ru`` and ``mail.ry`` 0.94, fake_20000's ``williams.info`` and
# ``wolliams.infi`` 0.83): such addresses are not two mailboxes. The common providers differ
# more (``mail.ru`` and ``yandex.ru`` 0.67, ``gmail.com`` and ``mail.ru`` 0.76; ``hotmail.com``
# and ``gmail.com``, 0.87, are then left as they were).
DOMAIN_TYPO = 0.8

_HOLD_SCHEMA = {"record_id_l": pl.Int64, "record_id_r": pl.Int64, "people": pl.Int64}


def _mistyped(left: Sequence[str] | None, right: Sequence[str] | None) -> bool:
    """Whether some address of each side has the same local part and domains a typo apart."""
    for a in left or ():
        local, _, domain = a.rpartition("@")
        for b in right or ():
            local_r, _, domain_r = b.rpartition("@")
            if local == local_r and (
                jellyfish.jaro_winkler_similarity(domain, domain_r) >= DOMAIN_TYPO
            ):
                return True
    return False


def namesake_mailbox_pairs(
    contacts: pl.DataFrame,
    scored: pl.DataFrame,
    columns: Sequence[str],
    *,
    rare_name: int,
) -> pl.DataFrame:
    """(record_id_l, record_id_r) of ``scored`` that share an e-mail local part (column
    ``email_local``) on two different mailboxes and no value of ``columns`` (the identifiers
    and the nicknames), both named, of which a side's name is borne by more than ``rare_name``
    contacts, and whose addresses are not one mistyped (``DOMAIN_TYPO``)."""
    return namesake_mailbox_holds(contacts, scored, columns, rare_name=rare_name).select(
        "record_id_l", "record_id_r"
    )


def namesake_mailbox_holds(
    contacts: pl.DataFrame,
    scored: pl.DataFrame,
    columns: Sequence[str],
    *,
    rare_name: int,
    name_freq: pl.Series | None = None,
) -> pl.DataFrame:
    """``namesake_mailbox_pairs`` with (record_id_l, record_id_r, people): ``people`` the
    contacts bearing the commoner of the pair's two names. ``name_freq``: the contacts'
    ``name_counts``, when the caller has them."""
    if "email_local" not in contacts.columns or "name_key" not in contacts.columns:
        return pl.DataFrame(schema=_HOLD_SCHEMA)
    present = [c for c in columns if c in contacts.columns]
    freq = name_counts(contacts) if name_freq is None else name_freq
    side = contacts.select(
        "record_id",
        "email_local",
        freq.struct.field("n").alias("n"),
        *present,
    ).filter(pl.col("email_local").is_not_null())
    pairs = (
        scored.select("record_id_l", "record_id_r")
        .join(side, left_on="record_id_l", right_on="record_id")
        .join(side, left_on="record_id_r", right_on="record_id", suffix="_r")
        .filter(pl.col("email_local") == pl.col("email_local_r"))
    )
    for c in present:
        if isinstance(pairs.schema[c], pl.List):
            shares = pl.col(c).list.set_intersection(pl.col(f"{c}_r")).list.len() > 0
        else:
            shares = pl.col(c) == pl.col(f"{c}_r")
        pairs = pairs.filter(~shares.fill_null(False))
    # both sides named: a nameless side's local part is all it says of itself (such pairs were
    # one person every time on seed 9090), not a second bearer of the name
    common = pl.max_horizontal("n", "n_r") > rare_name
    common = pl.col("n").is_not_null() & pl.col("n_r").is_not_null() & common
    pairs = pairs.filter(common)
    if "emails" in pairs.columns:
        # two mailboxes, not one mistyped (``young.org`` and ``youogu.nrg``: one address)
        pairs = pairs.filter(
            pl.Series(
                [not _mistyped(a, b) for a, b in pairs.select("emails", "emails_r").iter_rows()],
                dtype=pl.Boolean,
            )
        )
    return (
        pairs.select(
            pl.col("record_id_l").cast(pl.Int64),
            pl.col("record_id_r").cast(pl.Int64),
            pl.max_horizontal("n", "n_r").cast(pl.Int64).alias("people"),
        )
        .unique()
        .sort("record_id_l", "record_id_r")
    )
