"""The store tests use the shared fixtures of ``tests/integration/conftest.py`` (``postgres_server``,
``database``, ``engine`` over SQLite and PostgreSQL); these names stay importable from here."""

from tests.integration.conftest import BACKENDS, PG, REPO  # noqa: F401
