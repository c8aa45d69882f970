"""A small ARI client: REST over kept-alive HTTP connections (``ari_http.py``), events over a supervised
websocket.

``AriClient`` wraps the REST calls the live driver needs. ``EventStream.run`` keeps the Stasis app's
websocket open for as long as it runs: when the socket drops (Asterisk restarted, network hiccup) it
reconnects with exponential backoff, and after every (re)connect it awaits ``on_connect`` *before* it
hands on any event, so the driver can resynchronise from ``GET /channels`` and ``GET /bridges``
(Asterisk does not replay the events it sent while nobody listened). Events that arrive during the
resynchronisation wait in the socket's buffer and are handed on afterwards, in order.

The ``ari-client`` PyPI package's listener does not reconnect and the old ``ari`` package does not import
on Python 3, so neither is used.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import quote, urlsplit

import websockets

from adapters.asterisk.ari_http import HttpConnections, RequestTimeout

log = logging.getLogger("hotline.ari")

APP = "hotline"
DEV_PASSWORD = "hotline-dev"


class AriError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, text: str) -> None:
        super().__init__(f"ARI {method} {path} -> {status}: {text[:300]}")
        self.status = status


@dataclass(frozen=True)
class AriSettings:
    url: str = "http://127.0.0.1:18088"  # Asterisk's HTTP server, without /ari
    user: str = "hotline"
    password: str = DEV_PASSWORD  # the development Asterisk's (``hotline asterisk up``); never in production
    app: str = APP

    @property
    def ws_url(self) -> str:
        """The events websocket; the credentials go in ``ws_headers``, never in the URL (URLs get logged)."""
        parts = urlsplit(self.url.rstrip("/"))
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}{parts.path}/ari/events?app={quote(self.app)}"

    @property
    def ws_headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


class AriClient:
    """The REST calls, each one awaitable; 404 on a hang-up or a removal is not an error (already gone).
    Failures: ``AriError`` (Asterisk said no), ``RequestTimeout`` (sent, no answer in time: Asterisk may
    have done it) and other ``OSError`` (not done: refused, broken, or no connection free in time).

    At most ``connections`` requests are in flight, on kept-alive connections: a surge's requests queue here
    rather than open a connection each (Asterisk's HTTP server runs a thread per connection)."""

    def __init__(self, settings: AriSettings, timeout: float = 5.0, connections: int = 16) -> None:
        self.settings = settings
        self.http = HttpConnections(
            settings.url.rstrip("/") + "/ari",
            settings.user,
            settings.password,
            timeout=timeout,
            connections=connections,
        )
        # (method, path, seconds) of every answered request: the driver's metrics (None: nobody looks)
        self.on_round_trip: Callable[[str, str, float], None] | None = None

    async def close(self) -> None:
        await self.http.close()

    async def request(
        self, method: str, path: str, *, ok_missing: bool = False, params: dict | None = None, json_body: Any = None
    ) -> Any:
        started = time.perf_counter()
        status, body = await self.http.request(method, path, params=params, json_body=json_body)
        if self.on_round_trip is not None:
            self.on_round_trip(method, path, time.perf_counter() - started)
        if status >= 400:
            if ok_missing and status in (404, 422):
                return None
            raise AriError(method, path, status, body.decode(errors="replace"))
        if status == 204 or not body:
            return None
        return json.loads(body)

    # --- reads ---
    async def channels(self) -> list[dict]:
        return await self.request("GET", "/channels")

    async def bridges(self) -> list[dict]:
        return await self.request("GET", "/bridges")

    async def info(self) -> dict:
        return await self.request("GET", "/asterisk/info")

    async def channel(self, channel: str) -> dict | None:
        """The channel, or None when it is gone."""
        return await self.request("GET", f"/channels/{channel}", ok_missing=True)

    async def filter_events(self, types: list[str]) -> None:
        """Have Asterisk send the app only these event types (ARI's eventFilter; it lasts while the app is
        registered). Most of a call's events are ChannelVarset, which the driver does not read."""
        await self.request(
            "PUT",
            f"/applications/{quote(self.settings.app)}/eventFilter",
            json_body={"allowed": [{"type": t} for t in types]},
        )

    async def variable(self, channel: str, name: str) -> str | None:
        """A channel variable or function (e.g. ``CHANNEL(pjsip,call-id)``); None when the channel is gone."""
        found = await self.request("GET", f"/channels/{channel}/variable", params={"variable": name}, ok_missing=True)
        return None if found is None else found.get("value")

    async def user_event(self, name: str, channel: str) -> None:
        """Publish ``ChannelUserevent`` ``name`` on a channel's own event stream (after its earlier events)."""
        await self.request(
            "POST",
            f"/events/user/{quote(name)}",
            ok_missing=True,
            params={"application": self.settings.app, "source": f"channel:{channel}"},
        )

    # --- channels ---
    async def answer(self, channel: str) -> bool:
        """True: answered (or up already). False: the channel is gone, or hanging up so Asterisk would not
        answer it (ARI's 500 "Failed to answer channel")."""
        try:
            await self.request("POST", f"/channels/{channel}/answer")
        except AriError as exc:
            if exc.status in (404, 409, 412, 422, 500):
                return False
            raise
        return True

    async def ring(self, channel: str) -> None:
        """Indicate ringing to the caller (not answered)."""
        await self.request("POST", f"/channels/{channel}/ring", ok_missing=True)

    async def hangup(self, channel: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{channel}", ok_missing=True, params={"reason": reason})

    async def originate(
        self, endpoint: str, *, channel_id: str, app_args: str, caller_id: str = "", timeout: int = 60
    ) -> dict:
        params = {
            "endpoint": endpoint,
            "app": self.settings.app,
            "appArgs": app_args,
            "channelId": channel_id,
            "timeout": str(timeout),
        }
        if caller_id:
            params["callerId"] = caller_id
        return await self.request("POST", "/channels", params=params)

    async def continue_in_dialplan(self, channel: str, context: str, extension: str, priority: int = 1) -> None:
        """Leave Stasis and go on in the dialplan (a blind transfer)."""
        await self.request(
            "POST",
            f"/channels/{channel}/continue",
            params={"context": context, "extension": extension, "priority": str(priority)},
        )

    async def play(self, channel: str, media: list[str], playback_id: str | None = None) -> dict | None:
        params = {"media": ",".join(media)}
        if playback_id:
            params["playbackId"] = playback_id
        return await self.request("POST", f"/channels/{channel}/play", params=params, ok_missing=True)

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{playback_id}", ok_missing=True)

    async def snoop(
        self, channel: str, *, spy: str = "both", whisper: str = "none", app_args: str = "", snoop_id: str | None = None
    ) -> dict:
        params = {"spy": spy, "whisper": whisper, "app": self.settings.app, "appArgs": app_args}
        if snoop_id:
            params["snoopId"] = snoop_id
        return await self.request("POST", f"/channels/{channel}/snoop", params=params)

    # --- bridges ---
    async def create_bridge(self, bridge_id: str, kind: str, name: str = "") -> dict:
        return await self.request("POST", f"/bridges/{bridge_id}", params={"type": kind, "name": name or bridge_id})

    async def add_channel(self, bridge_id: str, channels: list[str]) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/addChannel", params={"channel": ",".join(channels)})

    async def remove_channel(self, bridge_id: str, channel: str) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/removeChannel", params={"channel": channel}, ok_missing=True)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}", ok_missing=True)

    async def bridge_moh(self, bridge_id: str, moh_class: str = "default") -> None:
        await self.request("POST", f"/bridges/{bridge_id}/moh", params={"mohClass": moh_class}, ok_missing=True)

    async def record_bridge(self, bridge_id: str, name: str, fmt: str = "wav") -> dict | None:
        return await self.request(
            "POST",
            f"/bridges/{bridge_id}/record",
            params={"name": name, "format": fmt, "ifExists": "overwrite"},
            ok_missing=True,
        )


__all__ = ["AriClient", "AriError", "AriSettings", "EventStream", "RequestTimeout"]

OnEvent = Callable[[dict], Awaitable[None]]
OnConnect = Callable[[], Awaitable[None]]


class EventStream:
    """The app's websocket, supervised: reconnect with exponential backoff, resync after each connect."""

    def __init__(
        self,
        settings: AriSettings,
        on_event: OnEvent,
        on_connect: OnConnect,
        *,
        backoff_start: float = 0.1,
        backoff_max: float = 5.0,
    ) -> None:
        self.settings = settings
        self.on_event = on_event
        self.on_connect = on_connect
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max
        self.connects = 0
        self.connected = asyncio.Event()
        self._ws = None

    async def run(self) -> None:
        delay = self.backoff_start
        while True:
            worker = None
            try:
                async with websockets.connect(
                    self.settings.ws_url,
                    additional_headers=self.settings.ws_headers,
                    open_timeout=5,
                    ping_interval=5,
                    ping_timeout=10,
                    max_size=None,
                ) as ws:
                    self._ws = ws
                    self.connects += 1
                    log.info("websocket connected (connection %d); resynchronising", self.connects)
                    # Read without waiting for the handler: a surge's backlog must not stop the socket from
                    # being read (the library then stops answering pings and the connection is dropped).
                    backlog: asyncio.Queue = asyncio.Queue()
                    worker = asyncio.get_running_loop().create_task(self._handle(ws, backlog))
                    lost = None
                    try:
                        async for raw in ws:
                            backlog.put_nowait(raw)
                    except websockets.ConnectionClosed as exc:
                        lost = exc
                    backlog.put_nowait(None)
                    await worker  # what was read is handled, in order, before the next resync
                    if lost is not None:
                        raise lost
            except asyncio.CancelledError:
                if worker is not None:
                    worker.cancel()
                raise
            except (OSError, websockets.WebSocketException, AriError) as exc:  # OSError: timeouts too
                log.warning("websocket lost (%s: %s); reconnecting in %.1f s", type(exc).__name__, exc, delay)
            except Exception:
                log.exception("resynchronisation failed; reconnecting in %.1f s", delay)
            finally:
                self._ws = None
                if self.connected.is_set():  # this connection got as far as a resync: start backing off anew
                    delay = self.backoff_start
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)

    async def _handle(self, ws, backlog: asyncio.Queue) -> None:
        """Resynchronise, then handle the events in the order they were read, until ``None``."""
        try:
            await self.on_connect()
        except BaseException:
            await ws.close()  # ends the reading loop; ``run`` raises this failure and reconnects
            raise
        self.connected.set()
        while (raw := await backlog.get()) is not None:
            try:
                event = json.loads(raw)
            except ValueError:
                log.warning("not JSON from ARI: %r", raw[:200])
                continue
            try:
                await self.on_event(event)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception:  # one bad event must not stop the app; the next resync repairs
                log.exception("handling ARI event %s failed", event.get("type"))

    async def drop(self) -> None:
        """Close the socket (tests: a network drop); ``run`` reconnects."""
        if self._ws is not None:
            await self._ws.close()
