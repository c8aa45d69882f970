"""The supervisor's wallboard: queues (waiting now, longest wait, service level and abandon rate today and this
interval, callback backlog), agents (state, time in state) and the tickets someone holds; the board refreshes
itself every few seconds. The actions on an agent or a call (force pause / ready / log out, listen, whisper,
barge, hang up, transfer, release a held ticket) are the API's own endpoints, called from the page
(``static/wallboard.js``), so their rules and answers are the API's."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from adapters.store.eventlog import SqlEventLog
from adapters.store.live_channel import SqlLiveStates
from adapters.store.tickets import SqlTickets
from app.live import HEARTBEAT_STALE
from console.deps import EngineDep, Now, SettingsDep, Unmasked, require
from console.models import AppUser
from console.web.i18n import add_messages
from console.web.render import add_nav, render
from console.web.routers.agent import PAUSE_REASONS as AGENT_PAUSE_REASONS
from reports.wallboard import agent_lines, day_start, queue_lines

router = APIRouter()
Supervisor = Annotated[AppUser, require("live.agents")]
IntervalMinutes = Annotated[int, Query(ge=5, le=60)]
TargetSeconds = Annotated[int, Query(ge=1, le=600)]
PAUSE_REASONS = (*AGENT_PAUSE_REASONS, "coaching")  # a supervisor may also pause an agent for coaching
REFRESH_S = 3
HELD_SHOWN = 50  # claimed tickets listed on the board, oldest claim first

add_nav("live.agents", "/supervisor", "nav.wallboard")
add_messages(
    {
        "nav.wallboard": ("监控大屏", "Wallboard"),
        "board.title": ("监控大屏", "Wallboard"),
        "board.queues": ("队列", "Queues"),
        "board.queue": ("队列", "Queue"),
        "board.waiting": ("排队中", "Waiting"),
        "board.longest": ("最长等待", "Longest wait"),
        "board.today": ("今日", "Today"),
        "board.interval": ("本时段", "This interval"),
        "board.offered": ("呼入", "Offered"),
        "board.sl": ("服务水平", "Service level"),
        "board.abandon": ("放弃率", "Abandoned"),
        "board.backlog": ("待回呼", "Callback backlog"),
        "board.agents": ("坐席", "Agents"),
        "board.agent": ("坐席", "Agent"),
        "board.state": ("状态", "State"),
        "board.in_state": ("持续", "In state"),
        "board.call": ("通话", "Call"),
        "board.actions": ("操作", "Actions"),
        "board.pause": ("强制小休", "Force pause"),
        "board.ready": ("强制就绪", "Force ready"),
        "board.logout": ("强制签出", "Force log out"),
        "board.listen": ("监听", "Listen"),
        "board.whisper": ("耳语", "Whisper"),
        "board.barge": ("强插", "Barge"),
        "board.hang_up": ("强拆", "Hang up"),
        "board.transfer": ("转接", "Transfer"),
        "board.transfer_to": ("转接到分机", "Transfer to extension"),
        "board.my_phone": ("我的话机", "My phone"),
        "board.my_phone_hint": ("例如 PJSIP/sup01", "e.g. PJSIP/sup01"),
        "board.held": ("被领取的回呼工单", "Callback tickets held"),
        "board.ticket": ("工单", "Ticket"),
        "board.holder": ("领取人", "Held by"),
        "board.number": ("号码", "Number"),
        "board.release": ("释放", "Release"),
        "board.no_live": (
            "实时驱动未运行：数据可能过时，操作无法执行",
            "The live driver is not running: figures may be stale and actions cannot be carried out",
        ),
        "board.updated": ("更新于", "Updated"),
        "board.none": ("暂无", "None"),
        "board.done": ("已执行", "Done"),
        "reason.coaching": ("辅导", "Coaching"),
    }
)


@dataclass
class Board:
    """The wallboard's figures as this request sees them (FastAPI makes one per request), drawn by a template."""

    request: Request
    user: Supervisor
    engine: EngineDep
    settings: SettingsDep
    now: Now
    unmasked: Unmasked
    interval: IntervalMinutes = 15
    target: TargetSeconds = 20

    def render(self, template: str):
        now = self.now
        states = SqlLiveStates(self.engine)
        tickets = SqlTickets(self.engine, source=self.settings.ticket_source)
        open_tickets = tickets.all(["open", "claimed", "waiting"])
        backlog = Counter(t.queue for t in open_tickets)
        held = sorted((t for t in open_tickets if t.status == "claimed"), key=lambda t: t.created_at)[:HELD_SHOWN]
        log_today = SqlEventLog(self.engine).frame(source="", start=day_start(now))
        beat = states.heartbeat()
        queues = queue_lines(
            log_today, states.queues(), backlog, now=now, interval_s=self.interval * 60, target_s=self.target
        )
        return render(
            self.request,
            template,
            self.user,
            queues=queues,
            agents=agent_lines(states.agents(), now),
            held=held,
            unmasked=self.unmasked,
            now=now,
            live=beat is not None and now - beat <= HEARTBEAT_STALE,
            reasons=PAUSE_REASONS,
            interval=self.interval,
            target=self.target,
            refresh=REFRESH_S,
        )


@router.get("/supervisor")
def wallboard(wall: Annotated[Board, Depends()]):
    return wall.render("supervisor/wallboard.html")


@router.get("/supervisor/board")
def board(wall: Annotated[Board, Depends()]):
    """The board alone: what the page fetches every few seconds."""
    return wall.render("supervisor/board.html")
