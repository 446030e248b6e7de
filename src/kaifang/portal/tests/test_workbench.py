"""The workbench (工作台) for every role and the applicant's page (/me/): real queues, oldest first, scoped."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_smoke(login, personas, make_dataset):
    make_dataset("draft", title="草稿数据")
    for name in ("officer", "reviewer", "county_admin", "operator", "auditor", "evaluator"):
        r = login(personas[name]).get("/staff/")
        assert r.status_code == 200, (name, r.content[:3000])
        r = login(personas[name]).get("/api/v1/workbench")
        assert r.status_code == 200, (name, r.content[:3000])
    r = login(personas["citizen"]).get("/me/")
    assert r.status_code == 200, r.content[:3000]
