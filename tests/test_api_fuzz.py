"""Schemathesis over the OpenAPI schema: generated requests to every read endpoint never cause a 5xx."""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kaifang.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(method="GET")


@pytest.fixture(autouse=True)
def _keep_the_test_connection(keep_the_test_connection):
    """See tests/conftest.py: the WSGI calls must not close the test's connection."""


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


def test_api_docs_load_nothing_from_the_internet(client, db):
    body = client.get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in body
    assert "cdn." not in body and "https://" not in body.replace("https://swagger.io", "")
