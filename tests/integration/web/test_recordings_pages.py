"""Call recordings in a real Chromium: call records with recordings stored through the store, real WAV files
(Python's ``wave``) in a recordings directory; the supervisor finds them by number, agent and time, and the
page's ``<audio>`` loads the file (its duration known); names that are not plain file names are refused, a
missing file is 404, agents get 403; every playing is audited with the call's customer."""

from __future__ import annotations

import time
import wave
from datetime import datetime

import httpx
import pytest

from adapters.store.audit import SqlAudit
from adapters.store.call_records import SqlCallRecords
from adapters.store.migrate import open_store
from core.call_records import CallRecord
from core.config import SITE_ZONE
from tests.browser import screenshot
from tests.integration.web.conftest import PASSWORD, Site, log_in, make_users, serve

pytestmark = pytest.mark.browser
HOUR = 3600.0


def write_wav(path, seconds: float, rate: int = 8000) -> None:
    """A real 8 kHz 16-bit mono WAV of a quiet saw tooth (what Asterisk writes, minus the voices)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(((i % 80) * 200).to_bytes(2, "little", signed=True) for i in range(int(seconds * rate)))
        )


@pytest.fixture
def recorded(tmp_path):
    """A console serving ``tmp_path/recordings``, with three recorded calls (and one without a recording)."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = open_store(url)
    make_users(engine)
    folder = tmp_path / "recordings"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("not a recording")
    now = time.time()
    calls = [
        ("r1", "+8613900000071", "agent001", now - 3 * HOUR, "C-1"),
        ("r2", "+8613900000072", "agent002", now - 2 * HOUR, "C-2"),
        ("r3", "+8613900000071", "agent002", now - 1 * HOUR, "C-1"),
    ]
    store = SqlCallRecords(engine)
    for record_id, caller, agent, started, customer in calls:
        store.add(
            CallRecord(
                record_id,
                f"call-{record_id}",
                caller,
                agent,
                started,
                started + 30,
                started + 5,
                summary="asked about the price",
                customer_id=customer,
                recording=f"hotline-{record_id}.wav",
            )
        )
        write_wav(folder / f"hotline-{record_id}.wav", 1.5)
    store.add(
        CallRecord("r4", "call-r4", "+8613900000071", "agent001", now - 30, now, now - 20, summary="x")
    )  # not recorded
    store.add(
        CallRecord(
            "r5",
            "call-r5",
            "+8613900000073",
            "agent001",
            now - 20,
            now,
            now - 10,
            summary="x",
            recording="hotline-gone.wav",
        )
    )  # its file is not there
    app, server = serve(engine, url, recordings_dir=folder)
    try:
        yield Site(server.url, engine, app), now
    finally:
        server.stop()
        engine.dispose()


def shown(page) -> list[str]:
    return page.locator("#recordings tbody tr").evaluate_all("rows => rows.map(r => r.dataset.record)")


def local(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, SITE_ZONE).strftime("%Y-%m-%dT%H:%M")


def search(page, **fields: str) -> None:
    for name in ("number", "agent", "since", "until"):
        page.fill(f"#recordings-form input[name={name}]", fields.get(name, ""))
    page.click("#recordings-form button[type=submit]")
    page.wait_for_load_state()


def test_a_supervisor_finds_recordings_and_plays_one_in_the_page(recorded, page):
    site, now = recorded
    log_in(page, site.url, "sup", next_path="/office/recordings")
    assert shown(page) == ["r5", "r3", "r2", "r1"]  # newest first; the unrecorded call is not listed
    search(page, number="139 0000 0071")  # any spelling of the number
    assert shown(page) == ["r3", "r1"]
    assert page.inner_text("#recordings tr[data-record=r3] .caller") == "+8613900000071"  # supervisors: in full
    search(page, number="139 0000 0071", agent="agent002")
    assert shown(page) == ["r3"]
    search(page, since=local(now - 2.5 * HOUR), until=local(now - 0.5 * HOUR))
    assert shown(page) == ["r3", "r2"]

    assert SqlAudit(site.engine).entries(user="sup", action="recordings.play") == []  # listed, not fetched
    audio = page.locator("#recordings tr[data-record=r3] audio")
    audio.evaluate("a => { a.preload = 'metadata'; a.load(); }")  # what pressing play starts
    page.wait_for_function("a => a.readyState >= 1", arg=audio.element_handle())  # loadedmetadata happened
    assert 1.4 < audio.evaluate("a => a.duration") < 1.6
    screenshot(page, "recordings")
    plays = SqlAudit(site.engine).entries(user="sup", action="recordings.play")
    assert {(e.entity_id, e.detail) for e in plays} == {("C-1", "call call-r3: hotline-r3.wav")}

    search(page, number="12ab", since=local(now), until=local(now - HOUR))  # errors beside the fields, kept
    assert page.locator("#err-number").count() == 1 or page.locator("#err-until").count() == 1
    assert page.input_value("#recordings-form input[name=number]") == "12ab"
    assert page.input_value("#recordings-form input[name=agent]") == ""
    search(page, number="139 0000 0071", since=local(now), until=local(now - HOUR))
    assert "after the start" in page.inner_text("#err-until")
    assert page.input_value("#recordings-form input[name=since]") == local(now)


def test_the_page_goes_back_a_page_at_a_time_in_either_language(recorded, page, monkeypatch):
    import console.web.routers.recordings as recordings_page

    monkeypatch.setattr(recordings_page, "SHOWN", 2)
    site, _ = recorded
    log_in(page, site.url, "sup", next_path="/office/recordings?agent=&number=")
    assert shown(page) == ["r5", "r3"] and page.locator("#recordings-newer").count() == 0
    page.click("#recordings-older")
    assert shown(page) == ["r2", "r1"] and page.inner_text("#recordings-range") == "3 to 4, newest first"
    page.click("#recordings-older")  # a page with nothing left: no further link
    assert shown(page) == [] and page.locator("#recordings-older").count() == 0
    page.goto(f"{site.url}/lang/zh?next=/office/recordings")
    assert page.inner_text("h1") == "通话录音" and shown(page) == ["r5", "r3"]


def test_the_api_searches_streams_ranges_and_refuses_what_is_not_a_recording(recorded):
    site, now = recorded
    with httpx.Client(base_url=site.url) as client:
        token = client.post("/api/login", json={"username": "sup", "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        found = client.get("/api/recordings", params={"agent": "agent002", "limit": 1}, headers=headers)
        assert found.status_code == 200
        assert [(r["id"], r["recording"]) for r in found.json()] == [("r3", "hotline-r3.wav")]
        since = datetime.fromtimestamp(now - 2.5 * HOUR, SITE_ZONE).isoformat()
        assert [
            r["id"]
            for r in client.get(
                "/api/recordings", params={"since": since, "number": "13900000071"}, headers=headers
            ).json()
        ] == ["r3"]
        bad = client.get("/api/recordings", params={"number": "12ab"}, headers=headers)
        assert bad.status_code == 422 and "number" in bad.json()["detail"]

        whole = client.get("/api/recordings/hotline-r1.wav", headers=headers)
        assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
        assert whole.content[:4] == b"RIFF" and len(whole.content) == 44 + 2 * 12_000
        part = client.get("/api/recordings/hotline-r1.wav", headers={**headers, "Range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == whole.content[:100]

        for name in ("..", ".hidden.wav", "..%2Fsecret.txt", "%2E%2E%2Fsecret.txt", "a%5C..%5Csecret.txt"):
            refused = client.get(f"/api/recordings/{name}", headers=headers)
            assert refused.status_code in (400, 404), name
            assert refused.content != b"not a recording"
        for name in (".hidden.wav", "%2E%2E", "..%5Csecret.txt", "%20secret.txt"):  # reach the check: refused
            assert client.get(f"/api/recordings/{name}", headers=headers).status_code == 400, name
        assert client.get("/api/recordings/hotline-gone.wav", headers=headers).status_code == 404  # file missing
        assert client.get("/api/recordings/secret.txt", headers=headers).status_code == 404  # not in the directory
        (site.app.state.settings.recordings_dir / "stray.wav").write_bytes(b"RIFF")
        assert client.get("/api/recordings/stray.wav", headers=headers).status_code == 404  # no call names it

        agent = client.post("/api/login", json={"username": "agent001", "password": PASSWORD}).json()["access_token"]
        as_agent = {"Authorization": f"Bearer {agent}"}
        assert client.get("/api/recordings", headers=as_agent).status_code == 403
        assert client.get("/api/recordings/hotline-r1.wav", headers=as_agent).status_code == 403


def test_agents_may_not_open_the_recordings_page(recorded, page):
    site, _ = recorded
    log_in(page, site.url, "agent001", next_path="/agent")
    assert page.locator("nav a[href='/office/recordings']").count() == 0
    answer = page.goto(f"{site.url}/office/recordings")
    assert answer is not None and answer.status == 403
