"""The supervisor's wallboard in a real Chromium: today's and this interval's figures per queue from a log
worked out by hand, waiting callers and agents as the live driver publishes them, the callback backlog, and a
forced pause that goes through the store's command channel to the driver's side (played here by a thread
that answers commands as the driver's command pump does). Agents may not open it; it reads in both languages."""

from __future__ import annotations

import json
import math
import threading
import time

import pytest

from adapters.store.eventlog import SqlEventLog
from adapters.store.live_channel import SqlLiveCommands, SqlLiveStates
from adapters.store.migrate import open_store
from adapters.store.settings import StoreSettings
from adapters.store.tickets import SqlTickets
from app.live import DONE, AgentStatus, QueueStatus
from console.app import create_app
from console.settings import ConsoleSettings
from core.log import NONE, LogRecord, Verb
from core.tickets import Ticket
from reports.wallboard import day_start
from tests.browser import screenshot
from tests.helpers import wait_until
from tests.integration.web.conftest import ServerThread, log_in, make_users

pytestmark = pytest.mark.browser
HOUR = 3600.0


class ShiftedClock:
    """The real clock moved to 40 minutes into the current hour, so that the hand-built log below lies in
    today and in known 15-minute intervals whenever the test runs."""

    def __init__(self) -> None:
        real = time.time()
        self.hour = math.floor(real / HOUR) * HOUR
        self.shift = self.hour + 2400 - real

    def __call__(self) -> float:
        return time.time() + self.shift


def answered(call_id, queue, agent, enter, wait, talk):
    return [
        LogRecord(enter, call_id, queue, NONE, Verb.ENTERQUEUE, "", "13800000000", 1, "4008001234", "normal"),
        LogRecord(enter + wait, call_id, queue, agent, Verb.CONNECT, wait, call_id, 1.0),
        LogRecord(enter + wait + talk, call_id, queue, agent, Verb.COMPLETECALLER, wait, talk, 1),
    ]


def abandoned(call_id, queue, enter, wait):
    return [
        LogRecord(enter, call_id, queue, NONE, Verb.ENTERQUEUE, "", "13800000000", 1, "4008001234", "normal"),
        LogRecord(enter + wait, call_id, queue, NONE, Verb.ABANDON, 1, 1, wait, 0),
    ]


def todays_log(hour: float, yesterday: float) -> list[LogRecord]:
    """sales today: 4 offered (c1 within 20 s, c2 after 40 s, c3 abandoned, c5 within 20 s in this interval)
    -> SL 50.0%, abandoned 25.0%; this interval (hour+30'..hour+45'): c5 only -> SL 100.0%, abandoned 0.0%.
    service: c4 within target -> SL 100.0%. Yesterday's abandoned call y1 must not count."""
    return sorted(
        [
            *abandoned("y1", "sales", yesterday, 30),
            *answered("c1", "sales", "agent001", hour + 100, 10, 90),
            *answered("c2", "sales", "agent002", hour + 300, 40, 160),
            *abandoned("c3", "sales", hour + 600, 30),
            *answered("c4", "service", "agent001", hour + 700, 5, 95),
            *answered("c5", "sales", "agent002", hour + 1900, 5, 95),
        ],
        key=lambda r: r.time,
    )


class DriverSide(threading.Thread):
    """Beats as a running live driver and answers agent-state commands the way its command pump does: the
    command done with the agent's new state, the state published."""

    def __init__(self, engine, clock) -> None:
        super().__init__(daemon=True)
        self.commands, self.states, self.clock = SqlLiveCommands(engine), SqlLiveStates(engine), clock
        self.seen: list = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            now = self.clock()
            self.states.beat(now, now)
            for command in self.commands.claim(now):
                self.seen.append(command)
                state = {"pause": "paused", "ready": "ready", "log_out": "out"}[command.kind]
                reason = command.payload.get("reason", "") if command.kind == "pause" else ""
                self.states.put_agents([AgentStatus(command.agent_id, state, reason, "", "", now)])
                self.commands.finish(
                    command.id, DONE, json.dumps({"agent_id": command.agent_id, "state": state, "reason": reason}), now
                )


@pytest.fixture
def board(tmp_path):
    clock = ShiftedClock()
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = open_store(url)
    make_users(engine)
    now = clock()
    SqlEventLog(engine).append(todays_log(clock.hour, day_start(now) - 2 * HOUR))
    states = SqlLiveStates(engine)
    states.put_queues([QueueStatus("sales", 2, now - 45, now)])
    states.put_agents(
        [
            AgentStatus("agent001", "ready", "", "", "", now - 65),
            AgentStatus("agent002", "talking", "", "c6", "13900000202", now - 30),
            AgentStatus("agent003", "out", "", "", "", now - 600),
        ]
    )
    tickets = SqlTickets(engine)
    for n, queue in enumerate(("sales", "sales", "service")):
        tickets.create(Ticket(f"T{n}", f"a{n}", f"1370000000{n}", "normal", "4008001234", "", now - 100, queue))
    tickets.claim("T2", "agent002", now)
    server = ServerThread(
        create_app(ConsoleSettings(store=StoreSettings(database_url=url)), engine=engine, clock=clock)
    ).start()
    try:
        yield server.url, engine, clock
    finally:
        server.stop()
        engine.dispose()


def cells(page, row_selector: str) -> list[str]:
    return [c.strip() for c in page.locator(f"{row_selector} td").all_inner_texts()]


def test_the_board_shows_each_queue_today_this_interval_and_its_backlog(board, page):
    url, engine, clock = board
    log_in(page, url, "sup", next_path="/supervisor")
    sales = cells(page, "#queues tr[data-queue=sales]")
    assert sales[0] == "sales" and sales[1] == "2"
    minutes, seconds = sales[2].split(":")
    assert int(minutes) * 60 + int(seconds) >= 45  # the oldest caller has waited at least 45 s
    assert sales[3:] == ["4", "50.0%", "25.0%", "1", "100.0%", "0.0%", "2"]
    service = cells(page, "#queues tr[data-queue=service]")
    assert service == ["service", "0", "—", "1", "100.0%", "0.0%", "0", "—", "—", "1"]
    assert page.locator("#agents tr[data-agent=agent002]").get_attribute("data-state") == "talking"
    # a supervisor sees full numbers: the talking agent's caller and the held ticket's number
    assert "13900000202" in page.inner_text("#agents tr[data-agent=agent002]")
    assert cells(page, "#held tr[data-ticket=T2]")[:4] == ["T2", "service", "13700000002", "agent002"]
    # logged-out agents come last
    assert page.locator("#agents tbody tr").last.get_attribute("data-agent") == "agent003"
    screenshot(page, "wallboard")


def test_a_supervisor_forces_an_agent_to_pause_from_the_board(board, page):
    url, engine, clock = board
    driver = DriverSide(engine, clock)
    driver.start()
    try:
        log_in(page, url, "sup", next_path="/supervisor")
        page.select_option("#force-reason", "meal")
        page.click("#agents tr[data-agent=agent001] button[data-act=pause]")
        wait_until(
            lambda: page.locator("#agents tr[data-agent=agent001]").get_attribute("data-state") == "paused",
            20,
            "agent001 shown paused on the board",
        )
        assert page.get_attribute("#action-result", "data-status") == "200"
        [command] = driver.seen
        assert (command.kind, command.agent_id, command.actor, command.payload) == (
            "pause",
            "agent001",
            "sup",
            {"reason": "meal"},
        )
        assert SqlLiveStates(engine).agents()[0].state == "paused"
    finally:
        driver.stopping.set()
        driver.join(5)


def test_without_a_live_driver_the_board_says_so_and_an_action_shows_the_reason(board, page):
    url, engine, clock = board
    log_in(page, url, "sup", next_path="/supervisor")
    assert page.is_visible("#board-no-live")
    page.click("#agents tr[data-agent=agent001] button[data-act=pause]")
    wait_until(lambda: page.get_attribute("#action-result", "data-status") == "409", 20, "the API's 409 shown")
    assert "live" in page.inner_text("#action-result").lower()
    assert SqlLiveCommands(engine).claimed() == []


def test_agents_may_not_open_the_board(board, page):
    url, engine, clock = board
    log_in(page, url, "agent001", next_path="/supervisor")
    assert page.locator("#queues").count() == 0
    assert "/supervisor" not in [a.get_attribute("href") for a in page.locator("header nav a").all()]
    response = page.request.get(f"{url}/supervisor")
    assert response.status == 403


def test_the_board_reads_in_chinese_and_english(board, browser):
    url, engine, clock = board
    for locale, title, queue_header in (("zh-CN", "监控大屏", "排队中"), ("en-US", "Wallboard", "Waiting")):
        context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
        page = context.new_page()
        try:
            log_in(page, url, "sup", next_path="/supervisor")
            assert page.inner_text("h1") == title
            assert queue_header in page.inner_text("#queues thead")
            if locale == "zh-CN":
                screenshot(page, "wallboard-zh")
        finally:
            context.close()
