"""Notes through a split: after the next run, a note written before the split asks which part
keeps it, on both parts; the answer moves it (a run on a private copy of the sample home)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from review.snapshot import SnapshotView
from tests.review.conftest import copy_home, csrf_of, run_sample, sign_in


@pytest.fixture(scope="module")
def split_home(sample_home, tmp_path_factory):
    return copy_home(sample_home, tmp_path_factory.mktemp("split") / "home")


def test_a_split_asks_which_part_keeps_each_note(split_home):
    view = SnapshotView.load(split_home)
    pid = next(p for p, keys in sorted(view.members_of.items()) if len(keys) == 3)
    out = view.members_of[pid][-1]
    other = view.members_of[pid][0]
    with TestClient(create_app(split_home)) as client:
        sign_in(client, "ivan")
        page = client.get(f"/review/profiles/{pid}")
        token = csrf_of(page.text)
        client.post(f"/review/profiles/{pid}/notes", data={"body": "Вернул товар", "csrf": token})
        got = client.post(
            "/review/decide",
            data={
                "a": f"{out[0]}:{out[1]}",
                "b": f"{other[0]}:{other[1]}",
                "action": "takeout_a",
                "csrf": token,
                "next": f"/review/profiles/{pid}",
            },
        )
        assert "Решения, которые применятся при следующем запуске" in got.text

    run_sample(split_home)
    after = SnapshotView.load(split_home)
    assert after.profile_of[other] == pid  # the bigger part keeps the ID
    child = after.profile_of[out]
    assert child != pid
    with TestClient(create_app(split_home)) as client:
        sign_in(client, "ivan")
        for where in (pid, child):
            page = client.get(f"/review/profiles/{where}")
            assert "Профиль разделился после этой заметки" in page.text
            assert "Вернул товар" in page.text
        note_id = page.text.split("/review/notes/")[1].split("/")[0]
        moved = client.post(
            f"/review/notes/{note_id}/settle",
            data={"profile_id": child, "csrf": csrf_of(page.text)},
        )
        assert moved.status_code == 200
        child_page = client.get(f"/review/profiles/{child}").text
        parent_page = client.get(f"/review/profiles/{pid}").text
    assert "Вернул товар" in child_page and "Профиль разделился" not in child_page
    assert "Вернул товар" not in parent_page
