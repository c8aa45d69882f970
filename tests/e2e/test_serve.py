"""``hotline serve`` as an operator runs it: a real process on a free port with a fresh data directory, the
create-admin hint, then ``hotline users create-admin`` and a login over HTTP."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long admin password"


def _env(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "HOTLINE_DATABASE_URL"}
    return {**env, "HOTLINE_DATA_DIR": str(data_dir), "COLUMNS": "200"}


def _lines(process: subprocess.Popen) -> "queue.Queue[str]":
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines: "queue.Queue[str]", pattern: str, seen: list[str], timeout: float = 60.0) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s; output:\n" + "\n".join(seen))


def hotline(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        cwd=ROOT,
        env=_env(data_dir),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_migrates_listens_hints_at_create_admin_and_an_admin_logs_in(tmp_path):
    data_dir = tmp_path / "data"
    server = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "serve", "--port", "0"],
        cwd=ROOT,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        lines = _lines(server)
        listening = _wait_for(lines, r"^Hotline listening on (http://127\.0\.0\.1:(\d+))$", seen)
        base = listening.group(1)
        assert int(listening.group(2)) > 0
        _wait_for(lines, r"hotline users create-admin USERNAME", seen, timeout=10)
        assert (data_dir / "hotline.db").is_file()  # SQLite in the data directory, no configuration
        health = httpx.get(f"{base}/api/health", timeout=10)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert httpx.get(f"{base}/api/me", timeout=10).status_code == 401

        created = hotline("users", "create-admin", "boss", "--password-stdin", data_dir=data_dir, stdin=PASSWORD + "\n")
        assert created.returncode == 0, created.stdout + created.stderr
        assert "admin boss created" in created.stdout
        again = hotline("users", "create-admin", "boss", "--password-stdin", data_dir=data_dir, stdin=PASSWORD + "\n")
        assert again.returncode == 1 and "exists already" in again.stderr
        short = hotline("users", "create-admin", "other", "--password-stdin", data_dir=data_dir, stdin="short\n")
        assert short.returncode == 2 and "password" in short.stderr

        login = httpx.post(f"{base}/api/login", json={"username": "boss", "password": PASSWORD}, timeout=10)
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = httpx.get(f"{base}/api/me", headers=headers, timeout=10)
        assert me.status_code == 200 and me.json()["role"] == "admin"
        agent = httpx.post(
            f"{base}/api/users",
            headers=headers,
            timeout=10,
            json={"username": "li", "password": "agent password", "role": "agent"},
        )
        assert agent.status_code == 201
    finally:
        server.terminate()
        server.wait(timeout=30)

    # a second start finds the schema up to date and an admin: no hint
    server = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "serve", "--port", "0"],
        cwd=ROOT,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = _lines(server)
        seen = []
        _wait_for(lines, r"^Hotline listening on http://", seen)
        _wait_for(lines, r"Application startup complete", seen, timeout=30)
        assert not any("create-admin" in line for line in seen), seen
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_service_socket_gets_tcp_nodelay_on_every_connection():
    """Without TCP_NODELAY each keep-alive response waited ~40 ms for the client's delayed ACK."""
    import asyncio
    import socket

    from entrypoints.serve_cmd import listening_socket

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(reader, writer) -> None:
            option = writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            accepted.set_result(option)
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listening_socket("127.0.0.1", 0))
        async with server:
            port = server.sockets[0].getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            option = await asyncio.wait_for(accepted, 10)
            writer.close()
            return option

    assert asyncio.run(accept_one()) != 0


def test_serve_with_two_workers_answers_and_sums_their_metrics(tmp_path):
    """Issue 14, item 13/14: `hotline serve --workers 2`; readiness, JSON access lines, one /metrics for both."""
    from tests.helpers import wait_until

    data_dir = tmp_path / "data"
    server = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "serve", "--port", "0", "--workers", "2"],
        cwd=ROOT,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        lines = _lines(server)
        base = _wait_for(lines, r"^Hotline listening on (http://127\.0\.0\.1:\d+)$", seen).group(1)
        _wait_for(lines, r"^Workers: 2 ", seen, timeout=10)

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/api/health/ready", timeout=10).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, 120, "readiness of the workers")
        for _ in range(20):
            assert httpx.get(f"{base}/api/health", timeout=10).status_code == 200
        metrics = httpx.get(f"{base}/metrics", timeout=30).text
        count = re.search(
            r'hotline_http_request_seconds_count\{method="GET",route="/api/health",status="200"\} '
            r"([0-9.]+)",
            metrics,
        )
        assert count and float(count.group(1)) == 20  # both workers' requests, summed
        access = _wait_for(lines, r'^\{.*"logger": "hotline.access".*"route": "/api/health",.*\}$', seen, timeout=30)
        assert json.loads(access.group(0))["status"] == 200
    finally:
        server.terminate()
        server.wait(timeout=60)
