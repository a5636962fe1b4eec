"""Who may call the lookup API and what it gives away: Bearer tokens (none or a wrong or revoked
one: 401), no contact value in any log line, strict queries that never echo more than a prefix,
`edin token` and the checks `edin serve` makes before it listens."""

from __future__ import annotations

import io
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from api import TokenError, TokenStore, create_app
from api.app import ECHO_CHARS
from edin.cli import UsageError, check_serve, main

PHONE, EMAIL = "8 (916) 342-78-15", "Ivan.Petrov.Api@gmail.com"  # a contact of the home
DATA_PATHS = ("/lookup?phone=89163427815", "/profiles/p_x", "/profiles/p_x/history")


@pytest.fixture(scope="module")
def anonymous(home: Path) -> TestClient:
    return TestClient(create_app(home))


def assert_no_contact_data(text: str) -> None:
    digits = "".join(c for c in text if c.isdigit())
    assert "3427815" not in digits, text
    assert "342-78-15" not in text and "342 78 15" not in text, text
    assert "ivan.petrov" not in text.lower() and "petrov.api" not in text.lower(), text
    assert "%40gmail" not in text.lower() and "@gmail" not in text.lower(), text


@pytest.mark.parametrize("path", DATA_PATHS)
def test_no_token_is_401_with_a_bearer_challenge(anonymous, path):
    got = anonymous.get(path)
    assert got.status_code == 401
    assert got.headers["www-authenticate"].startswith("Bearer")
    assert "edin token create" in got.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer wrong", "Bearer edin_" + "A" * 43, "Basic dXNlcjpwYXNz", "Bearer", "wrong"],
)
def test_a_wrong_token_is_401(anonymous, api_token, header):
    got = anonymous.get("/lookup", params={"phone": PHONE}, headers={"Authorization": header})
    assert got.status_code == 401
    assert got.headers["www-authenticate"].startswith("Bearer")
    assert api_token not in got.text


def test_a_revoked_token_is_refused_from_the_next_request_on(home, anonymous):
    token = TokenStore(home).create("revoked-soon")
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/lookup", params={"phone": PHONE}, headers=headers).status_code == 200
    TokenStore(home).revoke("revoked-soon")
    got = anonymous.get("/lookup", params={"phone": PHONE}, headers=headers)
    assert got.status_code == 401 and "revoked" in got.json()["detail"]


def test_health_docs_and_openapi_stay_open(anonymous):
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/docs").status_code == 200
    spec = anonymous.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/lookup"]["get"]["security"] == [{"HTTPBearer": []}]


def test_a_lookup_is_logged_by_route_without_its_query(client):
    """The `Done when` line: a query's log line holds no phone or e-mail."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    logger = logging.getLogger("edin.api")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        found = client.get("/lookup", params={"phone": PHONE, "email": EMAIL})
        unknown = client.get("/no/such/" + EMAIL)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert found.status_code == 200 and found.json()["profiles"]
    assert unknown.status_code == 404
    logged = buffer.getvalue()
    assert "GET /lookup 200" in logged and "GET ? 404" in logged
    assert_no_contact_data(logged)


def test_edin_serve_logs_no_contact_data(home, api_token):
    """The real server (uvicorn with `edin serve`'s settings): everything it writes while
    answering lookups with and without a token holds no phone or e-mail."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "edin", "serve", "--home", str(home), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=5).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        url = f"{base}/lookup?{urlencode({'phone': PHONE, 'email': EMAIL})}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "GET /lookup 401" in output and "GET /lookup 200" in output, output
    assert_no_contact_data(output)


@pytest.mark.parametrize(
    "params",
    [
        {"email": "a\r\nX-Injected: 1@mail.ru"},
        {"email": "1@mail.ru\n"},
        {"email": "ivan\x00@mail.ru"},
        {"phone": "8 916 342-78-15\r\nX: 1"},
        {"handle": "@ivan\u2028petrov"},
        {"handle": "@ivan", "platform": "tg\t"},
    ],
)
def test_control_characters_are_refused(client, params):
    got = client.get("/lookup", params=params)
    assert got.status_code == 422, got.text
    assert "control character" in got.json()["detail"]
    assert got.json().get("profiles") is None


def test_an_email_query_is_one_bare_address(client):
    got = client.get("/lookup", params={"email": "a X-Injected: 1@mail.ru"})
    assert got.status_code == 422 and "not one address" in got.json()["detail"]
    assert client.get("/lookup", params={"email": f"  {EMAIL}  "}).json()["profiles"]


@pytest.mark.parametrize(
    ("name", "limit"), [("phone", 64), ("email", 254), ("handle", 256), ("platform", 32)]
)
def test_overlong_values_are_refused(client, name, limit):
    params = {"phone": PHONE, name: "7" * (limit + 1)}
    got = client.get("/lookup", params=params)
    assert got.status_code == 422 and f"longer than {limit}" in got.json()["detail"]


def test_responses_echo_at_most_a_short_prefix(client):
    secret = "q" * ECHO_CHARS + "SECRET-TAIL"
    bad = client.get("/lookup", params={"phone": secret, "handle": "!" + secret})
    assert bad.status_code == 422 and "SECRET" not in bad.text
    assert "q" * ECHO_CHARS in bad.text  # a prefix, to recognise the query by
    missing = client.get(f"/profiles/p_{'z' * 40}")
    assert missing.status_code == 404 and "z" * 30 not in missing.text
    malformed = client.get("/profiles/" + secret + "%0d%0a")
    assert malformed.status_code == 422 and "SECRET" not in malformed.text
    long_email = "ivan.petrov.api+" + "x" * 40 + "@gmail.com"
    found = client.get("/lookup", params={"email": long_email})
    assert found.status_code == 200 and found.json()["profiles"]
    assert "x" * 30 not in found.text and found.json()["query"]["email"].endswith("…")


def test_the_store_keeps_only_a_salted_hash(tmp_path):
    store = TokenStore(tmp_path)
    one, two = store.create("crm"), store.create("helpdesk")
    assert one.startswith("edin_") and len(one) > 40 and one != two
    assert store.verify(one) == "crm" and store.verify(two) == "helpdesk"
    assert store.verify(one + "x") is None and store.verify("") is None
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert one.encode() not in raw and one[5:].encode() not in raw
    with sqlite3.connect(store.path) as con:
        salts = [r[0] for r in con.execute("SELECT salt FROM tokens")]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(set(salts)) == 2
    assert (store.path.stat().st_mode & 0o077) == 0


def test_names_are_unique_until_revoked(tmp_path):
    store = TokenStore(tmp_path)
    old = store.create("crm")
    with pytest.raises(TokenError, match="already exists"):
        store.create("crm")
    assert store.revoke("crm").revoked_at is not None
    with pytest.raises(TokenError, match="no active token"):
        store.revoke("crm")
    new = store.create("crm")
    assert store.verify(old) is None and store.verify(new) == "crm"
    for bad in ("", "a b", "x" * 65, "имя", "a\nb"):
        with pytest.raises(TokenError):
            store.create(bad)


def test_edin_token_create_list_revoke(tmp_path, capsys):
    assert main(["token", "create", "--home", str(tmp_path), "--name", "crm"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert TokenStore(tmp_path).verify(token) == "crm" and "only now" in err
    assert main(["token", "create", "helpdesk", "--home", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["token", "list", "--home", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "crm\t" in listed and "helpdesk\t" in listed and token not in listed
    assert main(["token", "revoke", "crm", "--home", str(tmp_path)]) == 0
    assert TokenStore(tmp_path).verify(token) is None
    assert main(["token", "revoke", "crm", "--home", str(tmp_path)]) == 2
    assert "edin: no active token" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["0", "99999", "-1", "65536"])
def test_serve_refuses_a_port_that_is_not_a_port(tmp_path, capsys, port):
    assert main(["serve", "--home", str(tmp_path), "--port", port]) == 2
    assert "edin: --port" in capsys.readouterr().err


def test_serve_beyond_loopback_only_with_a_token(tmp_path, capsys):
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        assert main(["serve", "--home", str(tmp_path), "--host", host]) == 2
        assert "edin token create" in capsys.readouterr().err
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        check_serve(tmp_path, host, 8000)  # no token needed on this machine
    TokenStore(tmp_path).create("crm")
    check_serve(tmp_path, "0.0.0.0", 8000)
    TokenStore(tmp_path).revoke("crm")
    with pytest.raises(UsageError, match="no API token"):
        check_serve(tmp_path, "0.0.0.0", 8000)
