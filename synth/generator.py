"""``generate(persons, seed)``: contacts, interactions and ground truth; ``write_dataset``.

Determinism: one ``random.Random(seed)`` drives the per-person / per-contact choices in a fixed
order, one ``numpy.random.Generator`` (seeded from the same seed) the vectorised parts (ids,
interactions).  No set or dict iteration order, no ``hash()``: the same (persons, seed) gives
byte-identical files.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from random import Random

import numpy as np
import polars as pl

from synth.config import CONFIG, SOCIAL, SOURCES, SynthConfig
from synth.lexicon import BOT_OPERATOR, OPERATORS, SUBJECTS, Weighted, load
from synth.people import DAY, make_people
from synth.render import ContactRenderer

CONTACT_COLUMNS = ("source", "source_id", "name", "email", "phone", "handle", "city", "created_at")
INTERACTION_COLUMNS = (
    "source",
    "source_id",
    "interaction_id",
    "started_at",
    "channel",
    "subject",
    "rating",
    "operator",
)
TRUTH_COLUMNS = ("source", "source_id", "entity_id")


@dataclass(frozen=True)
class Dataset:
    contacts: pl.DataFrame  # source, source_id, name, email, phone, handle, city, created_at
    interactions: pl.DataFrame  # source, source_id, interaction_id, started_at, channel, subject,
    #                              rating, operator
    truth: pl.DataFrame  # source, source_id, entity_id


class _TzTable:
    """Distinct (offset minutes, suffix, millis) timestamp styles, indexed by a small int."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, bool]] = []
        self.index: dict[tuple[int, str, bool], int] = {}

    def get(self, offset_min: int, suffix: str, millis: bool) -> int:
        key = (offset_min, suffix, millis)
        i = self.index.get(key)
        if i is None:
            i = self.index[key] = len(self.rows)
            self.rows.append(key)
        return i

    def style(self, name: str, city_offset_h: int) -> int:
        if name == "moscow":
            return self.get(180, "+03:00", False)
        if name == "local":
            sign = "+" if city_offset_h >= 0 else "-"
            return self.get(city_offset_h * 60, f"{sign}{abs(city_offset_h):02d}:00", False)
        if name == "utc_z":
            return self.get(0, "Z", False)
        if name == "naive":
            return self.get(180, "", False)
        if name == "millis":
            return self.get(180, "+03:00", True)
        raise ValueError(f"unknown timestamp style {name!r}")


def _format_ts(
    secs: np.ndarray, tzi: np.ndarray, table: _TzTable, gen: np.random.Generator
) -> pl.Series:
    offsets = np.array([r[0] for r in table.rows], dtype=np.int64) * 60
    millis = np.array([r[2] for r in table.rows], dtype=bool)
    local = secs.astype(np.int64) + offsets[tzi]
    ms = gen.integers(0, 1000, size=len(secs))
    df = pl.DataFrame(
        {"local": local, "tzi": tzi.astype(np.int64), "ms": np.where(millis[tzi], ms, -1)}
    )
    out = df.select(
        (
            pl.from_epoch("local", time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S")
            + pl.when(pl.col("ms") >= 0)
            .then(pl.lit(".") + pl.col("ms").cast(pl.String).str.zfill(3))
            .otherwise(pl.lit(""))
            + pl.col("tzi").replace_strict(
                list(range(len(table.rows))), [r[1] for r in table.rows], return_dtype=pl.String
            )
        ).alias("ts")
    )
    return out.get_column("ts")


def _sequential_ids(
    prefix: str, order_key: np.ndarray, gen: np.random.Generator, width: int
) -> list[str]:
    """Ticket-like ids that grow with time, with gaps (other tickets are not in the export)."""
    n = len(order_key)
    if n == 0:
        return []
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.argsort(order_key, kind="stable")] = np.arange(n)
    numbers = int(gen.integers(1000, 50000)) + np.cumsum(gen.integers(1, 6, size=n))
    numbers = numbers[ranks]
    return [f"{prefix}{x:0{width}d}" for x in numbers.tolist()]


def generate(persons: int, seed: int = 0, config: SynthConfig | None = None) -> Dataset:
    """Synthetic contacts of ``persons`` people with ground truth (see the package docs)."""
    if persons < 0:
        raise ValueError("persons must be >= 0")
    # millions of small objects: the cyclic GC would rescan them again and again
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(persons, seed, config or CONFIG)
    finally:
        if was_enabled:
            gc.enable()


def _generate(persons: int, seed: int, cfg: SynthConfig) -> Dataset:
    rng = Random(seed)
    gen = np.random.default_rng([seed, 20251123])
    lex = load()
    people, factory = make_people(persons, rng, cfg, lex)
    renderer = ContactRenderer(rng, cfg, lex, factory.users)
    tz = _TzTable()
    ts_styles = Weighted(cfg.ts_styles)

    src_w = [cfg.source_weights[s] for s in SOURCES]
    src_pick = Weighted(zip(range(len(SOURCES)), src_w, strict=True))
    social = [s in SOCIAL for s in SOURCES]
    wa = SOURCES.index("whatsapp")
    boost, damp = cfg.favourite_boost, cfg.social_repeat_damping

    c_src: list[int] = []
    c_sid: list[str] = []
    c_name: list[str] = []
    c_email: list[str] = []
    c_phone: list[str] = []
    c_handle: list[str] = []
    c_city: list[str] = []
    c_t: list[int] = []
    c_tz: list[int] = []
    c_ent: list[str] = []
    contact = renderer.contact
    for p in people:
        weights = list(src_w)
        for _ in range(cfg.favourite_sources):
            weights[src_pick.pick(rng)] *= boost
        if p.mobile is None and p.old_mobile is None:
            weights[wa] = 0.0
        counts = [0] * len(SOURCES)
        city_offset = p.city.utc_offset
        for t in p.times:
            ws = [w * (damp ** counts[i] if social[i] else 1.0) for i, w in enumerate(weights)]
            r = rng.random() * sum(ws)
            si = 0
            acc = ws[0]
            while r >= acc and si < len(ws) - 1:
                si += 1
                acc += ws[si]
            source = SOURCES[si]
            sid, name, email, phone, handle, city = contact(p, source, t, counts[si])
            counts[si] += 1
            c_src.append(si)
            c_sid.append(sid)
            c_name.append(name)
            c_email.append(email)
            c_phone.append(phone)
            c_handle.append(handle)
            c_city.append(city)
            c_t.append(t)
            c_tz.append(tz.style(ts_styles.pick(rng), city_offset))
            c_ent.append(p.entity_id)

    src = np.array(c_src, dtype=np.int64)
    t_arr = np.array(c_t, dtype=np.int64)
    tz_arr = np.array(c_tz, dtype=np.int64)
    # ticket / call ids grow with time
    width = max(6, len(str(len(src) * 6 + 50000)))
    for s, prefix in (("email", "em-"), ("phone", "call-")):
        idx = np.flatnonzero(src == SOURCES.index(s))
        ids = _sequential_ids(
            prefix, t_arr[idx] * 1000 + gen.integers(0, 1000, len(idx)), gen, width
        )
        for i, sid in zip(idx.tolist(), ids, strict=True):
            c_sid[i] = sid

    created = _format_ts(t_arr, tz_arr, tz, gen) if len(src) else pl.Series([], dtype=pl.String)
    frame = pl.DataFrame(
        {
            "source": pl.Series(c_src, dtype=pl.Int64).replace_strict(
                list(range(len(SOURCES))), list(SOURCES), return_dtype=pl.String
            ),
            "source_id": pl.Series(c_sid, dtype=pl.String),
            "name": pl.Series(c_name, dtype=pl.String),
            "email": pl.Series(c_email, dtype=pl.String),
            "phone": pl.Series(c_phone, dtype=pl.String),
            "handle": pl.Series(c_handle, dtype=pl.String),
            "city": pl.Series(c_city, dtype=pl.String),
            "created_at": created,
            "entity_id": pl.Series(c_ent, dtype=pl.String),
            "_src": src,
            "_t": t_arr,
            "_tz": tz_arr,
        }
    ).sort(["_src", "_t", "source_id"])

    interactions = _interactions(frame, cfg, tz, gen)
    contacts = frame.select(CONTACT_COLUMNS)
    truth = frame.select(TRUTH_COLUMNS)
    return Dataset(contacts, interactions, truth)


def _choice(gen: np.random.Generator, table, size: int) -> np.ndarray:
    w = np.array([float(x) for _, x in table])
    return gen.choice(len(table), size=size, p=w / w.sum())


def _interactions(
    frame: pl.DataFrame, cfg: SynthConfig, tz: _TzTable, gen: np.random.Generator
) -> pl.DataFrame:
    n = frame.height
    if n == 0:
        return pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in INTERACTION_COLUMNS})
    src = frame.get_column("_src").to_numpy()
    t = frame.get_column("_t").to_numpy()
    tzi = frame.get_column("_tz").to_numpy()
    values = np.array([v for v, _ in cfg.interactions_per_contact], dtype=np.int64)
    counts = values[_choice(gen, cfg.interactions_per_contact, n)]
    row_contact = np.repeat(np.arange(n), counts)
    total = len(row_contact)
    starts = np.cumsum(counts) - counts
    row_src = src[row_contact]
    scale = np.array([cfg.interaction_gap_days[s] * DAY for s in SOURCES])[row_src]
    gaps = gen.exponential(1.0, total) * scale + gen.integers(30, 600, total)
    gaps[starts] = gen.integers(0, 180, n)  # the first interaction opens the contact
    cs = np.cumsum(gaps)
    offset = cs - np.repeat(cs[starts] - gaps[starts], counts)
    limit = cfg.window[1] + 30 * DAY
    started = np.minimum(
        t[row_contact] + offset.astype(np.int64), np.maximum(limit, t[row_contact])
    )

    channel = np.empty(total, dtype=object)
    for si, s in enumerate(SOURCES):
        mask = row_src == si
        k = int(mask.sum())
        if k:
            table = cfg.channels[s]
            names = np.array([c for c, _ in table], dtype=object)
            channel[mask] = names[_choice(gen, table, k)]
    subj_names = np.array([s for s, _ in SUBJECTS], dtype=object)
    subject = subj_names[_choice(gen, SUBJECTS, total)]
    rate_names = np.array([r for r, _ in cfg.ratings], dtype=object)
    rating = rate_names[_choice(gen, cfg.ratings, total)]
    ops = np.array(OPERATORS, dtype=object)
    operator = ops[gen.integers(0, len(ops), total)]
    bot = (np.isin(channel, ["chat", "message"])) & (gen.random(total) < cfg.bot_operator)
    operator[bot] = BOT_OPERATOR

    ts = _format_ts(started, tzi[row_contact], tz, gen)
    order = np.lexsort((np.arange(total), started))
    ids = np.empty(total, dtype=np.int64)
    ids[order] = np.arange(1, total + 1)
    width = max(8, len(str(total)))
    df = pl.DataFrame(
        {
            "source": frame.get_column("source").gather(row_contact),
            "source_id": frame.get_column("source_id").gather(row_contact),
            "interaction_id": pl.Series(ids).cast(pl.String).str.zfill(width),
            "started_at": ts,
            "channel": pl.Series(channel.tolist(), dtype=pl.String),
            "subject": pl.Series(subject.tolist(), dtype=pl.String),
            "rating": pl.Series(rating.tolist(), dtype=pl.String),
            "operator": pl.Series(operator.tolist(), dtype=pl.String),
            "_order": ids,
        }
    )
    return (
        df.with_columns((pl.lit("it-") + pl.col("interaction_id")).alias("interaction_id"))
        .sort("_order")
        .select(INTERACTION_COLUMNS)
    )


def write_dataset(ds: Dataset, out_dir: Path) -> dict[str, Path]:
    """contacts.csv, interactions.csv, truth.csv (UTF-8, header, empty string = missing)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in (
        ("contacts", ds.contacts),
        ("interactions", ds.interactions),
        ("truth", ds.truth),
    ):
        path = out_dir / f"{name}.csv"
        # empty string -> null written as an unquoted empty field (polars quotes "" otherwise)
        df.select(
            pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in df.columns
        ).write_csv(path, include_header=True, line_terminator="\n", null_value="")
        paths[name] = path
    return paths
