"""The published home the API tests share (made once per session by ``edin run``) and an API
token for it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from api import TokenStore, create_app
from synth import generate, write_dataset
from tests.conftest import edin

HANDPICKED = pl.DataFrame(
    [
        (
            "vk",
            "api-1",
            "Иван Петров",
            None,
            "8 (916) 342-78-15",
            "vk.com/ivan_petrov_api",
            None,
            "2024-01-01T10:00:00+03:00",
        ),
        (
            "telegram",
            "api-2",
            "Ваня Петров",
            "Ivan.Petrov.Api@gmail.com",
            None,
            "https://t.me/vanya_petrov_api",
            "Москва",
            "2024-01-02T10:00:00+03:00",
        ),
    ],
    schema=["source", "source_id", "name", "email", "phone", "handle", "city", "created_at"],
    orient="row",
)


@pytest.fixture(scope="session")
def home(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("api-data")
    ds = generate(60, seed=5)
    write_dataset(ds, data)
    contacts = pl.read_csv(data / "contacts.csv", infer_schema=False)
    pl.concat([contacts, HANDPICKED]).write_csv(data / "contacts.csv")
    home = tmp_path_factory.mktemp("api-home")
    proc = edin("run", str(data), "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return home


@pytest.fixture(scope="session")
def api_token(home: Path) -> str:
    """An active token of ``home`` (tests that copy the home copy it too)."""
    return TokenStore(home).create("tests")


@pytest.fixture(scope="module")
def client(home: Path, api_token: str) -> TestClient:
    """The API on ``home``, every request with the token."""
    return TestClient(create_app(home), headers={"Authorization": f"Bearer {api_token}"})
