"""Ingest: contract mapping, clear errors, and the quarantine (nothing dropped silently)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from resolution.config import load_config, parse_config
from resolution.contract import ContractError
from resolution.errors import ConfigError, InputError
from resolution.inputs.ingest import ingest, parse_timestamp
from tests.conftest import CONTACT_HEADER, write_csv

C = "2024-05-01T10:00:00+03:00"


def run(folder: Path, config: dict | None = None):
    cfg = parse_config(config) if config else load_config(None)
    return ingest([folder], cfg)


def test_contract_files_read_as_is(write_inputs):
    folder = write_inputs(
        [
            ["vk", "1", "Иван", "", "", "vk.com/id1", "Москва", C],
            ["telegram", "2", "Vanya", "", "", "@vanya", "", C],
        ],
        [["vk", "1", "i1", C, "chat", "доставка", "good", "op"]],
    )
    got = run(folder)
    assert got.contacts.height == 2
    assert got.interactions.height == 1
    assert got.quarantine.height == 0
    assert got.contacts.filter(pl.col("source_id") == "2")["email"].to_list() == [None]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([["vk", "", "Иван", "", "", "", "", C]], "missing source_id"),
        ([["", "1", "Иван", "", "", "", "", C]], "missing source"),
        ([["vk", "1", "И" * 1001, "", "", "", "", C]], "longer than 1000"),
        ([["vk", "1", "Иван", "", "", "", "М" * 10_000, C]], "longer than 1000"),  # a city
        ([["vk", "9" * 2_000, "Иван", "", "", "", "", C]], "longer than 1000"),  # a source_id
        ([["vk", "1", "Иван", "", "", "", "", C]] * 2, "exact duplicate"),
        (
            [
                ["vk", "1", "Иван", "", "", "", "", C],
                ["vk", "1", "Пётр", "", "", "", "", "2024-05-02T10:00:00+03:00"],
            ],
            "different payload",
        ),
    ],
)
def test_bad_rows_go_to_quarantine_with_a_reason(write_inputs, rows, reason):
    folder = write_inputs(rows + [["vk", "ok", "Анна", "", "", "", "", C]])
    got = run(folder)
    assert got.contacts.height + got.quarantine.height == len(rows) + 1
    assert got.quarantine.height == 1
    assert reason in got.quarantine["reason"][0]


def test_duplicate_keeps_most_recent_whatever_the_row_order(write_inputs):
    older = ["vk", "1", "Иван", "", "", "", "", "2024-01-01T00:00:00+03:00"]
    newer = ["vk", "1", "Иван Петров", "", "", "", "", "2024-06-01T00:00:00+03:00"]
    for rows in ([older, newer], [newer, older]):
        got = run(write_inputs(rows))
        assert got.contacts["name"].to_list() == ["Иван Петров"]


def test_interactions_of_unknown_contacts_are_quarantined(write_inputs):
    folder = write_inputs(
        [["vk", "1", "Иван", "", "", "", "", C]],
        [
            ["vk", "1", "i1", C, "chat", "", "", ""],
            ["vk", "404", "i2", C, "chat", "", "", ""],
            ["vk", "1", "", C, "chat", "", "", ""],
        ],
    )
    got = run(folder)
    assert got.interactions.height == 1
    assert sorted(got.quarantine["reason"].to_list()) == [
        "missing interaction_id",
        "refers to a contact that is not in the contacts (or was quarantined)",
    ]


def test_missing_required_column_names_file_and_column(tmp_path):
    write_csv(tmp_path / "contacts.csv", ["source", "name"], [["vk", "Иван"]])
    with pytest.raises(ContractError, match=r"`source_id`.*contacts.csv"):
        ingest([tmp_path], load_config(None))


def test_column_mapping_and_constant_source(tmp_path):
    write_csv(
        tmp_path / "export.csv",
        ["id", "first", "last", "mail"],
        [["7", "Иван", "Петров", "ivan@mail.ru"]],
    )
    got = run(
        tmp_path,
        {
            "inputs": [
                {
                    "pattern": "export.csv",
                    "source": "crm",
                    "columns": {"source_id": "id", "name": ["first", "last"], "email": "mail"},
                }
            ]
        },
    )
    row = got.contacts.row(0, named=True)
    assert (row["source"], row["source_id"], row["name"], row["email"]) == (
        "crm",
        "7",
        "Иван Петров",
        "ivan@mail.ru",
    )


def test_cp1251_file_is_decoded(tmp_path):
    write_csv(
        tmp_path / "contacts.csv",
        CONTACT_HEADER,
        [["vk", "1", "Иван Иванов", "", "", "", "Москва", C]],
        encoding="cp1251",
    )
    assert run(tmp_path).contacts["name"].to_list() == ["Иван Иванов"]


def test_bom_and_null_tokens(tmp_path):
    write_csv(
        tmp_path / "contacts.csv",
        CONTACT_HEADER,
        [["vk", "1", "NULL", "N/A", "None", "", "", C]],
        encoding="utf-8-sig",
    )
    row = run(tmp_path).contacts.row(0, named=True)
    assert row["name"] is row["email"] is row["phone"] is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
    ],
)
def test_empty_file_is_a_clear_error(tmp_path, content):
    (tmp_path / "contacts.csv").write_bytes(content)
    with pytest.raises(InputError, match="empty"):
        ingest([tmp_path], load_config(None))


def test_header_only_file_gives_no_rows(tmp_path):
    write_csv(tmp_path / "contacts.csv", CONTACT_HEADER, [])
    assert run(tmp_path).contacts.height == 0


def test_no_input_files_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no input files"):
        ingest([tmp_path], load_config(None))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01T10:00:00+03:00", "2024-05-01T07:00:00+00:00"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00+00:00"),
        ("2024-05-01 10:00:00", "2024-05-01T07:00:00+00:00"),  # naive = Moscow time
        ("2024-05-01", "2024-04-30T21:00:00+00:00"),
        ("вчера", None),
        ("", None),
    ],
)
def test_timestamps(raw, expected):
    ts = parse_timestamp(raw)
    assert (ts.isoformat() if ts else None) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"bogus": {}}, "unknown section"),
        ({"inputs": [{"kind": "contacts"}]}, "pattern"),
        ({"inputs": [{"pattern": "x", "kind": "calls"}]}, "kind must be"),
        ({"inputs": [{"pattern": "x", "columns": {"nam": "n"}}]}, "not a contacts contract column"),
        ({"fields": [{"name": "dob", "type": "date"}]}, "type must be"),
        ({"resolution": {"threshhold": 0.5}}, "unknown \\[resolution\\] key"),
        ({"resolution": {"threshold": 1.5}}, "between 0 and 1"),
    ],
)
def test_config_errors_say_what_to_fix(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(raw)


TIMES = [
    "2024-05-01T10:00:00+03:00",
    "2024-05-01T10:00:00.123+03:00",
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00",
    "2024-13-01T10:00:00+03:00",
    "вчера",
    None,
    "2024-05-01 10:00:00",
    "2024-05-01",
    "2024-05-01T10:00",
    "2024-05-01T24:00:00",
    "2024-05-01T10:00:60+03:00",
    "2024-02-30T10:00:00",
    "2024-05-01T10:00:00.1234567+03:00",
    "2024-05-01T10:00:00-05:30",
    "2024-05-01T10:00:00+14:00",
    "1900-01-01T00:00:00",
    "2099-12-31T23:59:59.999999Z",
    "2024-05-01T10:00:00+0300",
    "2024-05-01T10:00:00.5Z",
    "",
]


def test_vectorized_timestamps_equal_the_one_by_one_parser() -> None:
    import random

    from resolution.inputs.ingest import _timestamps

    rng = random.Random(5)
    generated = [
        f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}T"
        f"{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:{rng.randint(0, 60):02d}"
        + rng.choice(["", "Z", "+03:00", "-07:00", ".25+05:00", ".000001Z"])
        for _ in range(3000)
    ]
    values = TIMES + generated
    got = _timestamps(pl.Series("created_at", values))
    assert got.name == "created_at"
    assert got.to_list() == [parse_timestamp(v) for v in values]


def test_unreadable_values_are_counted_and_flagged(write_inputs):
    from resolution.inputs.normalize import normalize_contacts

    folder = write_inputs(
        [
            ["vk", "1", "Иван", "", "", "", "", "вчера"],
            ["vk", "2", "Олег", "", "", "", "", "2024-13-45T10:00:00"],
            ["vk", "3", "Анна", "", "", "", "", C],
            ["vk", "4", "Мария", "", "", "", "", ""],
        ],
        [
            ["vk", "3", "i1", C, "chat", "доставка", "GREAT", "op"],
            ["vk", "3", "i2", "позавчера", "chat", "доставка", "good", "op"],
            ["vk", "3", "i3", C, "chat", "x" * 200_000, "good", "op"],
        ],
    )
    got = run(folder)
    assert got.unreadable == {"created_at": 2, "rating": 1, "started_at": 1}
    # the 200,000-character subject is cut (the interaction kept), marked and counted
    assert got.interactions.height == 3
    assert got.quarantine.height == 0
    assert got.capped == {"subject": 1}
    subject = got.interactions.filter(pl.col("interaction_id") == "i3")["subject"][0]
    assert subject == "x" * 1000 + "…"
    flags = dict(
        zip(
            *normalize_contacts(got.contacts, load_config(None))
            .select("source_id", "flags")
            .to_dict(as_series=False)
            .values(),
            strict=True,
        )
    )
    assert flags["1"] == flags["2"] == ["created_at:unreadable"]
    assert flags["3"] == flags["4"] == []
