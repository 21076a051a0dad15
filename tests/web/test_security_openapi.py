"""The OpenAPI document is the truth about the public API: every route is in it, and schemathesis,
driving the real app (real Redis) with generated requests, finds no 5xx and no answer that
violates it."""

from __future__ import annotations

import re

import pytest
import redis
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from inviteguard import create_app
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.openapi import DOCUMENT
from schemathesis.specs.openapi.checks import positive_data_acceptance

PUBLIC = re.compile(r"^/(api/|addin/|healthz$|readyz$|metrics$)")


def test_every_public_route_is_documented(client: FlaskClient) -> None:
    app = client.application
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    served = set()
    for rule in app.url_map.iter_rules():
        if not PUBLIC.match(rule.rule):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        served |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented
    assert client.get("/api/v1/openapi.json").get_json() == DOCUMENT


def test_the_document_is_openapi_3_1() -> None:
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.1")
    assert {op.path for op in (result.ok() for result in schema.get_all_operations())} == set(DOCUMENT["paths"])


@pytest.fixture
def live_schema(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> schemathesis.BaseSchema:
    app = create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


OPERATIONS = [(path, method) for path, item in DOCUMENT["paths"].items() for method in item]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_the_live_app_keeps_to_its_document(live_schema: schemathesis.BaseSchema, path: str, method: str) -> None:
    operation = live_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def conforms(case: schemathesis.Case) -> None:
        # Every check schemathesis has (no 5xx; status codes, content types, headers and bodies as
        # documented; invalid input refused) but one: schema-valid input may still be refused for
        # what it means (base64 of something that is no message is 422 not_a_message, by design).
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    conforms()
