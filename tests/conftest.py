# Shared fixtures (personas: citizen, enterprise, officer, other_officer, county_officer, reviewer, reviewer2,
# county_admin, operator, auditor, evaluator; regions; departments; make_dataset; login) live in
# src/kaifang/core/testing.py and are loaded by the root conftest.py.

import pytest


@pytest.fixture
def keep_the_test_connection():
    """Schemathesis calls the WSGI app directly, which fires request_finished and closes the database
    connection (PostgreSQL would lose the test's transaction); Django's own test client disconnects it the
    same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
