"""``hotline serve`` with the dashboards at /dash, as an operator runs it: a real process on a free port, a fresh
data directory, an admin made by ``hotline users create-admin`` and a planner and an agent made in the API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from console.session_cookie import SESSION_COOKIE
from tests.e2e.test_serve import create_admin
from tests.helpers import hotline_env, running

PASSWORD = "a long enough password"


@dataclass
class Served:
    base: str
    data_dir: Path
    tokens: dict[str, str]  # role -> token

    def login(self, page, role: str) -> None:
        """Put ``role``'s console token in the browser as the login page's session cookie."""
        page.context.add_cookies([{"name": SESSION_COOKIE, "value": self.tokens[role], "url": self.base}])

    def engine(self):
        from adapters.store.settings import make_engine

        return make_engine(f"sqlite:///{self.data_dir / 'hotline.db'}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("dash") / "data"
    env = hotline_env(data_dir, TMPDIR=str(data_dir.parent))
    with running("serve", "--port", "0", "--log-level", "warning", env=env) as output:
        base = output.wait_for(r"^Hotline listening on (http://127\.0\.0\.1:\d+)$").group(1)
        output.wait_for(r"^Dashboards: ")
        made = create_admin(data_dir, "boss", PASSWORD)
        assert made.returncode == 0, made.stdout + made.stderr
        tokens = {"admin": _token(base, "boss")}
        for role in ("planner", "agent"):
            created = httpx.post(
                f"{base}/api/users",
                headers={"Authorization": f"Bearer {tokens['admin']}"},
                json={"username": role, "password": PASSWORD, "role": role},
                timeout=120,  # argon2 on a loaded machine
            )
            assert created.status_code == 201, created.text
            tokens[role] = _token(base, role)
        yield Served(base, data_dir, tokens)


def _token(base: str, username: str) -> str:
    login = httpx.post(f"{base}/api/login", json={"username": username, "password": PASSWORD}, timeout=120)
    assert login.status_code == 200, login.text
    return login.json()["access_token"]
