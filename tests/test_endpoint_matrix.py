"""Every persona against every catalog workflow endpoint, through real URLs: the whole matrix.

401 anonymous; 404 when the persona may not see the entry (missing and hidden look alike);
403 when it may see the entry but not act on it; 200 when it may act.
"""

import json

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.core.testing import PERSONA_NAMES

pytestmark = pytest.mark.django_db

PERSONAS = PERSONA_NAMES
# Who sees a city department's entry that is not in the catalogs (draft, submitted, withdrawn).
SEES_UNPUBLISHED = {"officer", "reviewer", "operator", "auditor"}
ACTIONS = {
    # action: (state the entry is in, personas who may act, whether everyone can see it)
    "submit": ("draft", {"officer"}, False),
    "review-start": ("submitted", {"reviewer"}, False),
    "publish": ("submitted", {"reviewer"}, False),
    "return": ("submitted", {"reviewer"}, False),
    "withdraw": ("published", {"officer", "reviewer"}, True),
    "reopen": ("withdrawn", {"officer"}, False),
}


def expected(action: str, persona: str) -> int:
    _state, allowed, public = ACTIONS[action]
    if persona == "anonymous":
        return 401
    if persona in allowed:
        return 200
    if public or persona in SEES_UNPUBLISHED:
        return 403
    return 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_workflow_endpoint(client, login, personas, make_dataset, action, persona):
    state = ACTIONS[action][0]
    ds = make_dataset(state)
    login(personas[persona])
    r = client.post(
        f"/api/v1/datasets/{slug_for_code(ds.code)}/{action}",
        json.dumps({"reason": "矩阵测试"}),
        content_type="application/json",
    )
    assert r.status_code == expected(action, persona), r.content
    if r.status_code != 200:
        assert r.json()["error"]["code"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("state", ["draft", "submitted", "returned", "published", "withdrawn"])
def test_read_endpoints(client, login, personas, make_dataset, state, persona):
    ds = make_dataset(state)
    login(personas[persona])
    slug = slug_for_code(ds.code)
    visible = state == "published" or persona in SEES_UNPUBLISHED
    for url in (f"/api/v1/datasets/{slug}", f"/api/v1/datasets/{slug}/history", f"/datasets/{slug}/"):
        assert client.get(url).status_code == (200 if visible else 404), url
    listed = client.get("/api/v1/datasets").json()["count"]
    assert listed == (1 if state == "published" else 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_catalogs(client, login, personas, make_dataset, persona):
    make_dataset("published", open_attribute="closed", legal_basis="依法不予开放")
    login(personas[persona])
    staff = persona in {
        "officer",
        "other_officer",
        "county_officer",
        "reviewer",
        "county_admin",
        "operator",
        "auditor",
    }
    for catalog in ("resource", "sharing"):
        r = client.get(f"/api/v1/datasets?catalog={catalog}")
        assert r.status_code == (200 if staff else 404)
    assert client.get("/api/v1/datasets?catalog=open").json()["count"] == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_update_endpoint(client, login, personas, make_dataset, persona):
    from kaifang.core.testing import valid_dataset_data

    ds = make_dataset("draft")
    login(personas[persona])
    body = valid_dataset_data(title="矩阵修改", lock_version=ds.lock_version)
    r = client.put(
        f"/api/v1/datasets/{slug_for_code(ds.code)}", json.dumps(body), content_type="application/json"
    )
    want = (
        401
        if persona == "anonymous"
        else 200
        if persona == "officer"
        else 403
        if persona in SEES_UNPUBLISHED
        else 404
    )
    assert r.status_code == want
    missing = client.put(
        "/api/v1/datasets/307015421200001-999999", json.dumps(body), content_type="application/json"
    )
    assert missing.status_code == (401 if persona == "anonymous" else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_import_endpoint(client, login, personas, departments, persona):
    import io

    row = {
        "title": "矩阵导入",
        "abstract": "摘要",
        "department": departments["transport"].uscc,
        "domain": "transport",
        "share_type": "unconditional",
        "update_frequency": "annual",
        "format_type": "csv",
        "fields": [{"name": "名称", "data_type": "C"}],
    }
    f = io.BytesIO(json.dumps([row]).encode())
    f.name = "rows.json"
    login(personas[persona])
    r = client.post("/api/v1/catalog/import", {"file": f})
    want = {"anonymous": 401, "officer": 201, "reviewer": 201}.get(persona, 422)
    assert r.status_code == want, r.content
