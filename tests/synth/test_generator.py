"""The synthetic-data generator: contract, determinism, ground truth and the hard cases."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

from synth import CONFIG, Dataset, SynthConfig, generate, write_dataset
from synth.lexicon import GENERIC_NAMES, load

CONTACT_COLUMNS = ["source", "source_id", "name", "email", "phone", "handle", "city", "created_at"]
INTERACTION_COLUMNS = [
    "source",
    "source_id",
    "interaction_id",
    "started_at",
    "channel",
    "subject",
    "rating",
    "operator",
]
SOURCES = {"vk", "telegram", "instagram", "whatsapp", "email", "phone", "webchat"}
SOURCE_ID_SHAPES = {
    "vk": r"\d{7,9}",
    "telegram": r"\d{9,10}",
    "instagram": r"\d{10,11}",
    "whatsapp": r"\d{9,15}|wa-[0-9a-f]{12}",
    "email": r"em-\d{6,}",
    "phone": r"call-\d{6,}",
    "webchat": r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
}
MSK = timezone(timedelta(hours=3))


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return generate(2000, seed=0)


@pytest.fixture(scope="module")
def big() -> Dataset:
    return generate(10_000, seed=1)


def _with_truth(d: Dataset) -> pl.DataFrame:
    return d.contacts.join(d.truth, on=["source", "source_id"], how="left")


def _phone_key(col: str = "phone") -> pl.Expr:
    """Last ten digits of the first number in the field (a deliberately crude test-side key)."""
    first = pl.col(col).str.split(";").list.first().str.split("доб").list.first()
    return first.str.replace_all(r"\D", "").str.slice(-10)


def _parse(ts: str) -> datetime:
    dt = datetime.fromisoformat(ts)
    return dt if dt.tzinfo else dt.replace(tzinfo=MSK)


# ---- determinism ------------------------------------------------------------------------------
def test_same_seed_gives_identical_frames_and_bytes(tmp_path: Path) -> None:
    a, b = generate(300, seed=5), generate(300, seed=5)
    for name in ("contacts", "interactions", "truth"):
        assert getattr(a, name).equals(getattr(b, name))
    pa, pb = write_dataset(a, tmp_path / "a"), write_dataset(b, tmp_path / "b")
    for name in pa:
        assert pa[name].read_bytes() == pb[name].read_bytes()
    assert not generate(300, seed=6).contacts.equals(a.contacts)


# ---- contract ---------------------------------------------------------------------------------
def test_contract_columns_are_utf8_without_nulls(ds: Dataset) -> None:
    assert ds.contacts.columns == CONTACT_COLUMNS
    assert ds.interactions.columns == INTERACTION_COLUMNS
    assert ds.truth.columns == ["source", "source_id", "entity_id"]
    for df in (ds.contacts, ds.interactions, ds.truth):
        assert all(dt == pl.String for dt in df.dtypes)
        assert df.null_count().sum_horizontal().item() == 0  # missing = empty string


def test_sources_and_channel_shaped_unique_ids(ds: Dataset) -> None:
    c = ds.contacts
    assert set(c["source"].unique()) == SOURCES
    assert c.select("source", "source_id").is_unique().all()
    for source, shape in SOURCE_ID_SHAPES.items():
        ids = c.filter(pl.col("source") == source)["source_id"]
        bad = ids.filter(~ids.str.contains(f"^(?:{shape})$"))
        assert bad.len() == 0, (source, bad.head(3).to_list())


def test_created_at_is_iso_8601_mostly_moscow_with_other_styles(ds: Dataset) -> None:
    ts = ds.contacts["created_at"].to_list()
    for t in ts:
        datetime.fromisoformat(t)
    share_msk = sum(t.endswith("+03:00") for t in ts) / len(ts)
    assert 0.75 < share_msk < 0.95
    assert any(t.endswith("Z") for t in ts)
    assert any(re.search(r"T\d\d:\d\d:\d\d$", t) for t in ts)  # naive
    assert any(t.endswith(("+05:00", "+07:00", "+10:00")) for t in ts)  # other Russian zones


def test_every_contact_in_truth_exactly_once(ds: Dataset) -> None:
    keys = ["source", "source_id"]
    assert ds.truth.height == ds.contacts.height
    assert ds.truth.select(keys).is_unique().all()
    assert ds.contacts.join(ds.truth, on=keys, how="anti").height == 0
    assert ds.truth["entity_id"].str.contains(r"^p\d{6,}$").all()
    assert ds.truth["entity_id"].n_unique() == 2000  # every person shows up


def test_contacts_per_person_has_a_long_tail(ds: Dataset) -> None:
    per = ds.truth.group_by("entity_id").len()["len"]
    assert 2.2 < per.mean() < 2.9
    assert (per == 1).mean() > 0.3
    assert per.max() >= 8


def test_interactions_reference_contacts_and_follow_creation(ds: Dataset) -> None:
    keys = ["source", "source_id"]
    it = ds.interactions
    assert it.join(ds.contacts, on=keys, how="anti").height == 0
    assert it["interaction_id"].is_unique().all()
    per = it.group_by(keys).len()["len"]
    assert per.min() >= 1 and per.max() <= 8
    assert ds.contacts.join(it, on=keys, how="anti").height == 0  # every contact has one
    assert set(it["rating"].unique()) == {"good", "neutral", "bad", ""}
    assert set(it["channel"].unique()) >= {"chat", "call", "email", "message"}
    assert it["subject"].str.contains("[а-яА-Я]").all()
    assert (it["operator"] != "").all()
    joined = it.join(ds.contacts.select(*keys, "created_at"), on=keys)
    for started, created in joined.select("started_at", "created_at").iter_rows():
        assert _parse(started) >= _parse(created)


def test_write_dataset_round_trips(tmp_path: Path, ds: Dataset) -> None:
    paths = write_dataset(ds, tmp_path / "out")
    assert set(paths) == {"contacts", "interactions", "truth"}
    for name, frame in (
        ("contacts", ds.contacts),
        ("interactions", ds.interactions),
        ("truth", ds.truth),
    ):
        raw = paths[name].read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert raw.decode("utf-8").split("\n", 1)[0] == ",".join(frame.columns)
        back = pl.read_csv(paths[name], infer_schema=False, empty_string_is_null=False)
        assert back.equals(frame)


def test_zero_persons() -> None:
    d = generate(0)
    assert d.contacts.height == d.interactions.height == d.truth.height == 0
    assert d.contacts.columns == CONTACT_COLUMNS


# ---- hard cases -------------------------------------------------------------------------------
def test_hub_phone_shared_by_hundreds_of_entities(big: Dataset) -> None:
    c = (
        _with_truth(big)
        .with_columns(_phone_key().alias("k"))
        .filter(pl.col("k").str.len_chars() == 10)
    )
    hubs = c.group_by("k").agg(pl.len(), pl.col("entity_id").n_unique().alias("ents"))
    assert hubs["ents"].max() >= 100


def test_placeholder_emails_shared_by_unrelated_people(big: Dataset) -> None:
    c = _with_truth(big).filter(pl.col("email") != "")
    shared = c.group_by(pl.col("email").str.to_lowercase()).agg(
        pl.col("entity_id").n_unique().alias("ents")
    )
    top = dict(zip(shared["email"], shared["ents"], strict=True))
    assert top.get("test@test.ru", 0) >= 20
    assert top.get("no@mail.ru", 0) >= 10


def test_small_groups_share_phones_and_mailboxes(big: Dataset) -> None:
    """Families (home phone, family mailbox) and colleagues (office line, info@)."""
    c = _with_truth(big)
    phones = (
        c.with_columns(_phone_key().alias("k"))
        .filter(pl.col("k").str.len_chars() == 10)
        .group_by("k")
        .agg(pl.col("entity_id").n_unique().alias("ents"))
    )
    assert phones.filter(pl.col("ents").is_between(2, 5)).height >= 50
    mails = (
        c.filter(pl.col("email").str.contains("@"))
        .group_by(pl.col("email").str.to_lowercase())
        .agg(pl.col("entity_id").n_unique().alias("ents"))
    )
    small = mails.filter(pl.col("ents").is_between(2, 12))["email"]
    assert small.str.contains(
        r"^(info|office|zakaz|sales|mail|buh|secretary|priemnaya|manager"
        r"|snab)@"
    ).any()
    assert small.str.contains(r"(semya|family|ovy@|evy@|iny@|dom\.)").any()


def test_some_entity_spans_three_or_more_sources(ds: Dataset) -> None:
    n = _with_truth(ds).group_by("entity_id").agg(pl.col("source").n_unique().alias("n"))
    assert n["n"].max() >= 3
    assert (n["n"] >= 3).sum() >= 100


def test_namesakes_same_name_same_city_different_people(ds: Dataset) -> None:
    canon = {}
    for city in load().cities:
        canon[city.name.lower()] = city.name
        for v in city.variants:
            canon[v.lower()] = city.name
    generic = {w.lower() for words in GENERIC_NAMES.values() for g in words for w in g.split()}
    rows = []
    for name, city, ent in _with_truth(ds).select("name", "city", "entity_id").iter_rows():
        toks = [t for t in name.lower().replace("ё", "е").split() if t.isalpha() and len(t) > 1]
        if len(toks) >= 2 and city.lower() in canon and not set(toks) & generic:
            rows.append((" ".join(sorted(toks[:2])), canon[city.lower()], ent))
    df = pl.DataFrame(rows, schema=["name", "city", "entity_id"], orient="row")
    groups = df.group_by("name", "city").agg(pl.col("entity_id").n_unique().alias("ents"))
    assert groups["ents"].max() >= 2


def test_name_and_identifier_noise_is_present(big: Dataset) -> None:
    c = big.contacts
    names = c["name"]
    assert names.str.contains("[а-яА-Я][aeopcxy]|[aeopcxy][а-яА-Я]").any()  # homoglyph
    assert names.str.contains("[\u200b\u200c\u200d\ufeff\u200e]").any()  # zero-width
    assert names.str.contains("\u00a0").any()  # NBSP
    assert names.str.contains("^[A-Z][a-z]+ [A-Z][a-z]+$").any()  # Latin
    assert names.str.contains("^[А-ЯЁ ]{6,}$").any()  # ALL CAPS
    assert names.is_in(["Гость", "Клиент", "Telegram user"]).any()
    assert (names == "").mean() > 0.05
    emails = c["email"].str.to_lowercase()
    assert emails.str.contains(r"@(gmial\.com|gmai\.com|mail\.ry|yandeх\.ru|mai\.ru)$").any()
    assert emails.str.contains(r"\+[a-z0-9]+@gmail\.com").any()  # gmail +tag
    assert emails.str.contains("почта.рф|xn--80a1acny").any()
    phones = c["phone"]
    assert phones.str.contains("доб").any()
    assert phones.str.contains(r"^(8|\+7)[ -]?\(?800").any()
    assert phones.str.contains(r"^\+(375|380|49|998|374|996|992)").any()
    shapes = phones.str.replace_all(r"\d", "9").n_unique()
    assert shapes >= 30
    handles = c["handle"]
    for pattern in (
        r"vk\.com/id\d+",
        r"vk\.(com|ru)/[a-z]",
        r"^@",
        r"t\.me/",
        r"instagram\.com/",
        r"wa\.me/",
    ):
        assert handles.str.contains(pattern).any(), pattern
    cities = c.filter(pl.col("city") != "")["city"]
    assert {"Москва", "Moscow", "мск", "СПб", "Питер"} <= set(cities.unique())
    assert (c["city"] == "").mean() > 0.5


def test_lexicon_is_big_enough() -> None:
    lex = load()
    for names in (lex.male, lex.female):
        assert len(names) >= 120
        assert all(n.latin for n in names)
        assert sum(bool(n.diminutives) for n in names) >= 80
    assert {n.origin for n in lex.male} >= {"ru", "tatar", "armenian", "ukrainian", "central_asian"}
    assert all(n.patronymic_m and n.patronymic_f for n in lex.male)
    assert len(lex.surnames) >= 300
    forms = {s.male: s.female for s in lex.surnames}
    assert forms["Иванов"] == "Иванова" and forms["Петровский"] == "Петровская"
    assert forms["Шевченко"] == "Шевченко" and forms["Толстой"] == "Толстая"
    assert len(lex.cities) >= 40
    assert all(c.variants for c in lex.cities)


def test_config_is_validated_and_tunable() -> None:
    with pytest.raises(ValueError):
        SynthConfig(hub_phone={"vk": 0.0})
    no_hubs = dataclasses.replace(
        CONFIG, hub_phone={s: 0.0 for s in SOURCES}, hub_email={s: 0.0 for s in SOURCES}
    )
    d = generate(1000, seed=2, config=no_hubs)
    assert not d.contacts["email"].str.to_lowercase().is_in(["test@test.ru", "no@mail.ru"]).any()


def test_generator_does_not_use_the_normalizers() -> None:
    for path in (Path(__file__).parents[2] / "synth").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+normalizers", text, re.M), path
