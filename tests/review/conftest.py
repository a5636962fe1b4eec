"""Fixtures of the review app's tests: a home resolved from ``data/sample`` once per session
(copied for each test module that changes it), accounts, and a signed-in client."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import edin

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
PASSWORDS = {"olga": "olga-secret-1", "ivan": "ivan-secret-1"}


def run_sample(home: Path) -> None:
    """``edin run data/sample --home HOME`` (applies the decisions recorded since)."""
    proc = edin("run", str(SAMPLE), "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory) -> Path:
    """A home resolved from data/sample with two accounts (never changed: copy it)."""
    home = tmp_path_factory.mktemp("review-sample") / "home"
    run_sample(home)
    from review.store import ReviewStore

    store = ReviewStore(home)
    store.add_user("olga", "admin", PASSWORDS["olga"])
    store.add_user("ivan", "operator", PASSWORDS["ivan"], lang="ru")
    return home


def copy_home(sample_home: Path, target: Path) -> Path:
    """A private copy of the sample home (``current`` is a relative symlink: it follows)."""
    shutil.copytree(sample_home, target, symlinks=True)
    return target


@pytest.fixture(scope="module")
def home(sample_home: Path, tmp_path_factory) -> Path:
    """A copy of the sample home that this test module may change."""
    return copy_home(sample_home, tmp_path_factory.mktemp("review-home") / "home")


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client, user: str = "ivan") -> None:
    page = client.get("/review/login")
    got = client.post(
        "/review/login",
        data={"user": user, "password": PASSWORDS[user], "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert got.status_code == 303, got.text
