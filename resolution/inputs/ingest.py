"""Reading channel exports onto the input contract, with a quarantine for rows that cannot be used.

Every input row ends either in the returned contacts/interactions or in the quarantine with a
reason; nothing is dropped silently (DESIGN.md invariant 1).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import polars as pl

from resolution.config import EdinConfig, InputSpec
from resolution.contract import (
    CONTACT_COLUMNS,
    INTERACTION_COLUMNS,
    QUARANTINE,
    RATINGS,
    REQUIRED_CONTACT_COLUMNS,
    REQUIRED_INTERACTION_COLUMNS,
)
from resolution.errors import ContractError, InputError
from resolution.inputs.reader import CHUNK_BYTES, SUFFIXES, Broken, read_rows

log = logging.getLogger("edin")

NULL_TOKENS = frozenset({"", "null", "none", "n/a", "na", "nan", "nil", "#n/a"})
# Only a cell this short is lowercased and looked up among them (a 2M-row file's cells are
# not all lowercased): the tokens are ASCII, and no longer text lowercases into one (the only
# multi-byte letter whose lowercase is ASCII is the Kelvin sign, and no token holds a "k").
_NULL_TOKEN_BYTES = max(len(t.encode()) for t in NULL_TOKENS)
MAX_FIELD_CHARS = 1000
# Table files a folder may hold that are not read: named, not skipped.
UNREADABLE_TABLES = {
    ".xlsx": "save it as CSV UTF-8",
    ".xls": "save it as CSV UTF-8",
    ".ods": "save it as CSV UTF-8",
    ".tsv": "name it .csv (tabs are understood)",
    ".gz": "unpack it",
    ".zip": "unpack it",
}
# Interaction cells that identify a row: too long, the row is quarantined (others are cut).
_INTERACTION_KEYS = frozenset({"source", "source_id", "interaction_id", "_known"})
# Naive timestamps are read as Moscow time, the usual default of Russian helpdesk exports.
DEFAULT_TZ = timezone(timedelta(hours=3))


@dataclass(frozen=True)
class Ingested:
    contacts: pl.DataFrame  # contract columns (+ f_<extra field>), input_file, input_row
    interactions: pl.DataFrame
    quarantine: pl.DataFrame
    files: tuple[str, ...]
    # values that could not be read, kept as missing (a flag on the contact where it has flags):
    # created_at, started_at, rating
    unreadable: dict[str, int] = field(default_factory=dict)
    # rows of the files read (their quarantined ones included) and, of them, those that could
    # not be split into the header's columns (ragged CSV rows, broken JSON lines, bad bytes)
    rows_in: int = 0
    broken_rows: int = 0
    # interaction cells cut to MAX_FIELD_CHARS (the interaction kept), by column
    capped: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """What ingest read, broke, cut and could not read: the stage's metadata."""
        return {
            "rows_in": self.rows_in,
            "broken_rows": self.broken_rows,
            **{f"unreadable_{col}": n for col, n in self.unreadable.items()},
            **{f"capped_{col}": n for col, n in self.capped.items()},
        }


def discover(inputs: list[Path], config: EdinConfig) -> list[tuple[Path, InputSpec]]:
    """Match input files and folders against the configured patterns, in a stable order."""
    found: dict[Path, InputSpec] = {}
    for root in inputs:
        root = Path(root)
        if not root.exists():
            raise InputError(f"input {root} does not exist")
        if root.is_file():
            spec = _spec_for(root.name, config) or _spec_for(str(root), config)
            if spec is None:
                raise InputError(
                    f"{root}: cannot tell whether it holds contacts or interactions; name it "
                    "contacts.csv / interactions.csv or add an [[inputs]] pattern for it"
                )
            found.setdefault(root, spec)
            continue
        for spec in config.inputs:
            for path in sorted(root.glob(spec.pattern)):
                if not path.is_file():
                    continue
                if path.suffix.lower() in SUFFIXES:
                    found.setdefault(path, spec)
                elif path.suffix.lower() in UNREADABLE_TABLES:
                    # skipping it would lose its rows without a word
                    raise InputError(
                        f"{path}: a {path.suffix} file is not read; "
                        f"{UNREADABLE_TABLES[path.suffix.lower()]}, or move it out of {root}"
                    )
    if not found:
        patterns = ", ".join(s.pattern for s in config.inputs)
        raise InputError(
            f"no input files found in {', '.join(map(str, inputs))} (looked for {patterns})"
        )
    return sorted(found.items(), key=lambda kv: str(kv[0]))


def _spec_for(name: str, config: EdinConfig) -> InputSpec | None:
    for spec in config.inputs:
        pattern = spec.pattern.removeprefix("**/")
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name, spec.pattern):
            return spec
    return None


def _mapped(df: pl.DataFrame, columns: tuple[str, ...]) -> pl.Expr:
    if len(columns) == 1:
        return pl.col(columns[0])
    return pl.concat_str([pl.col(c) for c in columns], separator=" ", ignore_nulls=True)


def _conform_file(
    df: pl.DataFrame, path: Path, spec: InputSpec, config: EdinConfig
) -> pl.DataFrame:
    """Map one file's columns onto the contract (+ extra fields) or raise a clear error."""
    contract = CONTACT_COLUMNS if spec.kind == "contacts" else INTERACTION_COLUMNS
    required = REQUIRED_CONTACT_COLUMNS if spec.kind == "contacts" else REQUIRED_INTERACTION_COLUMNS
    exprs = []
    for col in contract:
        sources = spec.columns.get(col, (col,))
        absent = [c for c in sources if c not in df.columns]
        if col == "source" and absent and spec.source:
            exprs.append(pl.lit(spec.source, pl.String).alias(col))
        elif absent and (col in required or col in spec.columns):
            hint = (
                f'add the column or set `source = "vk"` in the [[inputs]] entry for '
                f'"{spec.pattern}"'
                if col == "source"
                else f'map it in the config: [[inputs]] pattern = "{spec.pattern}", '
                f'columns.{col} = "<your column>"'
            )
            found = [c for c in df.columns if c != "input_row"]
            raise ContractError(
                f"column `{absent[0]}` (contract `{col}`) missing in {path}; "
                f"{hint}. Columns found: {', '.join(found) or 'none'}"
            )
        elif absent:
            exprs.append(pl.lit(None, pl.String).alias(col))
        else:
            exprs.append(_mapped(df, sources).alias(col))
    if spec.kind == "contacts":
        for extra in config.fields:
            absent = [c for c in extra.columns if c not in df.columns]
            if absent:
                exprs.append(pl.lit(None, pl.String).alias(extra.column))
            else:
                exprs.append(_mapped(df, extra.columns).alias(extra.column))
    out = df.select(exprs)
    # Empty strings and null tokens are missing values; surrounding blanks are never meaningful.
    out = out.with_columns(pl.col(c).str.strip_chars() for c in out.columns)
    out = out.with_columns(
        pl.when(pl.col(c).str.len_bytes() <= _NULL_TOKEN_BYTES)
        .then(
            pl.when(pl.col(c).str.to_lowercase().is_in(list(NULL_TOKENS)))
            .then(None)
            .otherwise(pl.col(c))
        )
        .otherwise(pl.col(c))
        .alias(c)
        for c in out.columns
    )
    return out.with_columns(pl.lit(str(path)).alias("input_file"), df["input_row"])


def _broken_rows(broken: tuple[Broken, ...], path: Path, kind: str) -> pl.DataFrame:
    """The quarantine rows of a file's rows that could not be split into its columns."""
    return pl.DataFrame(
        {
            "kind": [kind] * len(broken),
            "source": [None] * len(broken),
            "source_id": [None] * len(broken),
            "input_file": [str(path)] * len(broken),
            "input_row": [b.line for b in broken],
            "reason": [b.reason for b in broken],
            "payload": [json.dumps({"raw": b.text}, ensure_ascii=False) for b in broken],
        },
        schema=QUARANTINE,
    )


# Dates as Russian exports (and Excel set to Russian) write them: 01.05.2024 [10:00[:00]].
_RUSSIAN_FORMATS = ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")


def _russian_date(text: str) -> datetime | None:
    for fmt in _RUSSIAN_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_timestamp(value: str | None) -> datetime | None:
    """ISO 8601 (offset, 'Z' or naive = Moscow time) or ``01.05.2024 [10:00[:00]]`` (Moscow
    time) to an aware UTC datetime; junk gives None."""
    if not value:
        return None
    text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
    ts: datetime | None
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        ts = _russian_date(value.strip())
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=DEFAULT_TZ)
    return ts.astimezone(UTC)


# The common ISO 8601 forms (seconds, maybe a fraction, an offset, "Z" or none), parsed by polars
# at once; anything else goes through ``parse_timestamp`` one distinct value at a time. A million
# contacts and their interactions hold millions of distinct times: that was half of ingest.
_ISO = r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
_ISO_NAIVE = _ISO + "$"
_ISO_AWARE = _ISO + r"(Z|[+-]\d{2}:\d{2})$"
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
_MOSCOW = "+03:00"  # DEFAULT_TZ as an ISO offset


def _timestamps(col: pl.Series) -> pl.Series:
    """``parse_timestamp`` of every value (equal results, tested), vectorized where it can be."""
    text = pl.col("v")
    aware = (
        pl.when(text.str.contains(_ISO_NAIVE))
        .then(text + _MOSCOW)
        .when(text.str.contains(_ISO_AWARE))
        .then(text.str.replace(r"Z$", "+00:00"))
    )
    frame = (
        col.rename("v")
        .to_frame()
        .with_columns(
            aware.str.to_datetime(_ISO_FORMAT, time_zone="UTC", time_unit="us", strict=False).alias(
                "fast"
            )
        )
    )
    rest = frame.filter(pl.col("fast").is_null() & pl.col("v").is_not_null())["v"].unique()
    if rest.len() == 0:
        return frame["fast"].rename(col.name)
    mapping = {v: parse_timestamp(v) for v in rest.to_list()}
    slow = frame["v"].replace_strict(mapping, default=None, return_dtype=pl.Datetime("us", "UTC"))
    return frame["fast"].fill_null(slow).rename(col.name)


def _text_columns(df: pl.DataFrame) -> list[str]:
    return [c for c, t in df.schema.items() if t == pl.String and c != "input_file"]


def _too_long(df: pl.DataFrame, columns: list[str] | None = None) -> list[tuple[pl.Expr, str]]:
    """One check per text column: a cell longer than ``MAX_FIELD_CHARS``. No identifier or
    field of a contact is that long, and a 10 MB cell would be copied into every table after
    it: the row is quarantined with the cell cut (``_capped``)."""
    return [
        (
            pl.col(c).str.len_chars() > MAX_FIELD_CHARS,
            f"`{c}` longer than {MAX_FIELD_CHARS} characters (cut to {MAX_FIELD_CHARS} in the "
            "payload)",
        )
        for c in (columns if columns is not None else _text_columns(df))
    ]


def _capped(columns: list[str]) -> list[pl.Expr]:
    """Cells cut to ``MAX_FIELD_CHARS``, marked by a trailing ``…``."""
    return [
        pl.when(pl.col(c).str.len_chars() > MAX_FIELD_CHARS)
        .then(pl.col(c).str.slice(0, MAX_FIELD_CHARS) + "…")
        .otherwise(pl.col(c))
        .alias(c)
        for c in columns
    ]


def _payload(columns: list[str]) -> pl.Expr:
    """One string holding a row's content (nulls distinct from empty), to compare payloads."""
    return pl.concat_str([pl.col(c).fill_null("\x00") for c in columns], separator="\x1f")


def _quarantine_rows(df: pl.DataFrame, kind: str, reason: str) -> pl.DataFrame:
    payload_cols = [c for c in df.columns if c not in ("input_file", "input_row", "_payload")]
    df = df.with_columns(_capped([c for c in _text_columns(df) if c in payload_cols]))
    return df.select(
        pl.lit(kind).alias("kind"),
        "source",
        "source_id",
        "input_file",
        "input_row",
        pl.lit(reason).alias("reason"),
        pl.struct(payload_cols)
        .map_elements(
            lambda s: json.dumps(s, ensure_ascii=False, default=str), return_dtype=pl.String
        )
        .alias("payload"),
    )


def _split_bad(
    df: pl.DataFrame, kind: str, checks: list[tuple[pl.Expr, str]], quarantined: list[pl.DataFrame]
) -> pl.DataFrame:
    for bad, reason in checks:
        mask = df.select(bad.fill_null(False)).to_series()
        if mask.any():
            quarantined.append(_quarantine_rows(df.filter(mask), kind, reason))
            df = df.filter(~mask)
    return df


def _dedupe_keys(
    df: pl.DataFrame, keys: list[str], kind: str, order: list[str], quarantined: list[pl.DataFrame]
) -> pl.DataFrame:
    """Keep one row per key, chosen by content (not file order), quarantining the others.
    The rows come back in no particular order (``ingest`` sorts what it returns)."""
    repeated = df.select(pl.struct(keys).is_duplicated()).to_series()
    if not repeated.any():
        return df
    if not repeated.all():  # only rows sharing a key are compared (and copied, and sorted)
        once = df.filter(~repeated)
        return pl.concat([once, _dedupe_keys(df.filter(repeated), keys, kind, order, quarantined)])
    payload_cols = [c for c in df.columns if c not in ("input_file", "input_row")]
    df = df.with_columns(_payload(payload_cols).alias("_payload"))
    df = df.sort(
        [*keys, *order, "_payload", "input_file", "input_row"],
        descending=[False] * len(keys) + [True] * len(order) + [False] * 3,
        nulls_last=True,
    )
    dup = df.select(pl.struct(keys).is_first_distinct().not_()).to_series()
    if dup.any():
        rows = df.filter(dup)
        first = df.filter(~dup).select([*keys, pl.col("_payload").alias("_kept")])
        rows = rows.join(first, on=keys, how="left")
        same = rows.filter(pl.col("_payload") == pl.col("_kept")).drop("_kept")
        other = rows.filter(pl.col("_payload") != pl.col("_kept")).drop("_kept")
        if same.height:
            quarantined.append(_quarantine_rows(same, kind, "exact duplicate of another row"))
        if other.height:
            quarantined.append(
                _quarantine_rows(
                    other,
                    kind,
                    f"{'/'.join(keys)} repeated with a different payload; kept the "
                    "most recent version",
                )
            )
    return df.filter(~dup).drop("_payload")


def ingest(
    inputs: list[Path], config: EdinConfig, known_keys: pl.DataFrame | None = None
) -> Ingested:
    """Read, conform and validate all inputs. Raises InputError/ContractError on unusable files.

    ``known_keys`` (source, source_id) are contacts the home already holds: a drop's
    interactions may belong to them."""
    contacts: list[pl.DataFrame] = []
    interactions: list[pl.DataFrame] = []
    quarantined: list[pl.DataFrame] = []
    files = discover(inputs, config)
    rows_in = broken_rows = 0
    for path, spec in files:
        rows = read_rows(path)
        df = _conform_file(rows.table, path, spec, config)
        kind = "contact" if spec.kind == "contacts" else "interaction"
        if rows.broken:
            quarantined.append(_broken_rows(rows.broken, path, kind))
            log.warning(
                "%s: %d row(s) that do not fit the header quarantined (first at line %d)",
                path,
                len(rows.broken),
                rows.broken[0].line,
            )
        rows_in += rows.rows_in
        broken_rows += len(rows.broken)
        log.info("read %s (%s): %d %s", path, rows.encoding or "parquet", df.height, spec.kind)
        (contacts if spec.kind == "contacts" else interactions).append(df)
        del rows, df  # the file's cells as read: not kept beside the next file's
    if not contacts:
        raise InputError(
            "no contacts file among the inputs: the pipeline needs at least one "
            "(see the input contract in the README)"
        )
    c = pl.concat(contacts, how="vertical_relaxed")
    contacts.clear()  # each frame below replaces the one before: none is held twice
    c = _split_bad(
        c,
        "contact",
        [
            (pl.col("source").is_null(), "missing source"),
            (pl.col("source_id").is_null(), "missing source_id"),
            *_too_long(c),
        ],
        quarantined,
    )
    c = c.with_columns(
        pl.col("source").str.to_lowercase(), _timestamps(c["created_at"]).alias("created_ts")
    )
    c = _dedupe_keys(c, ["source", "source_id"], "contact", ["created_ts"], quarantined)

    i = (
        pl.concat(interactions, how="vertical_relaxed")
        if interactions
        else pl.DataFrame(
            schema={col: pl.String for col in INTERACTION_COLUMNS}
            | {"input_file": pl.String, "input_row": pl.Int64}
        )
    )
    interactions.clear()
    i = i.with_columns(pl.col("source").str.to_lowercase())
    keys = c.select("source", "source_id")
    if known_keys is not None and known_keys.height:
        keys = pl.concat([keys, known_keys.select("source", "source_id")]).unique()
    known = keys.with_columns(pl.lit(True).alias("_known"))
    # the flag alone is joined (the keys' columns, not a copy of every interaction's cells)
    i = i.with_columns(
        i.select("source", "source_id")
        .join(known, on=["source", "source_id"], how="left", maintain_order="left")
        .get_column("_known")
    )
    del keys, known
    i = _split_bad(
        i,
        "interaction",
        [
            (
                pl.col("source").is_null() | pl.col("source_id").is_null(),
                "missing source/source_id",
            ),
            (pl.col("interaction_id").is_null(), "missing interaction_id"),
            *_too_long(i, [c for c in _text_columns(i) if c in _INTERACTION_KEYS]),
            (
                pl.col("_known").is_null(),
                "refers to a contact that is not in the contacts (or was quarantined)",
            ),
        ],
        quarantined,
    ).drop("_known")
    # a long subject (a pasted e-mail) is still an interaction: cut, marked with "…", counted
    long_cells = [c for c in _text_columns(i) if c not in _INTERACTION_KEYS]
    capped = {
        c: n
        for c in long_cells
        if (n := int(i.select((pl.col(c).str.len_chars() > MAX_FIELD_CHARS).sum()).item() or 0))
    }
    if capped:
        i = i.with_columns(_capped(list(capped)))
        log.warning(
            "interaction cells cut to %d characters: %s",
            MAX_FIELD_CHARS,
            ", ".join(f"{n} {col}" for col, n in capped.items()),
        )
    known_rating = pl.col("rating").str.to_lowercase().is_in(list(RATINGS))
    unreadable = {
        "created_at": int(
            c.select(pl.col("created_at").is_not_null() & pl.col("created_ts").is_null())
            .to_series()
            .sum()
        ),
        "rating": int(i.select(pl.col("rating").is_not_null() & ~known_rating).to_series().sum()),
    }
    i = i.with_columns(
        _timestamps(i["started_at"]).alias("started_ts"),
        pl.when(known_rating).then(pl.col("rating").str.to_lowercase()).alias("rating"),
    )
    unreadable["started_at"] = int(
        i.select(pl.col("started_at").is_not_null() & pl.col("started_ts").is_null())
        .to_series()
        .sum()
    )
    if any(unreadable.values()):
        log.warning(
            "unreadable values kept as missing: %s",
            ", ".join(f"{n} {col}" for col, n in unreadable.items() if n),
        )
    i = _dedupe_keys(i, ["source", "interaction_id"], "interaction", ["started_ts"], quarantined)
    q = (
        pl.concat(quarantined, how="vertical_relaxed").cast(QUARANTINE)  # type: ignore[arg-type]
        if quarantined
        else pl.DataFrame(schema=QUARANTINE)
    )
    q = q.sort("kind", "input_file", "input_row")
    return Ingested(
        contacts=c.sort("source", "source_id"),
        interactions=i.sort("source", "source_id", "interaction_id"),
        quarantine=q,
        files=tuple(str(p) for p, _ in files),
        unreadable=unreadable,
        rows_in=rows_in,
        broken_rows=broken_rows,
        capped=capped,
    )


def fingerprint(files: tuple[str, ...]) -> str:
    """A short content hash of the input files (names and bytes), for run IDs and caching."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(Path(f).name.encode())
        with Path(f).open("rb") as content:  # a chunk at a time: a 1.7 GB export is not held
            while chunk := content.read(CHUNK_BYTES):
                h.update(chunk)
    return h.hexdigest()[:12]
