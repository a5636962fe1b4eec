"""The fast paths of the profiles and publish stages give what the plain ones give: history
made in the warehouse, tables streamed into Parquet, match records taken from the published
snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from resolution import load_config
from resolution.contract import HISTORY
from resolution.matching.fields import field_specs, frame_records, record_frame, records
from resolution.publishing.profiles import (
    HISTORY_STATS_COLUMNS,
    build_history,
    build_profiles,
    history_rows,
    history_stats,
    profile_digests,
    reuse_profiles,
    write_history,
)
from resolution.publishing.reasons import match_record_json, match_records_json, records_json
from resolution.warehouse import ROW_GROUP, connect, copy_to_parquet, read_table, write_table


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


INTERACTIONS = pl.DataFrame(
    [
        ("vk", "1", "i3", "2024-01-03", "message", "Оплата", "good", "Ирина", at(3)),
        ("vk", "1", "i1", "2024-01-01", "message", "Доставка", None, None, at(1)),
        ("crm", "7", "i2", None, "call", None, "bad", "Олег", None),
        ("crm", "7", "i0", "2024-01-01", "call", None, "bad", "Олег", at(1)),
        ("email", "9", "i9", "2024-01-02", "email", None, None, None, at(2)),  # no member
        ("vk", "2", "i4", "2024-01-01", "message", None, "neutral", None, at(1)),
        ("vk", "2", "i5", "2024-01-01", "message", None, None, None, at(1)),
    ],
    schema={
        "source": pl.String,
        "source_id": pl.String,
        "interaction_id": pl.String,
        "started_at": pl.String,
        "channel": pl.String,
        "subject": pl.String,
        "rating": pl.String,
        "operator": pl.String,
        "started_ts": pl.Datetime("us", "UTC"),
    },
    orient="row",
)
MEMBERS = pl.DataFrame(
    {
        "profile_id": ["p_b", "p_b", "p_a"],
        "source": ["vk", "vk", "crm"],
        "source_id": ["1", "2", "7"],
        "confidence": [1.0, 1.0, 1.0],
    }
)


def test_history_made_in_the_warehouse_is_build_history(tmp_path: Path):
    con = connect(tmp_path / "w.duckdb")
    write_table(con, "raw_interactions", INTERACTIONS)
    write_table(con, "members", MEMBERS)
    write_history(con)
    got = con.sql("SELECT * FROM history").pl()
    want = build_history(INTERACTIONS, MEMBERS)
    assert got.schema == pl.Schema(HISTORY)
    assert got.equals(want)
    assert history_rows(con) == 6
    # what the profiles read of it, in no order
    stats = history_stats(con)
    assert stats.columns == list(HISTORY_STATS_COLUMNS)
    assert stats.sort(stats.columns).equals(want.select(HISTORY_STATS_COLUMNS).sort(stats.columns))
    # the history follows the members (a view, not a table made once)
    write_table(con, "members", MEMBERS.filter(pl.col("source") == "vk"))
    assert (
        con.sql("SELECT * FROM history")
        .pl()
        .equals(build_history(INTERACTIONS, MEMBERS.filter(pl.col("source") == "vk")))
    )


def test_history_table_of_an_older_warehouse_becomes_the_view(tmp_path: Path):
    con = connect(tmp_path / "w.duckdb")
    write_table(con, "raw_interactions", INTERACTIONS)
    write_table(con, "members", MEMBERS)
    write_table(con, "history", build_history(INTERACTIONS, MEMBERS).head(1))
    write_history(con)
    write_history(con)  # and again, over the view
    assert con.sql("SELECT * FROM history").pl().equals(build_history(INTERACTIONS, MEMBERS))


def test_streamed_parquet_is_the_written_parquet(tmp_path: Path):
    con = connect(tmp_path / "w.duckdb")
    frame = build_history(INTERACTIONS, MEMBERS)
    write_table(con, "history", frame)
    frame.write_parquet(tmp_path / "written.parquet", compression="zstd", statistics=True)
    assert copy_to_parquet(con, "history", tmp_path / "streamed.parquet") == frame.height
    assert (tmp_path / "streamed.parquet").read_bytes() == (
        tmp_path / "written.parquet"
    ).read_bytes()
    assert not list(tmp_path.glob(".*"))  # no scratch file left


def test_streamed_parquet_of_many_row_groups_is_the_written_parquet(tmp_path: Path):
    """Over several of DuckDB's row groups, the streamed file is the bytes ``write_parquet``
    makes of the table read back; a table DuckDB holds in uneven row groups (written from a
    frame in pieces) is streamed in the same even row groups, with the same rows."""
    con = connect(tmp_path / "w.duckdb")
    n = 2 * ROW_GROUP + 1_001
    frame = pl.DataFrame(
        {
            "source": ["vk", "tg", "email"] * (n // 3) + ["vk"] * (n % 3),
            "source_id": [str(i) for i in range(n)],
            "at": [at(1 + i % 28, i % 24) if i % 7 else None for i in range(n)],
        }
    )
    write_table(con, "raw_contacts", frame)
    read_table(con, "raw_contacts").write_parquet(
        tmp_path / "written.parquet", compression="zstd", statistics=True
    )
    assert copy_to_parquet(con, "raw_contacts", tmp_path / "streamed.parquet") == n
    assert (tmp_path / "streamed.parquet").read_bytes() == (
        tmp_path / "written.parquet"
    ).read_bytes()
    write_table(con, "pieces", pl.concat([frame.slice(0, 5), frame.slice(5)], rechunk=False))
    assert copy_to_parquet(con, "pieces", tmp_path / "pieces.parquet") == n
    assert (tmp_path / "pieces.parquet").read_bytes() == (
        tmp_path / "streamed.parquet"
    ).read_bytes()
    meta = pq.ParquetFile(tmp_path / "pieces.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [
        ROW_GROUP,
        ROW_GROUP,
        1_001,
    ]


def contacts(names: list[str | None]) -> pl.DataFrame:
    n = len(names)
    return pl.DataFrame(
        {
            "record_id": list(range(n)),
            "source": ["vk"] * n,
            "source_id": [str(i) for i in range(n)],
            "name_key": names,
            "given_key": [s.split()[0] if s else None for s in names],
            "surname_key": [s.split()[-1] if s and " " in s else None for s in names],
            "nicknames": [[] for _ in range(n)],
            "emails": [[f"u{i}@mail.ru"] if i % 2 else [] for i in range(n)],
            "email_local": [f"u{i}" if i % 2 else None for i in range(n)],
            "phones": [[] for _ in range(n)],
            "handles": [[] for _ in range(n)],
            "city_key": ["москва" if i % 3 else None for i in range(n)],
            "created_at": [at(1 + i % 20, i % 24) for i in range(n)],
        }
    ).with_columns(pl.col("nicknames", "phones", "handles").cast(pl.List(pl.String)))


def test_match_records_reused_from_the_snapshot_are_those_made_anew(caplog):
    specs = field_specs(load_config(None))
    before = contacts(["иван петров", "иван", "анна", "иван петров", None, 'ольга "о"'])
    # a drop: one more "иван петров" (every count of that name moves), one contact changed
    after = pl.concat(
        [
            before.with_columns(
                pl.when(pl.col("record_id") == 2)
                .then(pl.lit("анна смирнова"))
                .otherwise(pl.col("name_key"))
                .alias("name_key")
            ),
            contacts([None] * 6 + ["иван петров"]).tail(1),
        ]
    )
    keys = ["record_id", "source", "source_id"]

    def published(frame: pl.DataFrame) -> pl.DataFrame:
        got = match_records_json(record_frame(frame, specs), specs, frame.select(keys)).join(
            frame.select(keys), on="record_id"
        )
        return got.select("source", "source_id", "record_hash", "match_record")

    snapshot = published(before)
    with caplog.at_level("INFO", logger="edin"):
        reused = match_records_json(record_frame(after, specs), specs, after.select(keys), snapshot)
    # the changed contact and the new one made, the others' (counts moved or not) reused
    assert "match records: 2 made, 5 from the published snapshot" in caplog.text
    made = records(after, specs)
    assert reused.height == after.height
    assert reused.sort("record_id")["match_record"].to_list() == [
        match_record_json(made[i]) for i in sorted(made)
    ]


def test_history_sql_keeps_duckdb_types(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    write_table(con, "raw_interactions", INTERACTIONS.clear())
    write_table(con, "members", MEMBERS.clear())
    write_history(con)
    assert history_rows(con) == 0
    assert con.sql("SELECT * FROM history").pl().schema == pl.Schema(HISTORY)


def test_match_records_made_as_columns_are_json_dumps_of_the_records(caplog):
    specs = field_specs(load_config(None))
    names = [
        "иван петров",
        "петров  иван",  # two spaces
        " анна",
        "анна\u00a0смирнова",  # no-break space
        'o\'neil "big" \\ x',
        "tab\tname",
        "bell\x07name",
        "",
        None,
        "ёжик\u2028line",
    ]
    frame = contacts(names).with_columns(
        pl.Series(
            "emails",
            [["a@b.ru", 'q"@x.ru'], [], None, ["\x01@x.ru"], ["é@x.ru"], [None], ["a\\b"]]
            + [[]] * 3,
            pl.List(pl.String),
        ),
        pl.Series(
            "city_key", ["москва", "", None, "a\nb", "\x1f", "x", "y", "z", "w", "v"], pl.String
        ),
        pl.Series(
            "email_local", ["u", "", None, "\u3000", "a\rb\x08c\x0cd", "e", "", "f", "g", "h"]
        ),
    )
    rf = record_frame(frame, specs)
    rf = rf.with_columns(
        pl.Series(
            "created",
            [0.0, float("nan"), None, 1e22, -1.5e-7, 18993.5, float("inf"), 3.0, 1 / 3, 2.5],
            pl.Float64,
        )
    )
    made = frame_records(rf, specs)
    with caplog.at_level("DEBUG", logger="edin"):
        got = records_json(rf, specs).sort("record_id")
    # the rows with control characters, odd spaces in a name or a null in a list, one by one
    assert "7 of 10 match records made one by one" in caplog.text
    assert got["match_record"].to_list() == [match_record_json(made[i]) for i in sorted(made)]


def test_profiles_taken_from_the_snapshot_are_those_built_anew():
    people = contacts(["иван петров", "иван петров", "анна", "олег", "олег", "ира"]).with_columns(
        pl.col("name_key").alias("display_name"),
        pl.col("emails").alias("emails_display"),
        pl.col("phones").alias("phones_display"),
        pl.col("handles").alias("handles_display"),
    )
    members = pl.DataFrame(
        {
            "profile_id": ["p1", "p1", "p2", "p3", "p3", "p4"],
            "source": ["vk"] * 6,
            "source_id": [str(i) for i in range(6)],
            "confidence": [1.0] * 6,
        }
    )
    clusters = pl.DataFrame(
        {
            "record_id": list(range(6)),
            "cluster_id": [0, 0, 2, 3, 3, 5],
            "confidence": [1.0] * 6,
            "status": ["clustered"] * 6,
        }
    )
    history = build_history(
        pl.concat([INTERACTIONS.filter(pl.col("source") == "vk")] * 2).with_columns(
            pl.Series("source_id", ["1", "1", "2", "2", "3", "4", "5", "0"])
        ),
        members,
    ).select(HISTORY_STATS_COLUMNS)
    published = build_profiles(people, members, clusters, history)
    kept = profile_digests(people, members, clusters, history)
    # the next run: one contact's display name (p1), one interaction more (p3), nothing else
    people = people.with_columns(
        pl.when(pl.col("record_id") == 1)
        .then(pl.lit("Иван Петров"))
        .otherwise(pl.col("display_name"))
        .alias("display_name")
    )
    history = pl.concat([history, history.filter(pl.col("profile_id") == "p3").head(1)])
    digests = profile_digests(people, members, clusters, history)
    reused = reuse_profiles(digests, published, kept)
    assert sorted(reused["profile_id"]) == ["p2", "p4"]
    todo = members.join(reused.select("profile_id"), on="profile_id", how="anti")
    built = build_profiles(
        people.join(todo, on=["source", "source_id"], how="semi"),
        todo,
        clusters,
        history.join(todo.select("profile_id"), on="profile_id", how="semi"),
    )
    whole = build_profiles(people, members, clusters, history)
    assert pl.concat([reused, built]).sort("profile_id").equals(whole)
    assert not whole.equals(published)
    assert reuse_profiles(digests, None, kept).height == 0


def test_match_records_made_a_slice_at_a_time_are_those_made_at_once(monkeypatch):
    """match_records_json makes the JSON ``JSON_ROWS`` rows at a time (its working memory at
    5M contacts); slices of 2 rows, with an odd record among them, give the same records."""
    from resolution.publishing import reasons

    specs = field_specs(load_config(None))
    frame = contacts(["иван петров", "петров  иван", "анна", None, "bell\x07name", "ольга"])
    keys = frame.select("record_id", "source", "source_id")
    whole = match_records_json(record_frame(frame, specs), specs, keys)
    monkeypatch.setattr(reasons, "JSON_ROWS", 2)
    sliced = match_records_json(record_frame(frame, specs), specs, keys)
    assert sliced.sort("record_id").equals(whole.sort("record_id"))
    made = records(frame, specs)
    assert sliced.sort("record_id")["match_record"].to_list() == [
        match_record_json(made[i]) for i in sorted(made)
    ]
