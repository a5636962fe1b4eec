"""Normalized contacts: every raw contact turned into match keys by the normalizers.

One row per contact with a dense ``record_id`` (assigned in (source, source_id) order, so the
same input always gets the same ids). Display values are kept beside the match keys: keys
decide matches, display values are what the profile shows.

Each column's *distinct* values go through their normalizer once (in worker processes when
there are many), and the answers are joined back onto the contacts; a contact's keys are then
put together from its cells with polars list expressions. Most cells repeat (names, cities,
channels), so this does a fraction of the per-row work, and none of it row by row in Python.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from typing import Any

import polars as pl

from normalizers.city import normalize_city
from normalizers.email import normalize_email
from normalizers.handle import normalize_handle, platform_of
from normalizers.name import completed_key, name_from_identifier, normalize_name
from normalizers.phone import PhoneKey, normalize_phones, phone_flags, ru_mobiles
from resolution.config import EdinConfig
from resolution.contract import NORMALIZED_CONTACTS, STR_LIST, conform

log = logging.getLogger("edin")

_EMAIL_SPLIT = re.compile(r"[;,\s]+")
_SET_SPLIT = re.compile(r"\s*[;,|]\s*")
PARALLEL_FROM = 50_000
"""Distinct values below which normalizing in this process beats starting workers (for the
first column that has so many; the others go to the workers then, whatever their number)."""
_CHUNK = 10_000

# --- one distinct cell value → the columns it contributes ---------------------------------------
# Phones come from three cells: the phone cell, a name cell holding a phone, and a WhatsApp
# handle. Each part gives all numbers in order and the non-generic ones, to be concatenated.
_PHONE_PART = {"all": STR_LIST, "match": STR_LIST, "flags": STR_LIST}


def _phone_columns(phones: Sequence[PhoneKey]) -> tuple[list[str], list[str], list[str]]:
    return (
        [p.e164 for p in phones],
        sorted(p.e164 for p in phones if not p.generic),
        ["phone:generic"] if any(p.generic for p in phones) else [],
    )


def _phone_part(raw: str | None, region: str) -> tuple[Any, ...]:
    return _phone_columns(normalize_phones(raw, default_region=region))


# What the phone normalizer saw in a phone cell that gave no number, kept as a flag on the
# contact (its raw cell stays in raw_contacts): an Excel-mangled number is never guessed.
_PHONE_CELL_FLAGS = ("excel_scientific", "too_long", "invalid")


def _phone_cell_part(raw: str | None, region: str) -> tuple[Any, ...]:
    phones, match, flags = _phone_part(raw, region)
    if raw and not phones:
        seen = phone_flags(raw, default_region=region)
        first = next((f for f in _PHONE_CELL_FLAGS if f in seen), None)
        if first is not None:
            flags = sorted([*flags, f"phone:{first}"])
    return phones, match, flags


# Flags counted in the normalize stage's metadata (and so in the run summary and in Dagster):
# values kept raw because they could not be read.
COUNTED_FLAGS = (
    "phone:excel_scientific",
    "phone:too_long",
    "phone:invalid",
    "created_at:unreadable",
)


def flag_counts(contacts: pl.DataFrame) -> dict[str, int]:
    """How many contacts carry each of ``COUNTED_FLAGS`` (metadata keys ``flagged_<flag>``)."""
    flags = contacts["flags"].explode().drop_nulls()
    counts = dict(flags.filter(flags.is_in(list(COUNTED_FLAGS))).value_counts().iter_rows())
    return {f"flagged_{f.replace(':', '_')}": int(counts.get(f, 0)) for f in COUNTED_FLAGS}


NAME_PART = {
    "display_name": pl.String(),
    "name_key": pl.String(),
    "given_key": pl.String(),
    "surname_key": pl.String(),
    "name_flags": STR_LIST,
    "name_phone_all": STR_LIST,
    "name_phone_match": STR_LIST,
    # what completing the name with a surname read from an identifier needs of it
    "_gender": pl.String(),
    "_surname_initial": pl.String(),
    "_has_surname": pl.Boolean(),
}


def _name_part(raw: str | None, region: str) -> tuple[Any, ...]:
    name = normalize_name(raw)
    if name is not None:
        return (
            name.display,
            name.key,
            name.given_key,
            name.surname_key,
            sorted(f"name:{f}" for f in name.flags),
            [],
            [],
            name.gender,
            name.surname_initial,
            name.surname is not None,
        )
    if not raw:
        return (None, None, None, None, [], [], [], None, None, None)
    # A phone typed as the name is phone evidence (REFERENCE.md, bad inputs).
    phones, match, flags = _phone_part(raw, region)
    no_name = (None, None, None, None, sorted(["name:no_evidence", *flags]), phones, match)
    return (*no_name, None, None, None)


def _email_part(raw: str | None) -> tuple[Any, ...]:
    if not raw:
        return ([], [], None, [])
    parts = [raw] if raw.count("@") <= 1 else _EMAIL_SPLIT.split(raw)
    emails = [e for e in (normalize_email(p) for p in parts if p) if e is not None]
    flags = {f"email:{f}" for e in emails for f in e.flags}
    flags.update("email:generic" for e in emails if e.generic)
    personal = [e for e in emails if not e.generic]
    return (
        [e.normalized for e in emails],
        sorted({e.key for e in personal}),
        personal[0].local if personal else None,
        sorted(flags),
    )


EMAIL_PART = {
    "emails_display": STR_LIST,
    "emails": STR_LIST,
    "email_local": pl.String(),
    "email_flags": STR_LIST,
}


def _handle_part(value: tuple[str | None, str | None], region: str) -> tuple[Any, ...]:
    raw, hint = value
    handle = normalize_handle(raw, platform_hint=hint)
    if handle is None:
        return ([], [], [], [], [])
    if handle.phone:
        phones, match, flags = _phone_part(handle.phone, region)
        return ([], [], flags, phones, match)
    if handle.kind == "user":
        return ([handle.key], [handle.nickname] if handle.nickname else [], [], [], [])
    return ([], [], [f"handle:{handle.kind}"], [], [])


HANDLE_PART = {
    "handles": STR_LIST,
    "nicknames": STR_LIST,
    "handle_flags": STR_LIST,
    "handle_phone_all": STR_LIST,
    "handle_phone_match": STR_LIST,
}


def _identifier_name_part(
    value: tuple[str | None, str | None, str | None, str | None, str | None],
) -> tuple[Any, ...]:
    """A name read from the e-mail local part, else from the nickname: the whole name of a
    contact with none, the surname of one whose typed name lacks it (``surname_from_identifier``
    of the typed name, given as its given key, gender and surname initial; ``None`` for a
    contact with no name)."""
    given_key, gender, initial, *texts = value
    for text in texts:
        found = name_from_identifier(text) if text else None
        if found is None:
            continue
        if given_key is None:
            return (found.key, found.given_key, found.surname_key, "name:from_identifier")
        key = completed_key(given_key, gender, initial, found)
        if key is not None:
            return (key, given_key, found.surname_key, "name:surname_from_identifier")
    return (None, None, None, None)


IDENTIFIER_NAME_PART = {
    "id_name_key": pl.String(),
    "id_given_key": pl.String(),
    "id_surname_key": pl.String(),
    "id_name_flag": pl.String(),
}


def _city_part(raw: str | None) -> tuple[Any, ...]:
    return (normalize_city(raw),)


# --- running the parts ---------------------------------------------------------------------------
_SEP = "\x1f"  # joins a list cell into one string: polars builds string columns far faster


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while. The normalizers make millions of
    short-lived objects and next to no cycles, and each collection walks their caches'
    hundreds of thousands of entries: a fifth of the normalizing time at a million contacts.
    The garbage of the pause is collected after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _apply(
    func: Callable[[Any], tuple[Any, ...]], schema: Mapping[str, pl.DataType], values: list[Any]
) -> pl.DataFrame:
    """``func`` of each value as a table of ``schema``'s columns, one row per value, its list
    cells joined by ``_SEP`` (``_frame`` splits them again).

    The table is built where ``func`` runs: a worker sends back a few Arrow columns that this
    process takes as they are, instead of a list of tuples to unpickle and turn into columns
    one cell at a time while the workers wait for it. List cells are joined at once: strings
    are no work for the garbage collector, a million lists kept to the end would be.
    """
    lists = {i for i, dtype in enumerate(schema.values()) if dtype == STR_LIST}
    cells: list[list[Any]] = [[] for _ in schema]
    with _collector_paused():
        for value in values:
            for i, cell in enumerate(func(value)):
                if i in lists:
                    cell = _SEP.join(cell) if cell else None
                cells[i].append(cell)
    return pl.DataFrame(
        [
            pl.Series(name, column, dtype=pl.Boolean() if dtype == pl.Boolean() else pl.String())
            for (name, dtype), column in zip(schema.items(), cells, strict=True)
        ]
    )


def _frame(tables: list[pl.DataFrame], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The answers of ``_apply`` as one polars table of ``schema``."""
    return pl.concat(tables).with_columns(
        pl.col(name).str.split(_SEP).fill_null(pl.lit([], dtype=STR_LIST))
        if dtype == STR_LIST
        else pl.col(name).cast(dtype)
        for name, dtype in schema.items()
    )


def worker_count(setting: int) -> int:
    if setting > 0:
        return setting
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _exit_at_once() -> None:
    """A worker ends without tearing down its interpreter: freeing the normalizers' caches
    object by object took seconds at a million contacts (the pool waits for its workers, and
    their memory stays taken until they are gone). Its answers are sent by then; it holds no
    files, and its standard streams are flushed first."""
    atexit.register(_exit_now)


def _exit_now() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with suppress(OSError, ValueError):
                stream.flush()
    os._exit(0)


class _Runner:
    """Maps part functions over distinct values, in worker processes when there are many.

    ``submit`` returns at once; work for every column is queued before any answer is read, so
    the workers stay busy while this process joins the answers it already has.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(
        self,
        func: Callable[[Any], tuple[Any, ...]],
        schema: Mapping[str, pl.DataType],
        values: list[Any],
    ) -> Callable[[], pl.DataFrame]:
        """Start ``_apply(func, schema, values)``; the returned callable waits for its answer.

        Once the workers run, every column goes to them, however few its values: this process
        has the joins to do meanwhile."""
        if self.workers <= 1 or (self.pool is None and len(values) < PARALLEL_FROM):
            return lambda: _frame([_apply(func, schema, values)], schema)
        if self.pool is None:
            # spawn, not fork: the parent runs polars' and DuckDB's thread pools.
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=get_context("spawn"), initializer=_exit_at_once
            )
        task = partial(_apply, func, schema)
        futures = [
            self.pool.submit(task, values[i : i + _CHUNK]) for i in range(0, len(values), _CHUNK)
        ]
        return lambda: _frame([f.result() for f in futures], schema)


def _phone_fast(distinct: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The phone part's columns for the plain Russian mobiles among ``distinct``, vectorized."""
    names = list(schema)
    e164, generic = pl.col("e164"), pl.col("generic")
    return (
        pl.concat([distinct, ru_mobiles(distinct["phone"])], how="horizontal")
        .filter(e164.is_not_null())
        .with_columns(
            pl.concat_list(e164).alias(names[0]),
            pl.when(generic)
            .then(pl.lit([], STR_LIST))
            .otherwise(pl.concat_list(e164))
            .alias(names[1]),
            pl.when(generic)
            .then(pl.lit(["phone:generic"], STR_LIST))
            .otherwise(pl.lit([], STR_LIST))
            .alias(names[2]),
        )
        .drop("e164", "generic")
    )


Fast = Callable[[pl.DataFrame, Mapping[str, pl.DataType]], pl.DataFrame]


@dataclass
class _Part:
    """One column's distinct values on their way through a normalizer."""

    keys: list[str]
    schema: Mapping[str, pl.DataType]
    distinct: pl.DataFrame  # the values the normalizer is working on
    answered: pl.DataFrame | None  # values a vectorized fast path already answered
    answers: Callable[[], pl.DataFrame]

    def join_onto(self, base: pl.DataFrame) -> pl.DataFrame:
        """``base`` with this part's columns, once the normalizer's answers are in."""
        table = pl.concat([self.distinct, self.answers()], how="horizontal")
        if self.answered is not None:
            table = pl.concat([self.answered, table])
        log.info("normalized %s distinct %s values", f"{table.height:,}", "/".join(self.keys))
        return base.join(table, on=self.keys, how="left", nulls_equal=True, maintain_order="left")


def _part(
    runner: _Runner,
    base: pl.DataFrame,
    keys: list[str],
    func: Callable[..., Any],
    schema: Mapping[str, pl.DataType],
    fast: Fast | None = None,
) -> _Part:
    """Start normalizing each distinct value of ``keys`` in ``base`` with ``func``.

    ``fast`` answers the common values of a column with polars expressions, all at once; the
    rest go through ``func`` one by one.
    """
    distinct = base.select(keys).unique(maintain_order=True)
    answered = fast(distinct, schema) if fast is not None else None
    if answered is not None:
        distinct = distinct.join(
            answered.select(keys), on=keys, how="anti", nulls_equal=True, maintain_order="left"
        )
    values = distinct.to_series().to_list() if len(keys) == 1 else distinct.rows()
    return _Part(keys, schema, distinct, answered, runner.submit(func, schema, values))


def normalize_contacts(contacts: pl.DataFrame, config: EdinConfig) -> pl.DataFrame:
    """The normalized_contacts table (plus ``f_<name>`` columns for configured extra fields)."""
    region = config.resolution.default_region
    base = contacts.sort("source", "source_id").with_columns(
        pl.int_range(0, pl.len(), dtype=pl.Int64).alias("record_id"),
        _platforms(contacts["source"]).alias("_hint"),
    )
    phone = {f"phone_{k}": v for k, v in _PHONE_PART.items()}
    with _Runner(worker_count(config.resolution.workers)) as runner:
        # The identifier names need the name, e-mail and handle parts: they are queued first,
        # so that the workers read the phones while this process prepares the identifiers.
        name = _part(runner, base, ["name"], partial(_name_part, region=region), NAME_PART)
        email = _part(runner, base, ["email"], _email_part, EMAIL_PART)
        handle = _part(
            runner, base, ["handle", "_hint"], partial(_handle_part, region=region), HANDLE_PART
        )
        phones = _part(
            runner,
            base,
            ["phone"],
            partial(_phone_cell_part, region=region),
            phone,
            fast=_phone_fast if region == "RU" else None,
        )
        city = _part(runner, base, ["city"], _city_part, {"city_key": pl.String()})
        df = handle.join_onto(email.join_onto(name.join_onto(base)))
        # A contact without a name may still have one in its address or nickname
        # ("tatyana_moiseeva_98"), one whose name lacks its surname the surname ("Анна" at
        # annakuznecova@…): weaker than a typed name, but name evidence all the same.
        wanted = pl.col("name_key").is_null() | (
            pl.col("given_key").is_not_null() & pl.col("surname_key").is_null()
        )
        # A typed name with a surname (whose key is empty) is never completed: its contact
        # reads no identifier. The typed name goes by what completing it reads of it, not by
        # its cell: the name is not parsed again, and "Анна", "анна" and "Анна!" are one value.
        typed = wanted & pl.col("name_key").is_not_null()
        completable = typed & pl.col("_has_surname").not_()
        reads = (wanted & typed.not_()) | completable
        df = df.with_columns(
            pl.when(completable).then("given_key").alias("_id_given"),
            pl.when(completable).then("_gender").alias("_id_gender"),
            pl.when(completable).then("_surname_initial").alias("_id_initial"),
            pl.when(reads).then("email_local").alias("_id_local"),
            pl.when(reads).then(pl.col("nicknames").list.first()).alias("_id_nick"),
        )
        identifier = _part(
            runner,
            df,
            ["_id_given", "_id_gender", "_id_initial", "_id_local", "_id_nick"],
            _identifier_name_part,
            IDENTIFIER_NAME_PART,
        )
        # what does not need the identifier names is done while the workers read them
        df = city.join_onto(phones.join_onto(df))
        groups = ("phone", "name_phone", "handle_phone")
        df = _union(df, [f"{g}_match" for g in groups], "phones")
        df = _union(df, [f"{g}_all" for g in groups], "phones_display", ordered=True)
        # a creation time that was given but could not be read is kept as missing, and said so
        unreadable = (
            pl.col("created_at").is_not_null() & pl.col("created_ts").is_null()
            if "created_at" in df.columns
            else pl.lit(False)
        )
        df = df.with_columns(
            pl.when(unreadable)
            .then(pl.lit(["created_at:unreadable"], STR_LIST))
            .otherwise(pl.lit([], STR_LIST))
            .alias("time_flags")
        )
        df = identifier.join_onto(df)
    found = pl.col("id_name_key").is_not_null()
    df = df.with_columns(
        pl.when(found).then("id_name_key").otherwise("name_key").alias("name_key"),
        pl.when(found).then("id_given_key").otherwise("given_key").alias("given_key"),
        pl.when(found).then("id_surname_key").otherwise("surname_key").alias("surname_key"),
        pl.when(found)
        .then(pl.concat_list(pl.col("id_name_flag")))
        .otherwise(pl.lit([], STR_LIST))
        .alias("id_name_flags"),
    )
    df = _union(
        df,
        ["name_flags", "id_name_flags", "phone_flags", "email_flags", "handle_flags", "time_flags"],
        "flags",
    )
    out = df.select(
        "record_id",
        "source",
        "source_id",
        "display_name",
        "name_key",
        "given_key",
        "surname_key",
        "phones",
        "emails",
        "handles",
        "nicknames",
        "email_local",
        "city",
        "city_key",
        pl.col("created_ts").alias("created_at"),
        "flags",
        "phones_display",
        "emails_display",
        pl.col("handles").alias("handles_display"),
    )
    out = conform(out, NORMALIZED_CONTACTS, "normalized_contacts")
    extras = [_extra(df[f.column], f.type).alias(f.column) for f in config.fields]
    return out.with_columns(extras) if extras else out


def _platforms(sources: pl.Series) -> pl.Expr:
    """The platform code of each contact's source (``normalizers.handle.platform_of``): the
    platform a bare handle such as ``ivan_petrov`` is read on."""
    codes = {s: platform_of(s) for s in sources.unique().drop_nulls().to_list()}
    return pl.col("source").replace_strict(codes, default=None, return_dtype=pl.String)


def _union(
    df: pl.DataFrame, columns: list[str], name: str, *, ordered: bool = False
) -> pl.DataFrame:
    """``df`` with ``name``: the union of the list ``columns``, sorted (each part's lists are),
    or in first-seen order. Only the few rows with values in two or more lists are merged:
    list operations over every row cost seconds at a million contacts."""
    filled = pl.sum_horizontal(pl.col(c).list.len().gt(0) for c in columns)
    only = pl.coalesce(
        *(pl.when(pl.col(c).list.len() > 0).then(c) for c in columns), pl.lit([], STR_LIST)
    )
    merged = pl.concat_list(columns).list.unique(maintain_order=ordered)
    merged = merged if ordered else merged.list.sort()
    several = (
        df.lazy()
        .select("record_id", *columns)
        .filter(filled > 1)
        .select("record_id", merged.alias("_merged"))
        .collect()
    )
    return (
        df.join(several, on="record_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_merged", only).alias(name))
        .drop("_merged")
    )


def _extra(col: pl.Series, ftype: str) -> pl.Series:
    cleaned = col.str.strip_chars().str.to_lowercase()
    if ftype == "set":
        return cleaned.map_elements(
            lambda v: sorted(set(_SET_SPLIT.split(v)) - {""}), return_dtype=pl.List(pl.String)
        )
    return cleaned
