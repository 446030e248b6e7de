"""Schemathesis over the OpenAPI schema: generated requests to every read endpoint never cause a 5xx."""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kaifang.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(method="GET")


@pytest.fixture
def catalog(make_dataset):
    make_dataset("published", title="公交站点")
    make_dataset(
        "published", title="学校名录", department="xianan_edu", officer="county_officer", domain="education"
    )


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_read_endpoints_never_fail(case, catalog):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        # Every refusal is our JSON error shape, never an HTML page or an empty body.
        try:
            body = json.loads(response.text)
        except ValueError:
            body = None
        assert isinstance(body, dict) and "error" in body, (
            case.method,
            case.path,
            case.path_parameters,
            case.query,
            response.status_code,
            response.text[:300],
        )
