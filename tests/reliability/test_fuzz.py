"""Fuzzing: schemathesis drives every operation of the service's own OpenAPI schema.

Checks (schemathesis defaults): no 5xx, status codes and content types the schema
documents, responses that match their documented schemas, invalid input rejected.
Run as admin (who may do everything) and as a kitchen manager (scoped to one kitchen).
FUZZ_EXAMPLES sets the examples per operation (default 15; raise it for a deeper run).
"""

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import NegativeDataRejectionConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.core.config import Settings
from app.main import create_app
from tests.builders import make_kitchen, make_manager, make_school

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture
def fuzz_world(app: FastAPI, client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    kitchen = make_kitchen(client, admin)
    make_school(client, admin, kitchen["id"])
    return {"client": client, "admin": admin, "manager": make_manager(client, admin, kitchen["id"])}


def _call_and_validate(case: Any, client: TestClient, headers: dict[str, str]) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    # Generated header values may hold characters HTTP clients refuse to encode; send
    # them as raw UTF-8 bytes, which is what a hostile client can put on the wire.
    kwargs["headers"] = {
        name: value if value.isascii() else value.encode()
        for name, value in (kwargs.get("headers") or {}).items()
    }
    response = client.request(**kwargs)
    # positive_data_acceptance expects every schema-valid request to succeed; ours are
    # refused when they name objects that do not exist (404, 422 unknown_kitchen), which
    # no schema can express. Every other default check runs.
    case.validate_response(response, headers=headers, excluded_checks=[positive_data_acceptance])


# The schema comes from an app that is never called (only its /openapi.json is read); each
# test sends the generated requests to its own app on a fresh database.
# An invalid request that also carries a stale If-Match may be refused with 412: preconditions
# are evaluated before the request content (RFC 9110 §13.2.2), so 412 counts as a rejection.
REJECTIONS = [*NegativeDataRejectionConfig._DEFAULT_EXPECTED_STATUSES, "412"]
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Settings(_env_file=None, environment="test", database_url="sqlite://")),  # type: ignore[call-arg]
    config=SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
    ),
)
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@schema.parametrize()
@fuzz_settings
def test_fuzz_as_admin(case: Any, fuzz_world: dict[str, Any]) -> None:
    _call_and_validate(case, fuzz_world["client"], fuzz_world["admin"])


@schema.parametrize()
@fuzz_settings
def test_fuzz_as_kitchen_manager(case: Any, fuzz_world: dict[str, Any]) -> None:
    _call_and_validate(case, fuzz_world["client"], fuzz_world["manager"])
