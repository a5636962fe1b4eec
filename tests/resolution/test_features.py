"""normalized_contacts: what each cell contributes to a contact's keys, in or out of workers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import polars as pl
import pytest

import resolution.inputs.normalize as features
from resolution.config import default_config
from resolution.inputs.normalize import normalize_contacts

T = datetime(2024, 5, 1, 7, tzinfo=UTC)
ROWS = [  # source, source_id, name, email, phone, handle, city
    ("vk", "1", "Иван Иванов", "Ivan.Ivanov@Gmail.com", "8(916)482-15-37", "vk.com/id1", "Москва"),
    ("telegram", "2", "Vanya", None, None, "@vanya_i", "мск"),
    ("whatsapp", "3", "+7 926 000-11-22", None, None, "wa.me/79164821537", None),
    ("email", "4", "Клиент", "info@firma.ru; petrov@mail.ru", "8 800 555-35-35", None, None),
    ("phone", "5", None, None, "89164821537, 8 (495) 482-15-37", None, "Санкт-Петербург"),
    ("vk", "6", None, None, None, None, None),
    ("email", "7", None, "tatyana.moiseeva@mail.ru", None, None, None),
    ("telegram", "8", "Guest", None, None, "@lukyanov_roman_49", None),
    ("telegram", "9", "Роман", None, None, "@lukyanov_roman_49", None),
    ("telegram", "10", "Сергей", None, None, "@marina_ivanova", None),
    ("email", "11", "Сергей", "vlasova1962@mail.ru", None, None, None),
    ("email", "12", "Анна", "annakuznecova@mail.ru", None, "@anna_petrova", None),
    ("telegram", "13", "Максим К.", None, None, "@maximkornilov", None),
    ("telegram", "14", "Максим Б.", None, None, "@maximkornilov", None),
]


def contacts() -> pl.DataFrame:
    df = pl.DataFrame(
        ROWS,
        orient="row",
        schema=["source", "source_id", "name", "email", "phone", "handle", "city"],
    )
    return df.with_columns(pl.lit(T).alias("created_ts"))


def row(df: pl.DataFrame, source_id: str) -> dict:
    return df.filter(pl.col("source_id") == source_id).to_dicts()[0]


def test_each_cell_contributes_its_keys() -> None:
    out = normalize_contacts(contacts(), default_config())
    assert out["record_id"].to_list() == list(range(len(ROWS)))
    ivan = row(out, "1")
    assert ivan["name_key"] == "ivan ivanov"
    assert ivan["emails"] == ["ivanivanov@gmail.com"]
    assert ivan["emails_display"] == ["Ivan.Ivanov@gmail.com"]
    assert ivan["phones"] == ["+79164821537"]
    assert ivan["handles"] == ["vk:id1"]
    vanya = row(out, "2")
    assert vanya["given_key"] == "ivan" and vanya["handles"] == ["tg:vanya_i"]
    # A phone typed as the name, and a WhatsApp link, are both phone evidence.
    wa = row(out, "3")
    assert wa["phones"] == ["+79164821537", "+79260001122"]
    assert wa["phones_display"] == ["+79260001122", "+79164821537"]
    assert "name:no_evidence" in wa["flags"] and wa["name_key"] is None
    # Role mailboxes and toll-free numbers are shown but are not match keys.
    office = row(out, "4")
    assert office["emails"] == ["petrov@mail.ru"] and office["email_local"] == "petrov"
    assert office["phones"] == [] and office["phones_display"] == ["+78005553535"]
    assert {"email:generic", "phone:generic", "name:no_evidence"} <= set(office["flags"])
    two = row(out, "5")
    assert two["phones"] == ["+74954821537", "+79164821537"]
    empty = row(out, "6")
    assert empty["phones"] == [] and empty["flags"] == [] and empty["name_key"] is None


def test_a_nameless_contact_takes_a_name_from_its_address_or_nickname() -> None:
    out = normalize_contacts(contacts(), default_config())
    tanya, guest, roman = row(out, "7"), row(out, "8"), row(out, "9")
    assert tanya["name_key"] == "tatiana moiseva" and tanya["display_name"] is None
    assert "name:from_identifier" in tanya["flags"]
    assert guest["surname_key"] == "lukianov" and guest["given_key"] == "roman"
    # A typed name wins over the one in the nickname, which gives only the surname it lacks.
    assert roman["name_key"] == "roman lukianov" and roman["surname_key"] == "lukianov"
    assert "name:from_identifier" not in roman["flags"]
    assert "name:surname_from_identifier" in roman["flags"]


@pytest.mark.parametrize(
    ("source_id", "name_key", "surname_key"),
    [
        ("10", "sergei", None),  # the nickname names another person (Марина)
        ("11", "sergei", None),  # a woman's surname: not his
        ("12", "ana kuznecova", "kuznecov"),  # the address first, in another transliteration
        ("13", "maksim kornilov", "kornilov"),  # the initial fits
        ("14", "maksim", None),  # the initial does not
    ],
)
def test_a_typed_name_takes_only_a_surname_that_fits(
    source_id: str, name_key: str, surname_key: str | None
) -> None:
    contact = row(normalize_contacts(contacts(), default_config()), source_id)
    assert (contact["name_key"], contact["surname_key"]) == (name_key, surname_key)
    completed = "name:surname_from_identifier" in contact["flags"]
    assert completed == (surname_key is not None)


# 0: every column to the workers; 10: the names start them, the fewer e-mails and cities follow
@pytest.mark.parametrize("parallel_from", [0, 10])
def test_worker_processes_give_the_same_table(
    monkeypatch: pytest.MonkeyPatch, parallel_from: int
) -> None:
    config = default_config()
    here = normalize_contacts(
        contacts(), replace(config, resolution=replace(config.resolution, workers=1))
    )
    monkeypatch.setattr(features, "PARALLEL_FROM", parallel_from)
    monkeypatch.setattr(features, "_CHUNK", 2)
    workers = normalize_contacts(
        contacts(), replace(config, resolution=replace(config.resolution, workers=2))
    )
    assert workers.equals(here)


@pytest.mark.parametrize(
    ("source", "handle", "key"),
    [
        # channel names the handle normalizer knows but the pipeline once read as no platform
        ("vkontakte", "ivan_petrov", "vk:ivan_petrov"),
        ("insta", "ivan_petrov", "ig:ivan_petrov"),
        ("odnoklassniki", "https://ok.ru/profile/5551234", "ok:5551234"),
        ("VK", "ivan_petrov", "vk:ivan_petrov"),
        ("telegram", "@Ivan_Petrov", "tg:ivan_petrov"),
        ("webchat", "ivan_petrov", "unknown:ivan_petrov"),
    ],
)
def test_a_bare_handle_is_read_on_the_platform_its_source_names(
    source: str, handle: str, key: str
) -> None:
    columns = ["source", "source_id", "name", "email", "phone", "handle", "city"]
    df = pl.DataFrame(
        [(source.lower(), "1", None, None, None, handle, None)],
        orient="row",
        schema=dict.fromkeys(columns, pl.String),
    )
    out = normalize_contacts(df.with_columns(pl.lit(T).alias("created_ts")), default_config())
    assert out["handles"].to_list() == [[key]]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_pause_leaves_the_collector_as_it_found_it(enabled: bool) -> None:
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with features._collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
        with pytest.raises(ValueError), features._collector_paused():
            raise ValueError
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()
