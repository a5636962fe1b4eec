"""The operator's path in headless Chromium (Debian's ``chromium`` driven by Playwright): sign
in; the namesake queue; "different people" on a pair of namesakes, which persists and which
the next run keeps apart; "same person" merging two profiles and their notes; a pair the
household rule kept apart saying why, and "same person" on it outranking the rule; undo; a form
posted without its CSRF token refused; an anonymous request refused.

Skipped when /usr/bin/chromium is absent (CI installs it: .ci/run). Screenshots go to
``$EDIN_SCREENSHOTS`` when set (``make screenshots`` writes docs/screenshots/), else to a
temporary folder.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import uvicorn

from api.app import create_app
from resolution.feedback import pair_decisions
from review.snapshot import SnapshotView
from review.words import counted
from tests.review.conftest import PASSWORDS, run_sample

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1100, "height": 760}, "locale": "ru-RU"}


@pytest.fixture(scope="module")
def server(home):
    """The app (lookup API + /review) served by uvicorn on a free local port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(home), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("EDIN_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def shot(page, shots: Path, name: str, top: bool = True) -> None:
    if top:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / f"{name}.png"))


def sign_in(page, server: str, user: str = "ivan") -> None:
    page.goto(f"{server}/review/")
    expect(page).to_have_url(f"{server}/review/login?next=%2Freview%2F")
    page.get_by_label("Имя пользователя").fill(user)
    page.get_by_label("Пароль").fill(PASSWORDS[user])
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#tile-namesakes")).to_be_visible()


def press_russian(page, char: str, code: str) -> None:
    """A key pressed on a Russian layout: its ``key`` is the Cyrillic letter. Playwright's
    keyboard is a US one (``press("н")`` is unknown to it), so the event is dispatched as
    the browser would send it."""
    page.locator("body").dispatch_event("keydown", {"key": char, "code": code})


def text(key) -> str:
    return f"{key[0]}:{key[1]}"


def pair_url(server, a, b, next_url) -> str:
    return f"{server}/review/pair?" + urlencode({"a": text(a), "b": text(b), "next": next_url})


def decided(home, a, b) -> str | None:
    lo, hi = sorted((a, b))
    for row in pair_decisions(home).rows():
        if (row[:2], row[2:4]) == (lo, hi):
            return row[4]
    return None


def namesakes_in_one_profile(view: SnapshotView):
    """A namesake group with two of its contacts in one profile (the model joined them)."""
    for group in view.namesakes:
        by_profile: dict[str, list] = {}
        for key in group.keys:
            by_profile.setdefault(view.profile_of[key], []).append(key)
        for keys in by_profile.values():
            if len(keys) == 2 and len(view.members_of[view.profile_of[keys[0]]]) == 2:
                return group, keys[0], keys[1]
    raise AssertionError("no namesakes share a profile in data/sample")


def namesakes_in_two_profiles(view: SnapshotView, avoid: set):
    """Two namesakes, each alone in its profile."""
    for group in view.namesakes:
        alone = [
            k
            for k in group.keys
            if len(view.members_of[view.profile_of[k]]) == 1 and k not in avoid
        ]
        if len(alone) >= 2 and not avoid & set(group.keys):
            return group, alone[0], alone[1]
    raise AssertionError("no two lone namesakes in data/sample")


def test_sign_in(page, server, shots):
    page.goto(f"{server}/review/queues/namesakes")
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    shot(page, shots, "01-sign-in")
    page.get_by_label("Имя пользователя").fill("ivan")
    page.get_by_label("Пароль").fill("not-the-password")
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#login-error")).to_have_text("Неверное имя или пароль.")
    page.get_by_label("Имя пользователя").fill("ivan")
    page.get_by_label("Пароль").fill(PASSWORDS["ivan"])
    page.get_by_role("button", name="Войти").click()
    # back where the operator was going
    expect(page).to_have_url(f"{server}/review/queues/namesakes")
    page.goto(f"{server}/review/")
    expect(page.locator("#tile-namesakes")).to_be_visible()
    shot(page, shots, "02-queues")


def test_different_people_on_namesakes_persists_and_the_next_run_keeps_them_apart(
    page, server, home, sample_home, shots
):
    # chosen on the snapshot as published, whatever the other tests did to this home
    group, a, b = namesakes_in_one_profile(SnapshotView.load(sample_home))
    sign_in(page, server)
    page.locator("#nav-namesakes").click()
    expect(page.locator("#namesakes")).to_be_visible()
    shot(page, shots, "03-namesakes")
    page.locator(f'a[href="/review/namesakes/{group.gid}"]').click()
    expect(page.locator("#group-title")).to_contain_text(group.display)
    shot(page, shots, "04-namesake-group")
    row = page.locator("#pairs tr").filter(has_text=text(a)).filter(has_text=text(b))
    row.locator("a.open-pair").click()
    expect(page.locator("#pair")).to_be_visible()
    expect(page.locator("#btn-different")).to_be_visible()
    shot(page, shots, "05-pair")
    # the shortcut on a Russian layout: Н (нет) = different people
    press_russian(page, "н", "KeyY")
    expect(page.locator("#flash")).to_contain_text("разные люди")
    expect(page.locator("#group-title")).to_be_visible()
    shot(page, shots, "06-decided")
    assert decided(home, a, b) == "distinct"

    # the decision persists: a new page load shows it, and so does the decisions database
    page.goto(pair_url(server, a, b, f"/review/namesakes/{group.gid}"))
    expect(page.locator(".verdict")).to_contain_text("решено: разные люди")

    run_sample(home)
    after = SnapshotView.load(home)
    assert after.profile_of[a] != after.profile_of[b]
    page.goto(pair_url(server, a, b, f"/review/namesakes/{group.gid}"))
    expect(page.locator(".verdict")).to_contain_text("решено: разные люди")
    profiles = page.locator(".side a[href^='/review/profiles/']")
    expect(profiles).to_have_count(2)
    assert profiles.nth(0).inner_text() != profiles.nth(1).inner_text()


def add_note(page, server, pid: str, body: str) -> None:
    page.goto(f"{server}/review/profiles/{pid}")
    page.locator("#note-form textarea").fill(body)
    page.locator("#note-form button").click()
    expect(page.locator("#note-list")).to_contain_text(body)


def test_same_person_merges_two_profiles_and_their_notes(page, server, home, sample_home, shots):
    published = SnapshotView.load(sample_home)
    other, _, _ = namesakes_in_one_profile(published)  # the namesakes the test above splits
    _, c, d = namesakes_in_two_profiles(published, avoid=set(other.keys))
    view = SnapshotView.load(home)
    pc, pd = view.profile_of[c], view.profile_of[d]
    sign_in(page, server)
    add_note(page, server, pc, "Просит звонить после 18:00")
    add_note(page, server, pd, "Оплачивает по безналу, нужен счёт")
    shot(page, shots, "07-profile-note")
    page.goto(pair_url(server, c, d, f"/review/profiles/{pc}"))
    page.locator("#btn-same").click()
    expect(page.locator("#flash")).to_contain_text("один человек")
    assert decided(home, c, d) == "match"

    run_sample(home)
    after = SnapshotView.load(home)
    survivor = after.profile_of[c]
    assert after.profile_of[d] == survivor
    for old in (pc, pd):  # either old ID opens the merged profile
        page.goto(f"{server}/review/profiles/{old}")
        expect(page).to_have_url(
            f"{server}/review/profiles/{survivor}" + ("" if old == survivor else f"?from={old}")
        )
        notes = page.locator("#note-list")
        expect(notes).to_contain_text("Просит звонить после 18:00")
        expect(notes).to_contain_text("Оплачивает по безналу, нужен счёт")
    expect(page.locator("#members")).to_contain_text(text(c))
    expect(page.locator("#members")).to_contain_text(text(d))
    shot(page, shots, "08-merged-profile")


def household_pair_kept_apart(view: SnapshotView):
    """The pair the model is surest of among those the household rule kept apart because the
    two given names differ (two named members of one family on one phone line), each in its
    own profile, with its kept_apart row."""
    rows = [
        (view.pair_row(a, b)["score"], a, b, row)
        for (a, b), row in sorted(view.kept_apart.items())
        if row["rule"] == "household"
        and row["why"] == "given_names"
        and view.profile_of[a] != view.profile_of[b]
        and view.pair_row(a, b) is not None
    ]
    assert rows, "no household pair with two given names kept apart in data/sample"
    _, a, b, row = max(rows, key=lambda r: r[0])
    return a, b, row


def test_a_pair_a_rule_kept_apart_says_why_and_the_operator_may_merge_it_anyway(
    page, server, home, sample_home, shots
):
    a, b, rule = household_pair_kept_apart(SnapshotView.load(sample_home))
    line = (
        f"их связывает только телефон, которым пользуются {rule['bearers']} "
        f"{counted('ru', rule['bearers'])['people']}; "
        "имена разные: общий телефон семьи сам по себе не делает людей одним человеком."
    )
    sign_in(page, server)
    page.goto(pair_url(server, a, b, "/review/queues/uncertain"))
    kept = page.locator("#kept-apart")
    expect(kept).to_be_visible()
    expect(kept).to_have_text(f"Не объединены автоматически: {line}")
    shot(page, shots, "09-kept-apart")

    # the operator's "same person" outranks the rule: recorded as any merge, applied next run
    page.locator("#btn-same").click()
    expect(page.locator("#flash")).to_contain_text("один человек")
    assert decided(home, a, b) == "match"
    run_sample(home)
    after = SnapshotView.load(home)
    assert after.profile_of[a] == after.profile_of[b]
    # the rule still sets the pair's own link aside; the page says what joined them
    page.goto(pair_url(server, a, b, "/review/queues/uncertain"))
    expect(page.locator(".verdict")).to_contain_text("решено: один человек")
    expect(kept).to_have_text(
        f"Связь этой пары не учтена: {line[:-1]}. В один профиль их свели другие контакты "
        "или решение."
    )


def test_undo(page, server, home):
    sign_in(page, server)
    page.goto(f"{server}/review/queues/uncertain")
    page.locator("#start").click()
    expect(page.locator("#btn-different")).to_be_visible()
    query = parse_qs(urlparse(page.url).query)
    a = tuple(query["a"][0].split(":", 1))
    b = tuple(query["b"][0].split(":", 1))
    page.locator("#btn-different").click()
    expect(page.locator("#flash")).to_contain_text("разные люди")
    assert decided(home, a, b) == "distinct"
    page.locator("#undo").click()
    expect(page.locator("#flash-undone")).to_contain_text("Отменено")
    assert decided(home, a, b) is None
    # and by keyboard: О (отменить) undoes the last action and brings the pair back
    page.goto(pair_url(server, a, b, "/review/queues/uncertain/next"))
    page.keyboard.press("2")  # different people
    expect(page.locator("#flash")).to_contain_text("разные люди")
    assert decided(home, a, b) == "distinct"
    press_russian(page, "о", "KeyJ")
    expect(page.locator("#flash-undone")).to_be_visible()
    expect(page.locator("#pair")).to_be_visible()
    assert decided(home, a, b) is None


def test_a_form_posted_without_its_csrf_token_is_refused(page, server, home):
    view = SnapshotView.load(home)
    row = view.reasons.sort("score").row(len(view.reasons) // 2, named=True)
    a, b = (row["source_l"], row["source_id_l"]), (row["source_r"], row["source_id_r"])
    sign_in(page, server)
    page.goto(pair_url(server, a, b, "/review/queues/uncertain"))
    before = decided(home, a, b)
    page.evaluate("document.querySelector('#actions input[name=csrf]').remove()")
    page.locator("#btn-same").click()
    expect(page.locator("#error")).to_contain_text("Форма устарела или подделана")
    assert decided(home, a, b) == before
    # the same through the request API, with the session cookie but no token
    got = page.request.post(
        f"{server}/review/decide",
        form={"a": text(a), "b": text(b), "action": "same"},
        max_redirects=0,
    )
    assert got.status == 403 and decided(home, a, b) == before


def test_an_anonymous_request_is_refused(page, server, home):
    page.goto(f"{server}/review/profiles/{SnapshotView.load(home).profiles['profile_id'][0]}")
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    assert urlparse(page.url).path == "/review/login"
    got = page.request.post(
        f"{server}/review/decide", form={"a": "vk:1", "b": "vk:2", "action": "same", "csrf": "x"}
    )
    assert got.status == 401
    assert page.request.get(f"{server}/review/queues/namesakes", max_redirects=0).status == 303
