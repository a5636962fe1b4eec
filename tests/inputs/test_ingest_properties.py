"""Property-based tests of ingest: any rows, in any encoding, line ending, quoting and type,
come out as contacts or quarantine rows (rows accounted == rows in), and any bytes at all give
accounted rows or a clean ``EdinError``, never another exception."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

import tests.properties  # noqa: F401  (the shared hypothesis profile)
from resolution.config import load_config
from resolution.errors import EdinError
from resolution.inputs.ingest import ingest
from tests.conftest import CONTACT_HEADER

CONFIG = load_config(None)
# Cells with what breaks readers: separators, quotes, every line ending, NUL, BOM, Cyrillic.
CELL = st.one_of(
    st.text(max_size=12),
    st.lists(
        st.sampled_from(
            ['"', ",", ";", "\t", "\r", "\n", "\r\n", "\x00", "\ufeff", "Иван", "vk", "1", " ", "ё"]
        ),
        max_size=6,
    ).map("".join),
    st.sampled_from(["", "NULL", "N/A", "7.91612E+10", "вчера", "x" * 1500]),
)
ROW = st.one_of(
    st.lists(CELL, min_size=8, max_size=8),  # as wide as the header
    st.lists(CELL, min_size=1, max_size=11),  # ragged
    st.tuples(st.sampled_from(["vk", "tg"]), st.sampled_from(["1", "2", "3"]), CELL).map(
        lambda t: [t[0], t[1], t[2], "", "", "", "", ""]  # repeated keys
    ),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16", "utf-16-be"])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


def _ingest(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        got = ingest([Path(folder)], CONFIG)
    contacts = got.contacts.height + got.quarantine.filter(pl.col("kind") == "contact").height
    return got, contacts


def _line(row: list[str]) -> str:
    """One CSV record as an exporter writes it: a cell holding a CR or an LF is quoted
    (``csv.writer`` quotes only the characters of its own line terminator)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(row)
    return buf.getvalue()[:-2]


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be":
        return b"\xfe\xff" + text.encode("utf-16-be")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


@given(rows=st.lists(ROW, max_size=12), encoding=ENCODINGS, newline=NEWLINES)
def test_any_csv_rows_are_accounted_for(rows, encoding, newline) -> None:
    text = "".join(_line(row) + newline for row in [CONTACT_HEADER, *rows])
    got, accounted = _ingest("contacts.csv", _encode(text, encoding))
    assert accounted == len(rows) == got.rows_in
    # a quarantined row says why, and never carries a cell past the cap
    assert got.quarantine["reason"].is_not_null().all()
    for payload in got.quarantine["payload"]:
        assert all(len(v) <= 1001 for v in json.loads(payload).values() if isinstance(v, str))


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
JSON_LINE = st.one_of(
    st.fixed_dictionaries(
        {"source": st.sampled_from(["vk", "tg", ""]), "source_id": st.text(max_size=3)},
        optional={"name": JSON_VALUE, "phone": JSON_VALUE, "created_at": JSON_VALUE},
    ).map(lambda d: json.dumps(d, ensure_ascii=False)),
    JSON_VALUE.map(json.dumps),
    st.text(max_size=20).filter(lambda t: "\n" not in t and "\r" not in t),  # broken lines
)


@given(lines=st.lists(JSON_LINE, max_size=10), newline=NEWLINES)
def test_any_json_lines_are_accounted_for(lines, newline) -> None:
    text = newline.join(["{}", *lines]) + newline  # one object first: the columns exist
    rows = sum(1 for line in ["{}", *lines] if line.strip())
    try:
        got, accounted = _ingest("contacts.jsonl", text.encode("utf-8"))
    except EdinError:
        return  # e.g. no line has a source column: a clear contract error
    assert accounted == rows == got.rows_in


@given(
    phones=st.lists(
        st.one_of(st.none(), st.floats(), st.integers(0, 10**12).map(float)), min_size=1, max_size=6
    )
)
def test_any_float_phone_column_is_accounted_for_and_never_invented(phones) -> None:
    frame = pl.DataFrame(
        {
            "source": ["vk"] * len(phones),
            "source_id": [str(i) for i in range(len(phones))],
            "phone": pl.Series(phones, dtype=pl.Float64),
        }
    )
    buf = io.BytesIO()
    frame.write_parquet(buf)
    got, accounted = _ingest("contacts.parquet", buf.getvalue())
    assert accounted == len(phones)
    for value in got.contacts["phone"].drop_nulls():
        # whole digits, or the Excel form the phone normalizer flags: never trailing zeros
        # that nobody typed read as digits
        if value.isdigit() and len(value) >= 10:
            assert len(value.rstrip("0")) > 7


@given(
    data=st.binary(max_size=300),
    head=st.sampled_from([b"", b"source,source_id,name\n", b"\xff\xfe", b"\xef\xbb\xbf"]),
    name=st.sampled_from(["contacts.csv", "contacts.jsonl", "contacts.json", "contacts.parquet"]),
)
def test_any_bytes_give_accounted_rows_or_a_clean_error(data, head, name) -> None:
    try:
        got, accounted = _ingest(name, head + data)
    except EdinError:
        return
    assert accounted == got.rows_in
