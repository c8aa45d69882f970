"""``Idempotency-Key`` on creating requests (POST, PUT, PATCH): the same key sent again is answered with the
first answer (header ``Idempotent-Replayed: true``) and changes nothing a second time.

An ASGI middleware: before the request, it looks the key up (same key, another body: 422; the change made
but its answer lost in a crash: 409 saying so); otherwise it hands the request an ``IdempotencyClaim``
(``request.state.idempotency``) that the request's unit of work writes in its own transaction
(``adapters.store.idempotency``), and records a 2xx answer afterwards. Keys are scoped by method and path.
"""

from __future__ import annotations

import hashlib
import json

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.store.idempotency import IdempotencyClaim, SqlIdempotency
from console.errors import UNAVAILABLE

HEADER = b"idempotency-key"
METHODS = ("POST", "PUT", "PATCH")
MAX_KEY = 200


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = dict(scope.get("headers") or ()).get(HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        key_text = key.decode("latin-1").strip()
        if not key_text or len(key_text) > MAX_KEY:
            await _answer(send, 422, {"detail": f"Idempotency-Key: 1 to {MAX_KEY} characters", "error": "BadKey"})
            return
        body, more = b"", True
        while more:  # the body is read here (to hash it) and handed on unchanged
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        app_state = scope["app"].state
        store = SqlIdempotency(app_state.engine)
        claim = IdempotencyClaim(
            f"{scope['method']} {scope['path']}", key_text, hashlib.sha256(body).hexdigest(), float(app_state.clock())
        )
        try:
            stored = await run_in_threadpool(store.find, claim.scope, claim.key)
        except UNAVAILABLE:
            retry = str(app_state.settings.retry_after)
            await _send(
                send,
                503,
                json.dumps(
                    {
                        "detail": f"the database is unavailable, nothing was changed: try again in {retry} s",
                        "error": "DatabaseUnavailable",
                    }
                ).encode(),
                headers=[(b"retry-after", retry.encode())],
            )
            return
        if stored is not None:
            await _replay(send, stored, claim)
            return
        scope.setdefault("state", {})["idempotency"] = claim
        status, chunks = 0, []
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay_body, capture)
        if 200 <= status < 300:
            try:
                await run_in_threadpool(store.record, claim, status, b"".join(chunks).decode("utf-8", "replace"))
            except Exception:  # noqa: BLE001 - the answer is sent; a lost record only means a retry gets a 409
                pass


async def _replay(send: Send, stored, claim: IdempotencyClaim) -> None:
    if stored.request_hash != claim.request_hash:
        await _answer(
            send,
            422,
            {
                "detail": "this Idempotency-Key was used with another body: use a new key for a new request",
                "error": "IdempotencyKeyReused",
            },
        )
    elif stored.status_code is None:
        await _answer(
            send,
            409,
            {
                "detail": "this request was carried out already (its answer was not kept): "
                "look the result up instead of sending it again",
                "error": "DuplicateRequest",
            },
        )
    else:
        await _send(send, stored.status_code, (stored.response or "").encode(), replayed=True)


async def _answer(send: Send, status: int, body: dict) -> None:
    await _send(send, status, json.dumps(body).encode())


async def _send(
    send: Send, status: int, body: bytes, replayed: bool = False, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or ())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
