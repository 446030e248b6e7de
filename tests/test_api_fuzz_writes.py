"""Schemathesis over the whole OpenAPI schema, every method, as the people who may write.

The read-only run (test_api_fuzz.py) is anonymous; here generated requests — bodies, path parameters and
query strings of every operation, unsafe methods included — are sent with an officer's, a reviewer's and an
operator's write-scoped API keys and as an anonymous caller. None may cause a server error, and every
refusal is the API's JSON error shape.
"""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kaifang.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

PERSONAS = ("anonymous", "officer", "reviewer", "operator")


@pytest.fixture(autouse=True)
def _keep_the_test_connection(keep_the_test_connection):
    """See tests/conftest.py: the WSGI calls must not close the test's connection."""


@pytest.fixture
def keys(personas, make_dataset, settings):
    """A write key per staff persona and a catalog with datasets in several states to act on."""
    from kaifang.accounts.services import api_key_create

    settings.KAIFANG_RATELIMIT_ENABLED = False
    make_dataset("published", title="公交站点")
    make_dataset("submitted", title="停车场名录")
    make_dataset("draft", title="道路养护计划")
    make_dataset(
        "published", title="学校名录", department="xianan_edu", officer="county_officer", domain="education"
    )
    out = {"anonymous": None}
    for name in PERSONAS[1:]:
        user = personas[name]
        _key, secret = api_key_create(actor=user, owner=user, name="fuzz", scopes=["read", "write"])
        out[name] = secret
    return out


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_no_operation_fails_for_anyone(case, keys):
    for persona in PERSONAS:
        headers = {"Authorization": f"Bearer {keys[persona]}"} if keys[persona] else {}
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            try:
                body = json.loads(response.text)
            except ValueError:
                body = None
            assert isinstance(body, dict) and "error" in body, (
                persona,
                case.method,
                case.path,
                case.path_parameters,
                response.status_code,
                response.text[:300],
            )
