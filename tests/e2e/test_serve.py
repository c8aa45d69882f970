"""``hotline serve`` as an operator runs it: a real process on a free port with a fresh data directory, the
create-admin hint, then ``hotline users create-admin`` and a login over HTTP."""

from __future__ import annotations

import json
import re

import httpx

from tests.helpers import hotline, hotline_env, running, wait_until

PASSWORD = "a long admin password"


def create_admin(data_dir, name: str, password: str):
    """``hotline users create-admin NAME --password-stdin`` on the store in ``data_dir``."""
    return hotline("users", "create-admin", name, "--password-stdin", env=hotline_env(data_dir), stdin=password + "\n")


def test_serve_migrates_listens_hints_at_create_admin_and_an_admin_logs_in(tmp_path):
    data_dir = tmp_path / "data"
    with running("serve", "--port", "0", env=hotline_env(data_dir)) as output:
        listening = output.wait_for(r"^Hotline listening on (http://127\.0\.0\.1:(\d+))$")
        base = listening.group(1)
        assert int(listening.group(2)) > 0
        output.wait_for(r"hotline users create-admin USERNAME", timeout=10)
        assert (data_dir / "hotline.db").is_file()  # SQLite in the data directory, no configuration
        health = httpx.get(f"{base}/api/health", timeout=10)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert httpx.get(f"{base}/api/me", timeout=10).status_code == 401

        created = create_admin(data_dir, "boss", PASSWORD)
        assert created.returncode == 0, created.stdout + created.stderr
        assert "admin boss created" in created.stdout
        again = create_admin(data_dir, "boss", PASSWORD)
        assert again.returncode == 1 and "exists already" in again.stderr
        short = create_admin(data_dir, "other", "short")
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

    # a second start finds the schema up to date and an admin: no hint
    with running("serve", "--port", "0", env=hotline_env(data_dir)) as output:
        output.wait_for(r"^Hotline listening on http://")
        output.wait_for(r"Application startup complete", timeout=30)
        assert not any("create-admin" in line for line in output.seen), output.seen


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
    data_dir = tmp_path / "data"
    with running("serve", "--port", "0", "--workers", "2", env=hotline_env(data_dir), stop_timeout=60) as output:
        base = output.wait_for(r"^Hotline listening on (http://127\.0\.0\.1:\d+)$").group(1)
        output.wait_for(r"^Workers: 2 ", timeout=10)

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
        access = output.wait_for(r'^\{.*"logger": "hotline.access".*"route": "/api/health",.*\}$', timeout=30)
        assert json.loads(access.group(0))["status"] == 200
