"""A lone contact joins the one profile bearing its full name in its city, and only then."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from resolution.contract import CLUSTERS, conform
from resolution.linking import attach, attach_by_name_and_city
from resolution.linking.attach import attached_now, detach, keyed_attachments, weighed_hits

IDENTIFIERS = ("phones", "emails", "handles")
SCHEMA = {
    "record_id": pl.Int64,
    "given_key": pl.String,
    "surname_key": pl.String,
    "city_key": pl.String,
    **dict.fromkeys(IDENTIFIERS, pl.List(pl.String)),
}


def contacts(*rows: tuple) -> pl.DataFrame:
    """(record_id, given, surname, city, phones, handles) rows."""
    return pl.DataFrame(
        [
            {
                "record_id": r,
                "given_key": g,
                "surname_key": s,
                "city_key": c,
                "phones": list(p),
                "emails": [],
                "handles": list(h),
            }
            for r, g, s, c, p, h in rows
        ],
        schema=SCHEMA,
    )


def clusters(groups: list[list[int]], review: frozenset[int] = frozenset()) -> pl.DataFrame:
    rows = [
        (r, min(g), 1.0, "review" if r in review else "clustered" if len(g) > 1 else "singleton")
        for g in groups
        for r in g
    ]
    return conform(pl.DataFrame(rows, schema=CLUSTERS, orient="row"), CLUSTERS, "clusters")


def profile_of(out: pl.DataFrame) -> dict[int, int]:
    return dict(out.select("record_id", "cluster_id").iter_rows())


IVANS = contacts(
    (1, "ivan", "ivanov", "москва", ["+79161110001"], []),
    (2, "ivan", "ivanov", "москва", ["+79161110001"], []),
    (3, "ivan", "ivanov", "казань", ["+79033330003"], []),
    (4, "ivan", "ivanov", "новосибирск", ["+79524440004"], ["ig:ivan_nsk"]),
    (5, "ivan", "ivanov", "новосибирск", ["+79524440004"], []),
    (6, "ivan", "ivanov", "новосибирск", [], ["vk:id74004"]),  # name and city only
    (7, "ivan", "ivanov", None, [], []),  # a guest: no city
    (8, "ivan", "ivanov", "тула", [], []),  # no profile in Тула
)


def test_a_lone_contact_joins_the_only_profile_with_its_name_in_its_city() -> None:
    out, moved = attach_by_name_and_city(
        clusters([[1, 2], [3], [4, 5], [6], [7], [8]]), IVANS, IDENTIFIERS
    )
    got = profile_of(out)
    assert got[6] == got[4] == 4
    assert moved.rows() == [(6, 4)]
    assert got[7] == 7 and got[8] == 8  # no city; no profile in its city
    assert got[3] == 3  # Казань's Ivan is alone in Казань but no lone contact fits him
    assert out.filter(pl.col("record_id") == 6)["status"].item() == "clustered"


def test_two_profiles_in_the_city_is_no_attachment() -> None:
    out, moved = attach_by_name_and_city(
        clusters([[1, 2], [3], [4], [5], [6]]),
        IVANS.with_columns(pl.lit("москва").alias("city_key")),
        IDENTIFIERS,
    )
    assert moved.height == 0 and profile_of(out)[6] == 6


def test_a_conflicting_identifier_keeps_it_apart() -> None:
    other_phone = IVANS.with_columns(
        pl.when(pl.col("record_id") == 6)
        .then(pl.lit(["+79990000000"]))
        .otherwise(pl.col("phones"))
        .alias("phones")
    )
    out, moved = attach_by_name_and_city(
        clusters([[1, 2], [3], [4, 5], [6]]), other_phone, IDENTIFIERS
    )
    assert moved.height == 0 and profile_of(out)[6] == 6


def test_a_handle_on_another_platform_is_no_conflict_but_one_on_the_same_is() -> None:
    same_platform = IVANS.with_columns(
        pl.when(pl.col("record_id") == 6)
        .then(pl.lit(["ig:someone_else"]))
        .otherwise(pl.col("handles"))
        .alias("handles")
    )
    _, moved = attach_by_name_and_city(
        clusters([[1, 2], [3], [4, 5], [6]]), same_platform, IDENTIFIERS
    )
    assert moved.height == 0


def test_a_profile_under_review_takes_no_one() -> None:
    _, moved = attach_by_name_and_city(
        clusters([[1, 2], [3], [4, 5], [6]], review=frozenset({4, 5})), IVANS, IDENTIFIERS
    )
    assert moved.height == 0


def test_a_configured_identifier_field_of_one_string_counts_too() -> None:
    """FEBRL's soc_sec_id: one string per contact, not a list."""
    with_ssn = IVANS.with_columns(
        pl.when(pl.col("record_id") == 6)
        .then(pl.lit("111"))
        .when(pl.col("record_id").is_in([4, 5]))
        .then(pl.lit("222"))
        .otherwise(None)
        .alias("f_ssn")
    )
    clusters_ = clusters([[1, 2], [3], [4, 5], [6]])
    _, moved = attach_by_name_and_city(clusters_, with_ssn, (*IDENTIFIERS, "f_ssn"))
    assert moved.height == 0  # 111 against 222: two people
    _, moved = attach_by_name_and_city(
        clusters_,
        with_ssn.with_columns(pl.lit(None, pl.String).alias("f_ssn")),
        (*IDENTIFIERS, "f_ssn"),
    )
    assert moved.rows() == [(6, 4)]


def test_attachments_are_kept_by_contact_key_and_found_again_after_ids_shift() -> None:
    # record ids are dense in (source, source_id) order: a drop's new contact "a" moves
    # every id up by one, so an attachment kept by record id would undo the wrong contact
    before = pl.DataFrame(
        {"record_id": [0, 1, 2], "source": ["vk"] * 3, "source_id": ["b", "c", "d"]}
    )
    kept = keyed_attachments(pl.DataFrame({"record_id": [1], "cluster_id": [0]}), before)
    assert kept.to_dicts() == [{"source": "vk", "source_id": "c"}]
    after = pl.DataFrame(
        {"record_id": [0, 1, 2, 3], "source": ["vk"] * 4, "source_id": ["a", "b", "c", "d"]}
    )
    assert attached_now(kept, after)["record_id"].to_list() == [2]
    # a contact erased since drops out; a table of record ids alone cannot be mapped
    assert attached_now(kept, after.filter(pl.col("source_id") != "c")).height == 0
    legacy = pl.DataFrame({"record_id": [1], "cluster_id": [0]})
    assert attached_now(legacy, after).height == 0


def named(*rows: tuple) -> pl.DataFrame:
    """(record_id, full name key, city, phones) rows, with the columns the weighing reads."""
    return pl.DataFrame(
        [
            {
                "record_id": r,
                "name_key": n,
                "given_key": n.split(" ")[0] if n else None,
                "surname_key": n.split(" ")[-1] if n and " " in n else None,
                "city_key": c,
                "phones": list(p),
                "emails": [],
                "handles": [],
            }
            for r, n, c, p in rows
        ],
        schema={"name_key": pl.String, **SCHEMA},
    )


def test_a_lone_contact_joins_the_one_profile_its_name_and_context_fit() -> None:
    # profile {1, 2} bears "ivan zhukovskii" (contact 2 is nameless, same phone); 3 is alone
    rows = [(1, "ivan zhukovskii", None, ["+7001"]), (2, None, None, ["+7001"])]
    lone = (3, "ivan zhukovskii", None, [])
    out, moved = attach_by_name_and_city(clusters([[1, 2], [3]]), named(*rows, lone), IDENTIFIERS)
    # two contacts bear the name: odds 6 / 2 = 3, a share of 3 / (1 + 3) = 0.75 of the profile
    assert profile_of(out)[3] == 1
    assert moved.to_dicts() == [{"record_id": 3, "cluster_id": 1}]
    # a second profile bearing the name: neither fits better than the other
    other = (4, "ivan zhukovskii", None, ["+7004"])
    out, moved = attach_by_name_and_city(
        clusters([[1, 2], [3], [4]]), named(*rows, lone, other), IDENTIFIERS
    )
    assert moved.height == 0 and profile_of(out)[3] == 3
    # the lone contact's phone is none of the profile's: two people
    out, moved = attach_by_name_and_city(
        clusters([[1, 2], [3]]), named(*rows, (3, "ivan zhukovskii", None, ["+7999"])), IDENTIFIERS
    )
    assert moved.height == 0
    # an operator's decision on the contact has the last word
    _, moved = attach_by_name_and_city(
        clusters([[1, 2], [3]]), named(*rows, lone), IDENTIFIERS, exclude=pl.Series([3])
    )
    assert moved.height == 0


def test_detaching_undoes_an_attachment_that_gave_the_profile_its_id() -> None:
    # contact 1 attached to {3, 4}: the profile took its id (the smallest); detaching it must
    # leave {3, 4} together under their own id and 1 alone
    rows = [(1, "ivan zhukovskii", None, []), (3, "ivan zhukovskii", None, ["+7003"])]
    rows.append((4, None, None, ["+7003"]))
    out, moved = attach_by_name_and_city(clusters([[1], [3, 4]]), named(*rows), IDENTIFIERS)
    assert profile_of(out) == {1: 1, 3: 1, 4: 1}
    back = detach(out, moved.select("record_id"))
    assert profile_of(back) == {1: 1, 3: 3, 4: 3}
    assert dict(back.select("record_id", "status").iter_rows())[1] == "singleton"


def _bearers(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two lone contacts 1 and 2 with one full name, city and creation day (the best context:
    each fits the other), and n - 2 more bearers of the name held for review (counted, never
    candidates)."""
    ids = list(range(1, n + 1))
    day = datetime(2026, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "record_id": ids,
            "name_key": ["ivan zhukovskii"] * n,
            "given_key": ["ivan"] * n,
            "surname_key": ["zhukovskii"] * n,
            "city_key": ["тула"] * n,
            "created_at": [day] * n,
            "phones": [[] for _ in ids],
            "emails": [[] for _ in ids],
        },
        schema_overrides={"phones": pl.List(pl.String), "emails": pl.List(pl.String)},
    )
    return clusters([[1], [2], ids[2:]], review=frozenset(ids[2:])), frame


def test_names_too_common_to_ever_attach_are_not_weighed_and_the_cut_is_exact(
    monkeypatch,
) -> None:
    # odds 6 / n times 2 ** 3.4 (same city, created the same day): a share of 0.701 at n = 27,
    # 0.693 at n = 28; MOST_BEARERS (27.1) cuts between them
    assert 27 < attach.MOST_BEARERS < 28
    got = {n: weighed_hits(*_bearers(n)) for n in (27, 28)}
    assert got[27].to_dicts() == [{"record_id": 1, "to": 2}, {"record_id": 2, "to": 1}]
    assert got[28].height == 0
    monkeypatch.setattr(attach, "MOST_BEARERS", float("inf"))
    assert all(weighed_hits(*_bearers(n)).equals(got[n]) for n in (27, 28))
