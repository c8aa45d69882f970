"""Schemathesis over the console's OpenAPI schema, logged in as an admin (every permission), on SQLite and
PostgreSQL: whatever a client sends that fits the schema -- and much that does not -- is never answered
with a 5xx, and every answer has a status code the schema documents for the operation, the documented
content type and a body that fits the documented schema. One test per operation; examples per operation
are capped to keep the run short."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.store.settings import StoreSettings
from console.app import create_app
from console.settings import ConsoleSettings
from tests.integration.store.business_fixtures import stocked_store

MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = [
    (method.upper(), path)
    for path, methods in create_app(ConsoleSettings(store=StoreSettings(database_url="sqlite://")))
    .openapi()["paths"]
    .items()
    for method in methods
]


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_gets_a_server_error(method, path, app, engine, auth):
    stocked_store(engine, units=5)  # something to find, order and cancel
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=auth["admin"], checks=CHECKS)

    check()
