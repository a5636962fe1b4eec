"""Reading one input export row by row, so that a broken row is a quarantine row, not a refused run.

``read_rows`` turns a CSV, JSON-lines, JSON-array or Parquet file into all-string columns plus
``input_row`` (the line a row starts on; for Parquet, its row number), and a list of the rows
it could not split into the header's columns (a ragged CSV row, a broken JSON line, bytes that
are not text), each with its line number and what is wrong. The file's text encoding is found
from its bytes: UTF-8 (with or without a BOM), UTF-16 / UTF-32 (by their BOM, or UTF-16 by its
NUL bytes) or Windows Cyrillic (cp1251). Only a file that cannot be read at all (empty, a
workbook, a broken header, a truncated Parquet file, a JSON array that does not parse) raises
``InputError``, naming the file, the line and the fix.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from resolution.errors import InputError

log = logging.getLogger("edin")

SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")
# A CSV file larger than this is read this many bytes (whole lines) at a time: a 1.7 GB export
# read whole was held four times over (bytes, text, lines, cells), 15 GB at 5M contacts.
CHUNK_BYTES = 32 * 2**20
# A cell kept in a quarantine payload (the row's raw text, a broken JSON line) is cut here.
PAYLOAD_CHARS = 1000

# Byte-order marks, longest first (a UTF-32 LE BOM starts with the UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# What a file that is no text export at all starts with, and what to do instead.
_BINARY = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook (.xlsx); save it as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls); save it as CSV UTF-8"),
    (b"PAR1", "a Parquet file; name it .parquet"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
)
_HIGH = re.compile(rb"[\x80-\xff]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_NOT_TEXT = re.compile("[\udc80-\udcff]")  # bytes that did not decode (surrogateescape)
_ENCODING_HINT = "re-export it as UTF-8 (or cp1251)"


@dataclass(frozen=True)
class Broken:
    """A row that could not be split into the header's columns: where, why and its raw text."""

    line: int
    reason: str
    text: str


@dataclass(frozen=True)
class Rows:
    """One file's rows as all-string columns plus ``input_row``, and the rows that broke."""

    table: pl.DataFrame
    broken: tuple[Broken, ...]
    encoding: str | None  # None for Parquet

    @property
    def rows_in(self) -> int:
        return self.table.height + len(self.broken)


def read_rows(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Rows:
    """Read one input file row by row (see the module docstring); never an exception but
    ``InputError`` for a file that cannot be read at all. A well-formed UTF-8 CSV file larger
    than ``chunk_bytes`` is read ``chunk_bytes`` at a time (``_chunked_csv``), never whole."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix!r}; use {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise InputError(f"{path} does not exist (or is not a file)")
    if suffix == ".csv" and path.stat().st_size > max(chunk_bytes, 1):
        chunked = _chunked_csv(path, chunk_bytes)
        if chunked is not None:
            return chunked
    data = path.read_bytes()
    if not data:
        raise InputError(
            f"{path} is empty (0 bytes): the export looks broken; re-export it "
            "or remove it from the input"
        )
    if suffix == ".parquet":
        return _read_parquet(path)
    for magic, what in _BINARY:
        if data.startswith(magic):
            raise InputError(f"{path}: line 1: this is {what}, not a {suffix[1:]} text file")
    text, encoding = decode(data, path)
    del data  # the text holds it all: a large export is not kept twice
    if suffix == ".csv":
        return _read_csv(path, text, encoding)
    return _read_json(path, text, encoding)


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read in. Bytes that do not decode in an
    otherwise UTF-8 file are kept as surrogate escapes (the rows holding them are quarantined)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(encoding), encoding + "-bom"
            except UnicodeDecodeError as exc:
                raise _encoding_error(path, body, exc, encoding) from None
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError as exc:
            raise _encoding_error(path, data, exc, utf16) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        truncated = exc.reason == "unexpected end of data" and exc.end == len(data)
        if truncated or _mostly_utf8(data):
            # UTF-8 with a few bad bytes (a truncated file, one pasted cp1251 cell): read it as
            # UTF-8; each row holding undecodable bytes goes to the quarantine on its own.
            return data.decode("utf-8", errors="surrogateescape"), "utf-8"
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="surrogateescape"), "utf-8"
    log.warning("%s is not UTF-8; read it as cp1251 (Windows Cyrillic)", path)
    return text, "cp1251"


def _mostly_utf8(data: bytes) -> bool:
    """More of the lines with non-ASCII bytes are UTF-8 than are not: a UTF-8 export with a few
    foreign lines, not a cp1251 one (whose «ТОВАР» can hold a byte pair that is valid UTF-8)."""
    good = bad = 0
    for line in data.split(b"\n"):
        if not _HIGH.search(line):
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > bad


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: text of mostly ASCII and Cyrillic has a NUL (or 0x04) in every
    other byte."""
    head = data[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    high = (0, 4)  # the high byte of ASCII and of Cyrillic (U+04xx)
    odd_high = sum(b in high for b in odd) / len(odd)
    even_high = sum(b in high for b in even) / len(even)
    if odd_high > 0.6 and even_high < 0.2:
        return "utf-16-le"
    if even_high > 0.6 and odd_high < 0.2:
        return "utf-16-be"
    return None


def _encoding_error(path: Path, data: bytes, exc: UnicodeDecodeError, encoding: str) -> InputError:
    line = data[: exc.start].count(b"\n") + 1
    return InputError(
        f"{path}: line {line}: bytes that are not valid {encoding} although the file says it "
        f"is (a byte-order mark or NUL bytes); {_ENCODING_HINT}"
    )


def _cap(text: str) -> str:
    return text if len(text) <= PAYLOAD_CHARS else text[:PAYLOAD_CHARS] + "…"


def _printable(text: str) -> str:
    """Text for a quarantine payload: undecodable bytes as U+FFFD, at most PAYLOAD_CHARS."""
    return _cap(_NOT_TEXT.sub("\ufffd", text))


def _lines(text: str) -> list[str]:
    """The text's lines with their endings: LF, CRLF and bare CR alike, mixed or not."""
    return _LINE.findall(text)


def _delimiter(lines: list[str]) -> str:
    """``,`` unless the header line holds more ``;`` (Russian Excel's "CSV") or tabs."""
    head = next((line for line in lines if line.strip()), "")
    counts = {d: head.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _records(
    lines: list[str], start: int, delimiter: str = ","
) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of each CSV record from ``lines[start:]`` (1-based line
    numbers). A quote that is never closed would swallow the rest of the file into one cell:
    that record is given as its first line alone, and reading goes on on the next line."""
    pos = start
    while pos < len(lines):
        reader = csv.reader(iter(lines[pos:]), delimiter=delimiter, strict=False)
        done = pos
        restarted = False
        for fields in reader:
            first, last = done + 1, pos + reader.line_num
            if (
                last > first
                and last == len(lines)
                and _unclosed(lines[first - 1 : last], delimiter)
            ):
                yield first, first, ["\x00unclosed"]
                pos = first
                restarted = True
                break
            yield first, last, fields
            done = last
        if not restarted:
            return


def _unclosed(lines: list[str], delimiter: str) -> bool:
    try:
        list(csv.reader(iter(lines), delimiter=delimiter, strict=True))
    except csv.Error:
        return True
    return False


def _header(path: Path, fields: list[str]) -> list[str]:
    names = []
    for i, raw in enumerate(fields, start=1):
        name = raw.strip().lstrip("\ufeff").strip()
        if _NOT_TEXT.search(name):
            raise InputError(f"{path}: line 1: the header is not readable text; {_ENCODING_HINT}")
        names.append(name or f"column_{i}")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(
                f"{path}: line 1: column `{_cap(name)[:80]}` appears twice in the header; "
                "rename or remove one of them"
            )
        seen.add(name)
    return names


def _read_csv(path: Path, text: str, encoding: str) -> Rows:
    csv.field_size_limit(2**31 - 1)  # a 10 MB cell is read (then capped), not a parse error
    fast = _plain_csv(path, text, encoding)
    if fast is not None:
        return fast
    lines = _lines(text)
    records = _records(lines, 0, _delimiter(lines))
    header: list[str] | None = None
    for _first, _last, fields in records:
        if fields and any(f.strip() for f in fields):
            header = _header(path, fields)
            break
    if header is None:
        raise InputError(
            f"{path}: no header line (the file holds only blank lines); re-export it with "
            "its header"
        )
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in header]
    row_lines: list[int] = []
    broken: list[Broken] = []
    for first, last, fields in records:
        if not fields:
            continue  # a blank line is no row
        raw = "".join(lines[first - 1 : last])
        if fields == ["\x00unclosed"]:
            broken.append(
                Broken(
                    first,
                    f"line {first}: a quote opened on this line is never closed",
                    _printable(raw),
                )
            )
            continue
        if any(_NOT_TEXT.search(f) for f in fields):
            broken.append(
                Broken(
                    first,
                    f"line {first}: bytes that are not {encoding} text; {_ENCODING_HINT}",
                    _printable(raw),
                )
            )
            continue
        if len(fields) != width:
            broken.append(
                Broken(
                    first,
                    f"line {first}: {len(fields)} fields where the header has {width} "
                    "(an unquoted separator, or a cut row?)",
                    _printable(raw),
                )
            )
            continue
        for col, value in zip(columns, fields, strict=True):
            col.append(value)
        row_lines.append(first)
    table = pl.DataFrame(
        {
            name: pl.Series(name, col, dtype=pl.String)
            for name, col in zip(header, columns, strict=True)
        }
    )
    table = table.with_columns(pl.Series("input_row", row_lines, dtype=pl.Int64))
    return Rows(table, tuple(broken), encoding)


def _plain_csv(path: Path, text: str, encoding: str) -> Rows | None:
    """The rows of a well-formed CSV file split by polars, or None when the file needs the
    row-by-row reader: exactly what it would return, for a file whose records are its lines
    (LF endings, no blank line, no NUL, no undecodable byte) and whose every line has the
    header's width. Lines holding a quote (a few in an export) are parsed by ``csv`` one by
    one; a quote left open on its line (a cell spanning lines) means the row-by-row reader.
    A million-row export read this way takes seconds, and not a Python string per cell."""
    if "\r" in text or "\x00" in text or _NOT_TEXT.search(text):
        return None
    end = len(text) - 1 if text.endswith("\n") else len(text)
    newline = text.find("\n", 0, end)
    head = text[: newline if newline >= 0 else end]
    if '"' in head or not head.strip():
        return None
    delimiter = _delimiter([head])
    header = _header(path, head.split(delimiter))
    if newline < 0:
        body = pl.Series("line", [], dtype=pl.String)
    else:
        body = pl.Series("line", [text[newline + 1 : end]]).str.split("\n").explode()
    table = _plain_lines(body, header, delimiter, 2)  # line 1 is the header
    return None if table is None else Rows(table, (), encoding)


def _plain_lines(
    body: pl.Series, header: list[str], delimiter: str, first_line: int
) -> pl.DataFrame | None:
    """The header's columns (+ ``input_row``) of lines ``body`` (without their endings), the
    first of them line ``first_line`` of the file; None when they need the row-by-row reader
    (see ``_plain_csv``)."""
    width = len(header)
    lines = body.to_frame().with_row_index("_at", offset=first_line)
    if lines.height and (lines["line"] == "").any():
        return None  # blank lines: the row-by-row reader skips them
    quoted = pl.col("line").str.contains('"', literal=True)
    plain = lines.filter(~quoted)
    if (plain["line"].str.count_matches(delimiter, literal=True) != width - 1).any():
        return None  # ragged rows go to the quarantine, with their line
    parsed = []
    for at, line in lines.filter(quoted).iter_rows():
        if _unclosed([line], delimiter):
            return None
        fields = next(csv.reader([line], delimiter=delimiter, strict=False))
        if len(fields) != width:
            return None
        parsed.append((at, *fields))
    names = [f"_c{i}" for i in range(width)]
    split = plain.select(
        "_at",
        pl.col("line").str.split_exact(delimiter, width - 1).struct.rename_fields(names),
    ).unnest("line")
    if parsed:  # the quoted lines put back in their place
        quoted_rows = pl.DataFrame(
            parsed,
            schema={"_at": pl.UInt32, **dict.fromkeys(names, pl.String)},
            orient="row",
        )
        split = pl.concat([split, quoted_rows]).sort("_at")
    return split.select(
        *(pl.col(c).alias(name) for c, name in zip(names, header, strict=True)),
        pl.col("_at").cast(pl.Int64).alias("input_row"),
    )


def _line_chunks(path: Path, chunk_bytes: int) -> Iterator[bytes]:
    """The file's bytes about ``chunk_bytes`` at a time, each chunk ending at a line feed (but
    the last): whole lines, so that no line nor UTF-8 character is cut."""
    rest = b""
    with path.open("rb") as f:
        while block := f.read(chunk_bytes):
            rest += block
            cut = rest.rfind(b"\n")
            if cut < 0:
                continue  # a line longer than a chunk: read on
            yield rest[: cut + 1]
            rest = rest[cut + 1 :]
    if rest:
        yield rest


def _chunk_lines(chunk: bytes) -> pl.Series | None:
    """The lines of a chunk of whole lines, without their endings; None when its bytes are not
    UTF-8. Decoded and split by polars: no Python string of the chunk is made (strict UTF-8,
    as ``bytes.decode`` is: no byte that does not decode, no encoded surrogate)."""
    try:
        text = pl.Series("line", [chunk], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        return None
    lines = text.str.split("\n").explode()
    # a chunk ends at a line feed (but a file's last one may not): no line after it
    return lines.head(lines.len() - 1) if chunk.endswith(b"\n") else lines


def _chunked_csv(path: Path, chunk_bytes: int) -> Rows | None:
    """``_plain_csv`` of a UTF-8 file (with or without a BOM) ``chunk_bytes`` at a time: the
    rows it would return, without the whole file in memory at once. None when any chunk is not
    plain (another encoding, CR or NUL bytes, bytes that do not decode, a blank line, a ragged
    row, a quote left open): the file is then read whole, as before."""
    encoding = "utf-8"
    header: list[str] | None = None
    delimiter = ","
    first_line = 2
    tables: list[pl.DataFrame] = []
    with path.open("rb") as f:
        start = f.read(4096)
    if any(start.startswith(m) for m, _ in _BINARY):
        return None
    bom = next((e for b, e in _BOMS if start.startswith(b)), None)
    if bom not in (None, "utf-8") or (bom is None and _utf16_without_bom(start)):
        return None
    for number, chunk in enumerate(_line_chunks(path, chunk_bytes)):
        if number == 0 and bom == "utf-8":
            chunk, encoding = chunk[3:], "utf-8-bom"
        if b"\r" in chunk or b"\x00" in chunk:
            return None
        if header is None:
            newline = chunk.find(b"\n")
            if newline < 0:
                return None  # the header alone: a small file, read whole
            try:
                head = chunk[:newline].decode("utf-8")
            except UnicodeDecodeError:
                return None
            if '"' in head or not head.strip():
                return None
            delimiter = _delimiter([head])
            header = _header(path, head.split(delimiter))
            chunk = chunk[newline + 1 :]
        if not chunk:
            continue
        body = _chunk_lines(chunk)
        del chunk
        if body is None:
            return None
        table = _plain_lines(body, header, delimiter, first_line)
        if table is None:
            return None
        first_line += body.len()
        tables.append(table)
    if header is None or not tables:
        return None
    return Rows(pl.concat(tables, rechunk=False), (), encoding)


# --- JSON lines and JSON arrays ------------------------------------------------------------------
def _cell(value: Any) -> str | None:
    """One JSON or Parquet value as the text an export would have held."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, list | tuple):
        parts = [_cell(v) for v in value]
        return "; ".join(p for p in parts if p is not None) or None
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def float_text(value: float) -> str | None:
    """A float as text. A whole number of 10+ digits with at most 7 significant ones is what
    Excel leaves of a phone it showed as ``7.91612E+10``: it is written that way again (so the
    phone normalizer flags it ``excel_scientific``) instead of as digits nobody typed."""
    if math.isnan(value) or math.isinf(value):
        return None
    if value.is_integer() and abs(value) < 1e15:
        digits = str(int(abs(value)))
        significant = len(digits.rstrip("0"))
        if len(digits) >= 10 and significant <= 7:
            return f"{value:.{max(significant - 1, 0)}E}"
        return str(int(value))
    return repr(value)


def _read_json(path: Path, text: str, encoding: str) -> Rows:
    objects: list[tuple[int, Any]] = []
    broken: list[Broken] = []
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError) as exc:
            line = getattr(exc, "lineno", 1) + text[: len(text) - len(stripped)].count("\n")
            why = getattr(exc, "msg", "too deeply nested")
            raise InputError(
                f"{path}: line {line}: not valid JSON ({why}); "
                "fix the file, or export JSON lines (one object per line) so that one broken "
                "record does not stop the run"
            ) from None
        objects = list(enumerate(items if isinstance(items, list) else [items], start=1))
    else:
        for number, line in enumerate(_lines(text), start=1):
            if not line.strip():
                continue
            if _NOT_TEXT.search(line):
                broken.append(
                    Broken(
                        number,
                        f"line {number}: bytes that are not {encoding} text; {_ENCODING_HINT}",
                        _printable(line),
                    )
                )
                continue
            try:
                objects.append((number, json.loads(line)))
            except (json.JSONDecodeError, RecursionError) as exc:
                why = getattr(exc, "msg", "too deeply nested")
                broken.append(
                    Broken(number, f"line {number}: not valid JSON ({why})", _printable(line))
                )
    names: dict[str, None] = {}
    rows: list[tuple[int, dict[str, str | None]]] = []
    for number, obj in objects:
        if not isinstance(obj, dict):
            broken.append(
                Broken(
                    number,
                    f"line {number}: a JSON {type(obj).__name__}, not an object",
                    _printable(json.dumps(obj, ensure_ascii=False)),
                )
            )
            continue
        row = {str(k).strip().lstrip("\ufeff"): _cell(v) for k, v in obj.items()}
        names.update(dict.fromkeys(row))
        rows.append((number, row))
    table = pl.DataFrame(
        [pl.Series(n, [r.get(n) for _, r in rows], dtype=pl.String) for n in names]
        + [pl.Series("input_row", [n for n, _ in rows], dtype=pl.Int64)]
    )
    broken.sort(key=lambda b: b.line)
    return Rows(table, tuple(broken), encoding)


# --- Parquet -------------------------------------------------------------------------------------
def _read_parquet(path: Path) -> Rows:
    try:
        df = pl.read_parquet(path)
    except Exception as exc:  # polars raises several error types for broken files
        kind = type(exc).__name__
        raise InputError(
            f"{path}: not a readable Parquet file ({kind}; truncated or not Parquet?); re-export it"
        ) from None
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    out = df.select(_as_text(df[c]).alias(c) for c in df.columns)
    return Rows(
        out.with_row_index("input_row", offset=1).select(
            *df.columns, pl.col("input_row").cast(pl.Int64)
        ),
        (),
        None,
    )


def _as_text(col: pl.Series) -> pl.Series:
    """A Parquet column as the text an export would have held (see ``_cell``)."""
    dtype = col.dtype
    if dtype == pl.String:
        return col
    if dtype.is_float():
        return pl.Series(
            col.name, [None if v is None else float_text(v) for v in col.to_list()], dtype=pl.String
        )
    if dtype == pl.Boolean:
        return col.cast(pl.String)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return col.dt.strftime("%Y-%m-%dT%H:%M:%S%.f")
        return col.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")
    if dtype == pl.Date:
        return col.dt.strftime("%Y-%m-%d")
    if dtype.is_numeric() or dtype in (pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum):
        return col.cast(pl.String)
    if dtype == pl.Binary:
        return pl.Series(
            col.name,
            [None if v is None else v.decode("utf-8", errors="replace") for v in col.to_list()],
            dtype=pl.String,
        )
    return pl.Series(col.name, [_cell(v) for v in col.to_list()], dtype=pl.String)
