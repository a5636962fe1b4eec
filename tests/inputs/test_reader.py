"""resolution.inputs.reader: the same rows whatever the encoding and line endings; broken rows
with their line numbers; floats that Excel cut written back in its form."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import resolution.inputs.reader as reader
from resolution.errors import InputError
from resolution.inputs.reader import float_text, read_rows

TEXT = 'source,source_id,name\nvk,1,Иван Петров\nvk,2,"Анна, Котова"\n'
ROWS = [["vk", "1", "Иван Петров"], ["vk", "2", "Анна, Котова"]]


def _encoded(text: str, how: str) -> bytes:
    return {
        "utf-8": lambda t: t.encode(),
        "utf-8-bom": lambda t: t.encode("utf-8-sig"),
        "cp1251": lambda t: t.encode("cp1251"),
        "utf-16-le-bom": lambda t: t.encode("utf-16"),
        "utf-16-be-bom": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
        "utf-16-le": lambda t: t.encode("utf-16-le"),
        "utf-16-be": lambda t: t.encode("utf-16-be"),
        "utf-32-bom": lambda t: t.encode("utf-32"),
    }[how](text)


@pytest.mark.parametrize(
    "how",
    [
        "utf-8",
        "utf-8-bom",
        "cp1251",
        "utf-16-le-bom",
        "utf-16-be-bom",
        "utf-16-le",
        "utf-16-be",
        "utf-32-bom",
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_encoding_and_line_ending_reads_the_same_rows(tmp_path: Path, how, newline):
    path = tmp_path / "contacts.csv"
    path.write_bytes(_encoded(TEXT.replace("\n", newline), how))
    got = read_rows(path)
    assert got.table.drop("input_row").rows() == [tuple(r) for r in ROWS]
    assert got.table["input_row"].to_list() == [2, 3]
    assert got.broken == ()


def test_the_encoding_is_cp1251_when_most_lines_are_not_utf8(tmp_path: Path) -> None:
    # «ТОВАР» in cp1251 holds "Р»" (d0 bb), a byte pair that is valid UTF-8
    text = "source,source_id,name\n" + "".join(f"vk,{i},ООО «ТОВАР» Иван\n" for i in range(5))
    path = tmp_path / "contacts.csv"
    path.write_bytes(text.encode("cp1251"))
    got = read_rows(path)
    assert got.encoding == "cp1251"
    assert got.table["name"].to_list() == ["ООО «ТОВАР» Иван"] * 5


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("vk,1,a\nvk,2,b,c\nvk,3,d\n", 3, "4 fields where the header has 3"),
        ("vk,1,a\nvk\nvk,3,d\n", 3, "1 fields where the header has 3"),
        ('vk,1,a\nvk,2,"b\nvk,3,d\n', 3, "never closed"),
    ],
)
def test_broken_rows_come_back_with_their_line(tmp_path: Path, body, line, reason):
    path = tmp_path / "contacts.csv"
    path.write_text("source,source_id,name\n" + body, encoding="utf-8")
    got = read_rows(path)
    assert [b.line for b in got.broken] == [line]
    assert reason in got.broken[0].reason
    assert got.rows_in == 3


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (7.91612e10, "7.91612E+10"),
        (79161234567.0, "79161234567"),
        (8e10, "8E+10"),
        (123.0, "123"),
        (3.5, "3.5"),
        (float("nan"), None),
    ],
)
def test_float_text_keeps_what_excel_left(value, text):
    assert float_text(value) == text


def test_a_parquet_list_column_is_joined(tmp_path: Path) -> None:
    path = tmp_path / "contacts.parquet"
    pl.DataFrame({"source": ["vk"], "phone": [["8916", "8926"]]}).write_parquet(path)
    assert read_rows(path).table["phone"].to_list() == ["8916; 8926"]


def test_a_header_with_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("source,name,name\nvk,a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: column `name` appears twice"):
        read_rows(path)


PLAIN_OR_NOT = [
    "a\nx\n  \ny\n",
    "a,b\n",
    "a,b",
    "a,b,\n1,2,3\n4,5,\n",
    'a;b\n1;2\n"3;x";4\n',
    "a,b\n1,2\n\n",
    'a,b\nx"y,2\n"q"z,3\n',
    'a,b\n"multi\nline",2\n3,4\n',
    "a,b\n1,2\n3\n",
    "a\tb\n1\t2\n",
    " a , b \n1,2\n",
    'a,b\n"1,2\n3,4\n',
    'a,b\n"",""\n"x""y",z\n',
    "a,b\r\n1,2\r\n",
    "a,b\n1,\n,2\nк,ё\n",
]


@pytest.mark.parametrize("text", PLAIN_OR_NOT)
def test_the_polars_path_reads_what_the_row_by_row_reader_reads(tmp_path, monkeypatch, text):
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8", newline="")
    fast = read_rows(path)
    monkeypatch.setattr(reader, "_plain_csv", lambda *args: None)
    slow = read_rows(path)
    assert_frame_equal(fast.table, slow.table)
    assert fast.broken == slow.broken
    assert fast.encoding == slow.encoding


CHUNKED = [
    *PLAIN_OR_NOT,
    "a,b\n1,2\n3,4\n5,6\n7,8\n",
    "\ufeffa,b\n1,2\nё,ж\n",
    'a,b\n1,"x,y"\n3,4\n"5",6\n',
    "a,b\n1,2\n3,4\n\n5,6\n",
    "a,b\n1,2\n3,4\n5\n",
    "a,b\n1,2\n3,4\n5,6",
    "a,b\n1,2\n3,4\n5,6\n\n",
    "a,b\n1,2\n" + "x" * 50 + ",y\n3,4\n",
    "a,b\n\n1,2\n",
]


@pytest.mark.parametrize("chunk_bytes", [1, 5, 9, 16])
@pytest.mark.parametrize("text", CHUNKED)
def test_a_csv_read_in_chunks_reads_what_the_whole_file_reads(
    tmp_path, monkeypatch, text, chunk_bytes
):
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8", newline="")
    whole = read_rows(path, chunk_bytes=10**9)
    chunked = read_rows(path, chunk_bytes=chunk_bytes)
    assert_frame_equal(chunked.table, whole.table)
    assert chunked.broken == whole.broken
    assert chunked.encoding == whole.encoding


def test_a_large_plain_csv_is_never_read_whole(tmp_path, monkeypatch):
    """The chunk size is honoured: no read of the file asks for more than one chunk, and the
    whole-file read (``Path.read_bytes``) is not used."""
    path = tmp_path / "interactions.csv"
    lines = [f"vk,{i},Иван {i}" for i in range(2000)]
    path.write_text("source,source_id,name\n" + "\n".join(lines) + "\n", encoding="utf-8")
    whole = read_rows(path, chunk_bytes=10**9)
    asked: list[int] = []
    real_open = Path.open

    def recording_open(self, *args, **kwargs):
        f = real_open(self, *args, **kwargs)
        real_read = f.read

        def read(size=-1):
            asked.append(size)
            return real_read(size)

        f.read = read
        return f

    def refused(self):
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(Path, "open", recording_open)
    monkeypatch.setattr(Path, "read_bytes", refused)
    got = read_rows(path, chunk_bytes=4096)
    assert_frame_equal(got.table, whole.table)
    assert asked and all(0 < size <= 4096 for size in asked)
    assert len(asked) >= path.stat().st_size // 4096


CHUNKED_BYTES = [
    "a,b\n1,2\n3,4\nИван,5\n".encode() + "Пётр,6\n".encode("cp1251"),  # a later line not UTF-8
    b"a,b\n1,2\n3,4\n5,\xed\xb2\x80\n",  # an encoded surrogate: not UTF-8 either
    b"a,b\n1,2\n3,4\n5,\xd0\n",  # a character cut short
    "a,b\n1,2\n3,ё\n".encode(),
]


@pytest.mark.parametrize("chunk_bytes", [1, 7, 12, 4096])
@pytest.mark.parametrize("data", CHUNKED_BYTES)
def test_bytes_that_do_not_decode_in_a_later_chunk_read_as_the_whole_file_reads(
    tmp_path, data, chunk_bytes
):
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)
    whole = read_rows(path, chunk_bytes=10**9)
    chunked = read_rows(path, chunk_bytes=chunk_bytes)
    assert_frame_equal(chunked.table, whole.table)
    assert chunked.broken == whole.broken
    assert chunked.encoding == whole.encoding
