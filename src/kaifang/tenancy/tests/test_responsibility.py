"""Responsibility lists (T2), cataloging rate (T5) and the live counters (T4, T6)."""

import datetime
import json

import pytest

from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.tenancy import permissions as perm
from kaifang.tenancy.selectors import cataloging_rate, departments_with_progress
from kaifang.tenancy.services import (
    department_update_cdo,
    responsibility_item_create,
    responsibility_item_delete,
)

pytestmark = pytest.mark.django_db
PAST = datetime.date(2020, 1, 1)
FUTURE = datetime.date(2099, 1, 1)
PERSONAS = [
    "anonymous",
    "citizen",
    "officer",
    "other_officer",
    "county_officer",
    "reviewer",
    "county_admin",
    "operator",
    "auditor",
    "evaluator",
]


def item(personas, departments, title, dept="transport", due=FUTURE):
    return responsibility_item_create(
        actor=personas["operator"],
        department=departments[dept],
        title=title,
        domain_code="transport",
        due_date=due,
    )


def test_rate_counts_cataloged_over_listed(personas, departments, regions, make_dataset):
    item(personas, departments, "公交站点")
    item(personas, departments, "停车场", due=PAST)
    item(personas, departments, "县学校名录", dept="xianan_edu")
    assert cataloging_rate()["rate"] == 0.0
    make_dataset("published", title="公交站点")  # links by title at registration
    make_dataset("draft", title="停车场")  # a draft is not cataloged yet
    city = cataloging_rate()
    assert (city["listed"], city["cataloged"], city["overdue"]) == (3, 1, 1)
    assert city["rate"] == round(1 / 3, 4)
    assert cataloging_rate(department=departments["transport"])["rate"] == 0.5
    assert cataloging_rate(region=regions["xianan"])["rate"] == 0.0
    board = {d.short_name: d for d in departments_with_progress()}
    assert (board["市交通运输局"].listed, board["市交通运输局"].cataloged, board["市交通运输局"].overdue) == (
        2,
        1,
        1,
    )


def test_empty_lists_count_as_complete(db):
    assert cataloging_rate()["rate"] == 1.0


def test_create_validates(personas, departments):
    with pytest.raises(ValidationFailed) as exc:
        responsibility_item_create(
            actor=personas["operator"],
            department=departments["transport"],
            title="",
            domain_code="nope",
            due_date=FUTURE,
        )
    assert set(exc.value.details) == {"title", "domain"}
    item(personas, departments, "重复")
    with pytest.raises(ValidationFailed):
        item(personas, departments, "重复")


def test_delete_needs_reason_and_permission(personas, departments):
    it = item(personas, departments, "待删除")
    with pytest.raises(Forbidden):
        responsibility_item_delete(actor=personas["officer"], item=it, reason="x")
    with pytest.raises(ValidationFailed):
        responsibility_item_delete(actor=personas["operator"], item=it, reason="")
    responsibility_item_delete(actor=personas["operator"], item=it, reason="职责调整")


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(personas, departments, persona):
    p = personas[persona]
    assert perm.can_responsibility_item_create(p, departments["transport"]) is (
        persona in {"reviewer", "operator"}
    )
    county = {"reviewer", "operator", "county_admin"}
    assert perm.can_responsibility_item_create(p, departments["xianan_edu"]) is (persona in county)
    it = item(personas, departments, f"条目{persona}", dept="xianan_edu")
    assert perm.can_responsibility_item_delete(p, it) is (persona in county)
    assert perm.can_department_update_cdo(p, departments["transport"]) is (persona in {"officer", "operator"})
    visible = perm.responsibility_items_visible_to(p).filter(pk=it.pk).exists()
    assert visible is (
        persona in {"county_officer", "reviewer", "county_admin", "operator", "auditor", "evaluator"}
    )


def test_cdo_pilot_record(personas, departments):
    d = department_update_cdo(
        actor=personas["officer"],
        department=departments["transport"],
        cdo_name="李主任",
        cdo_notes="业务数据：公交、出租；流程：采集-汇聚-开放；职责：数据质量",
    )
    assert d.cdo_name == "李主任"
    with pytest.raises(Forbidden):
        department_update_cdo(
            actor=personas["other_officer"], department=departments["transport"], cdo_name="x", cdo_notes=""
        )


class TestResponsibilityApi:
    def test_anonymous(self, client):
        assert client.get("/api/v1/responsibilities").status_code == 401

    def test_scoped_list(self, client, login, personas, departments):
        item(personas, departments, "市级条目")
        item(personas, departments, "县级条目", dept="xianan_edu", due=PAST)
        login(personas["officer"])
        assert [i["title"] for i in client.get("/api/v1/responsibilities").json()] == ["市级条目"]
        login(personas["county_admin"])
        assert [i["title"] for i in client.get("/api/v1/responsibilities?overdue=true").json()] == [
            "县级条目"
        ]

    def test_create_forbidden_and_valid(self, client, login, personas, departments):
        body = {
            "department": departments["transport"].uscc,
            "title": "新条目",
            "domain": "transport",
            "due_date": "2027-01-01",
        }
        login(personas["officer"])
        r = client.post("/api/v1/responsibilities", json.dumps(body), content_type="application/json")
        assert r.status_code == 403
        login(personas["reviewer"])
        r = client.post(
            "/api/v1/responsibilities",
            json.dumps(body | {"due_date": "明天"}),
            content_type="application/json",
        )
        assert r.status_code == 422
        r = client.post("/api/v1/responsibilities", json.dumps(body), content_type="application/json")
        assert r.status_code == 201 and r.json()["title"] == "新条目"

    def test_delete_missing_and_hidden(self, client, login, personas, departments):
        it = item(personas, departments, "县级条目", dept="xianan_edu")
        login(personas["officer"])
        hidden = client.delete(f"/api/v1/responsibilities/{it.pk}?reason=x")
        missing = client.delete("/api/v1/responsibilities/999999?reason=x")
        assert hidden.status_code == missing.status_code == 404


class TestOrganizationsAndStats:
    def test_stats(self, client, make_dataset, personas, departments):
        make_dataset("published", title="甲")
        make_dataset(
            "published", title="乙", department="xianan_edu", officer="county_officer", domain="education"
        )
        make_dataset("published", title="丙", open_attribute="closed", legal_basis="依法")
        make_dataset("draft", title="丁")
        s = client.get("/api/v1/stats").json()
        assert s["open_datasets"] == 2 and s["cataloged_datasets"] == 3
        assert s["domains_covered"] == 2 and s["key_domains"] == 15
        assert s["counties_covered"] == 1 and s["counties"] == 3
        assert s["cataloging_rate"] == 1.0

    def test_organizations(self, client, departments):
        body = client.get("/api/v1/organizations").json()
        assert {o["short_name"] for o in body} >= {"市交通运输局", "咸安区教育局"}
        assert client.get("/api/v1/organizations?region=421202").json()[0]["short_name"] == "咸安区教育局"
        assert client.get("/api/v1/organizations/nope").status_code == 404
        assert (
            client.get(f"/api/v1/organizations/{departments['transport'].uscc}").json()["progress"]["rate"]
            == 1.0
        )

    def test_regions(self, client, regions):
        codes = [r["code"] for r in client.get("/api/v1/regions").json()]
        assert codes[0] == "421200" and "421200GX" in codes
        assert client.get("/api/v1/regions/000000").status_code == 404


def test_region_board_matches_per_region_rate(personas, departments, regions, make_dataset):
    from kaifang.tenancy.selectors import regions_with_progress

    item(personas, departments, "公交站点")
    item(personas, departments, "县学校名录", dept="xianan_edu", due=PAST)
    item(personas, departments, "高新区企业", dept="zone_econ")
    make_dataset("published", title="公交站点")
    board = {r.code: r for r in regions_with_progress()}
    for r in board.values():
        expected = cataloging_rate(region=r)
        assert (r.listed, r.cataloged, r.overdue, r.rate) == (
            expected["listed"],
            expected["cataloged"],
            expected["overdue"],
            expected["rate"],
        ), r.code
    assert board["421202"].listed == 2  # its own item and the zone's
    assert board["421200"].listed == 3
