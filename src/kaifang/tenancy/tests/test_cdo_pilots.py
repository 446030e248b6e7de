"""The Chief Data Officer pilots (S8): the public list and its JSON twin, recording a pilot's CDO and
business data, and the bureau naming or ending a pilot, through real URLs with every persona."""

import json

import pytest

from kaifang.core.models import AuditEvent
from kaifang.core.testing import PERSONA_NAMES

pytestmark = pytest.mark.django_db

# Who may act on the city transport bureau (the officer's department).
MAY_RECORD = {"officer", "operator"}
MAY_DESIGNATE = {"reviewer", "operator"}


def _put(client, url, body):
    return client.put(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def pilot(departments):
    dept = departments["transport"]
    dept.is_cdo_pilot, dept.cdo_name, dept.cdo_notes = (
        True,
        "李卫东（总工程师）",
        "业务数据：公交线路\n业务流程：分钟级推送",
    )
    dept.save()
    return dept


def test_public_list_and_api_show_the_pilots_only(client, pilot, departments):
    page = client.get("/cdo-pilots/").content.decode()
    assert (
        "咸宁市交通运输局" in page and "李卫东（总工程师）" in page and "业务流程：分钟级推送</p>" in page
    )
    assert "咸宁市教育局" not in page and "维护" not in page
    assert 'href="/api/v1/cdo-pilots"' in page
    data = client.get("/api/v1/cdo-pilots").json()
    assert [(d["name"], d["cdo"]["name"]) for d in data] == [("咸宁市交通运输局", "李卫东（总工程师）")]
    org = client.get(f"/organizations/{pilot.uscc}/").content.decode()
    assert "业务数据：公交线路<br>业务流程：分钟级推送" in org and 'href="/cdo-pilots/"' in org
    assert 'data-testid="cdo-link"' in client.get("/progress/").content.decode()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_recording_the_cdo_endpoint(client, login, personas, pilot, persona):
    login(personas.get(persona))
    r = _put(client, f"/api/v1/organizations/{pilot.uscc}/cdo", {"name": "新主任", "notes": "职责：数据质量"})
    expected = 401 if persona == "anonymous" else 200 if persona in MAY_RECORD else 403
    assert r.status_code == expected, r.content
    pilot.refresh_from_db()
    assert (pilot.cdo_name == "新主任") is (expected == 200)
    if expected == 200:
        assert r.json()["cdo"] == {"name": "新主任", "notes": "职责：数据质量"}
        event = AuditEvent.objects.get(action="department_update_cdo")
        assert event.before["cdo_name"] == "李卫东（总工程师）" and event.actor_id == personas[persona].pk
    else:
        assert (
            r.json()["error"]["code"]
            and not AuditEvent.objects.filter(action="department_update_cdo").exists()
        )


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_naming_and_ending_a_pilot_endpoint(client, login, personas, departments, persona):
    dept = departments["education"]
    login(personas.get(persona))
    r = _put(
        client, f"/api/v1/organizations/{dept.uscc}/cdo-pilot", {"pilot": True, "reason": "市政府确定试点"}
    )
    expected = 401 if persona == "anonymous" else 200 if persona in MAY_DESIGNATE else 403
    assert r.status_code == expected, r.content
    dept.refresh_from_db()
    assert dept.is_cdo_pilot is (expected == 200)
    if expected == 200:
        # A double submission changes nothing and records nothing more; ending the pilot needs a reason too.
        assert _put(
            client, f"/api/v1/organizations/{dept.uscc}/cdo-pilot", {"pilot": True, "reason": "再次"}
        ).status_code == 200
        assert AuditEvent.objects.filter(action="department_designate_cdo_pilot").count() == 1
        r = _put(client, f"/api/v1/organizations/{dept.uscc}/cdo-pilot", {"pilot": False, "reason": " "})
        assert r.status_code == 422 and "请说明原因" in r.json()["error"]["message"]
        r = _put(
            client, f"/api/v1/organizations/{dept.uscc}/cdo-pilot", {"pilot": False, "reason": "试点期满"}
        )
        assert r.status_code == 200 and r.json()["is_cdo_pilot"] is False
        assert AuditEvent.objects.filter(action="department_designate_cdo_pilot", reason="试点期满").exists()


def test_missing_department_and_bad_input(client, login, personas, pilot):
    login(personas["operator"])
    assert _put(client, "/api/v1/organizations/NOPE/cdo", {"name": "x"}).status_code == 404
    assert (
        _put(client, "/api/v1/organizations/NOPE/cdo-pilot", {"pilot": True, "reason": "x"}).status_code
        == 404
    )
    too_long = _put(client, f"/api/v1/organizations/{pilot.uscc}/cdo", {"name": "长" * 65})
    assert too_long.status_code in (400, 422) and too_long.json()["error"]["code"]
    r = _put(client, f"/api/v1/organizations/{pilot.uscc}/cdo", {"name": "<script>alert(1)</script>"})
    assert r.status_code == 200
    page = client.get("/cdo-pilots/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert client.get("/cdo-pilots/?x=\x00").status_code == 400


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_maintenance_page(client, login, personas, pilot, persona):
    login(personas.get(persona))
    url = f"/staff/organizations/{pilot.uscc}/cdo/"
    r = client.get(url)
    staff = persona not in {
        "anonymous",
        "citizen",
        "enterprise",
        "evaluator",
    }  # the evaluator has no staff pages
    if persona == "anonymous":
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
        return
    if not staff:
        assert r.status_code == 404  # not a staff page for them: like a missing one
        return
    may_record, may_designate = persona in MAY_RECORD, persona in MAY_DESIGNATE
    if not (may_record or may_designate):
        assert r.status_code == 403
        assert client.post(url, {"action": "record", "cdo_name": "x"}).status_code == 403
        return
    body = r.content.decode()
    assert r.status_code == 200
    assert ('data-testid="cdo-record"' in body) is may_record
    assert ('data-testid="cdo-designate"' in body) is may_designate
    listing = client.get("/cdo-pilots/").content.decode()
    assert f'href="{url}"' in listing
    if may_record:
        r = client.post(url, {"action": "record", "cdo_name": "王主任", "cdo_notes": "职责：统筹"})
        assert r.status_code == 302
        pilot.refresh_from_db()
        assert pilot.cdo_name == "王主任" and pilot.cdo_notes == "职责：统筹"
    if may_designate:
        r = client.post(url, {"action": "designate", "pilot": "0", "reason": ""})
        assert r.status_code == 422 and "请说明原因" in r.content.decode()
        r = client.post(url, {"action": "designate", "pilot": "0", "reason": "试点期满"})
        assert r.status_code == 302
        pilot.refresh_from_db()
        assert not pilot.is_cdo_pilot
        assert "咸宁市交通运输局" not in client.get("/cdo-pilots/").content.decode()


def test_maintenance_page_for_a_missing_department(client, login, personas):
    login(personas["operator"])
    assert client.get("/staff/organizations/NOPE/cdo/").status_code == 404


def test_english(client, pilot):
    body = client.get("/cdo-pilots/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Chief data officer pilot" in body and "City department pilot (1)" in body and "Maintain" not in body
