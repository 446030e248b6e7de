"""Catalog API through real URLs: anonymous, forbidden, missing and valid for each endpoint."""

import json

import pytest

from kaifang.accounts.services import api_key_create
from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Dataset
from kaifang.core.testing import valid_dataset_data

pytestmark = pytest.mark.django_db
MISSING = "307015421200001-999999"


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def put(client, url, body):
    return client.put(url, json.dumps(body), content_type="application/json")


class TestListDatasets:
    def test_anonymous_sees_open_catalog_with_facets(self, client, make_dataset):
        make_dataset("published", title="公交站点")
        make_dataset("published", title="不开放的", open_attribute="closed", legal_basis="依法")
        make_dataset("draft", title="草稿的")
        r = client.get("/api/v1/datasets")
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == 1 and body["results"][0]["title"] == "公交站点"
        assert body["facets"]["domain"][0] == {
            "value": "transport",
            "label": "交通运输",
            "label_en": "Transport",
            "count": 1,
        }
        assert {f["value"] for f in body["facets"]["open_attribute"]} == {"unconditional"}

    def test_filters_and_query(self, client, make_dataset):
        make_dataset("published", title="公交站点")
        make_dataset("published", title="学校名录", domain="education")
        make_dataset(
            "published", title="县学校", department="xianan_edu", officer="county_officer", domain="education"
        )
        assert client.get("/api/v1/datasets?domain=education").json()["count"] == 2
        assert client.get("/api/v1/datasets?domain=education&region=421202").json()["count"] == 1
        assert client.get("/api/v1/datasets?q=学校").json()["count"] == 2
        assert client.get("/api/v1/datasets?q=不存在的词").json()["count"] == 0
        body = client.get("/api/v1/datasets?domain=education").json()
        # Drill-down: the domain facet ignores its own filter, the others apply it.
        assert {f["value"] for f in body["facets"]["domain"]} == {"transport", "education"}
        assert {f["value"] for f in body["facets"]["region"]} == {"421200", "421202"}

    def test_staff_catalogs_hidden_from_public(self, client, login, personas, make_dataset):
        make_dataset("published", title="不开放的", open_attribute="closed", legal_basis="依法")
        assert client.get("/api/v1/datasets?catalog=resource").status_code == 404
        login(personas["citizen"])
        assert client.get("/api/v1/datasets?catalog=resource").status_code == 404
        login(personas["other_officer"])
        assert client.get("/api/v1/datasets?catalog=resource").json()["count"] == 1
        assert client.get("/api/v1/datasets?catalog=open").json()["count"] == 0

    @pytest.mark.parametrize(
        "query", ["page_size=101", "page=0", "catalog=secret", "page=abc", "q=" + "x" * 201]
    )
    def test_bad_parameters_are_json_errors(self, client, query):
        r = client.get("/api/v1/datasets?" + query)
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_failed"
        assert "校验" in r.json()["error"]["message"]


class TestGetDataset:
    def test_valid(self, client, make_dataset):
        ds = make_dataset("published")
        r = client.get(f"/api/v1/datasets/{slug_for_code(ds.code)}")
        assert r.status_code == 200
        body = r.json()
        assert body["code"] == ds.code and len(body["fields"]) == 3
        assert body["fields"][0]["code"] == ds.code + "/001"
        assert "pending_changes" not in body

    def test_missing_and_forbidden_look_the_same(self, client, make_dataset):
        draft = make_dataset("draft")
        missing = client.get(f"/api/v1/datasets/{MISSING}")
        hidden = client.get(f"/api/v1/datasets/{slug_for_code(draft.code)}")
        assert missing.status_code == hidden.status_code == 404
        assert missing.json() == hidden.json()

    def test_officer_sees_own_draft(self, client, login, personas, make_dataset):
        draft = make_dataset("draft")
        login(personas["officer"])
        body = client.get(f"/api/v1/datasets/{slug_for_code(draft.code)}").json()
        assert body["state"]["code"] == "draft" and "pending_changes" in body
        login(personas["other_officer"])
        assert client.get(f"/api/v1/datasets/{slug_for_code(draft.code)}").status_code == 404

    def test_history(self, client, make_dataset, login, personas):
        ds = make_dataset("published")
        url = f"/api/v1/datasets/{slug_for_code(ds.code)}/history"
        # The public reads public events only; the department's officer the whole workflow.
        assert [e["action"] for e in client.get(url).json()] == ["dataset_publish"]
        login(personas["officer"])
        actions = [e["action"] for e in client.get(url).json()]
        assert actions == ["dataset_publish", "dataset_submit", "dataset_register"]


class TestRegisterAndWorkflow:
    def body(self, departments, **kw):
        data = valid_dataset_data(**kw)
        data["department"] = departments["transport"].uscc
        return data

    def test_anonymous(self, client, departments):
        r = post(client, "/api/v1/datasets", self.body(departments))
        assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"

    def test_forbidden(self, client, login, personas, departments):
        login(personas["other_officer"])
        r = post(client, "/api/v1/datasets", self.body(departments))
        assert r.status_code == 403
        assert Dataset.objects.count() == 0

    def test_missing_department(self, client, login, personas, departments):
        login(personas["officer"])
        body = self.body(departments)
        body["department"] = "nope"
        assert post(client, "/api/v1/datasets", body).status_code == 404

    def test_rule_violation_is_422_with_chinese_message(self, client, login, personas, departments):
        login(personas["officer"])
        r = post(client, "/api/v1/datasets", self.body(departments, open_attribute="conditional"))
        assert r.status_code == 422
        assert "开放条件" in r.json()["error"]["details"]["open_condition"]
        assert Dataset.objects.count() == 0

    def test_oversize_text_refused(self, client, login, personas, departments):
        login(personas["officer"])
        r = post(client, "/api/v1/datasets", self.body(departments, title="长" * 2000))
        assert r.status_code == 422

    def test_full_flow_with_bearer_keys(self, client, personas, departments):
        _k, officer_key = api_key_create(actor=personas["officer"], owner=personas["officer"])
        _k, reviewer_key = api_key_create(actor=personas["reviewer"], owner=personas["reviewer"])
        as_officer = {"HTTP_AUTHORIZATION": f"Bearer {officer_key}"}
        as_reviewer = {"HTTP_AUTHORIZATION": f"Bearer {reviewer_key}"}
        r = post(client, "/api/v1/datasets", self.body(departments), **as_officer)
        assert r.status_code == 201, r.content
        slug = r.json()["slug"]
        version = r.json()["lock_version"]
        r = post(client, f"/api/v1/datasets/{slug}/submit", {"lock_version": version}, **as_officer)
        assert r.json()["state"]["code"] == "submitted"
        # Forged transition: the officer cannot publish, the reviewer cannot submit.
        assert post(client, f"/api/v1/datasets/{slug}/publish", {}, **as_officer).status_code == 403
        assert post(client, f"/api/v1/datasets/{slug}/submit", {}, **as_reviewer).status_code == 403
        r = post(client, f"/api/v1/datasets/{slug}/return", {}, **as_reviewer)
        assert r.status_code == 422
        r = post(client, f"/api/v1/datasets/{slug}/publish", {"reason": "符合要求"}, **as_reviewer)
        assert r.status_code == 200 and r.json()["state"]["code"] == "published"
        r = post(client, f"/api/v1/datasets/{slug}/publish", {}, **as_reviewer)
        assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
        assert client.get(f"/api/v1/datasets/{slug}").status_code == 200

    def test_bad_key_is_refused_not_downgraded(self, client, make_dataset):
        make_dataset("published")
        r = client.get("/api/v1/datasets", HTTP_AUTHORIZATION="Bearer kf_dead_beef")
        assert r.status_code == 401

    def test_revoked_key(self, client, personas):
        from kaifang.accounts.services import api_key_revoke

        key, secret = api_key_create(actor=personas["officer"], owner=personas["officer"])
        api_key_revoke(actor=personas["officer"], key=key)
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401

    def test_concurrent_edit_refused(self, client, login, personas, make_dataset):
        ds = make_dataset("draft")
        login(personas["officer"])
        url = f"/api/v1/datasets/{slug_for_code(ds.code)}"
        body = valid_dataset_data(lock_version=ds.lock_version, title="第一次")
        assert put(client, url, body).status_code == 200
        body["title"] = "第二次"
        r = put(client, url, body)
        assert r.status_code == 409 and "已被他人修改" in r.json()["error"]["message"]
        assert Dataset.objects.get(pk=ds.pk).title == "第一次"

    def test_session_writes_need_csrf(self, personas, departments):
        from django.test import Client

        c = Client(enforce_csrf_checks=True)
        c.force_login(personas["officer"])
        r = post(c, "/api/v1/datasets", self.body(departments))
        assert r.status_code == 403 and Dataset.objects.count() == 0

    def test_review_queue(self, client, login, personas, make_dataset):
        make_dataset("submitted", title="待审")
        login(personas["reviewer"])
        assert [d["title"] for d in client.get("/api/v1/review-queue").json()] == ["待审"]
        login(personas["citizen"])
        assert client.get("/api/v1/review-queue").json() == []
        login(None)
        assert client.get("/api/v1/review-queue").status_code == 401


def test_cached_answers_change_with_every_write(client, make_dataset, personas):
    """The open catalog and the counters are cached, keyed by the newest audit event: never stale."""
    from kaifang.catalog import services

    ds = make_dataset("published", title="缓存甲")
    assert client.get("/api/v1/datasets").json()["count"] == 1
    assert client.get("/api/v1/stats").json()["open_datasets"] == 1
    make_dataset("published", title="缓存乙")
    assert client.get("/api/v1/datasets").json()["count"] == 2
    services.dataset_withdraw(actor=personas["reviewer"], dataset=ds, reason="停更")
    assert client.get("/api/v1/datasets").json()["count"] == 1
    assert client.get("/api/v1/stats").json()["open_datasets"] == 1


def test_facet_labels_follow_the_language(client, make_dataset):
    make_dataset("published")
    zh = client.get("/api/v1/datasets").json()["facets"]["domain"][0]["label"]
    en = client.get("/api/v1/datasets", HTTP_ACCEPT_LANGUAGE="en").json()["facets"]["domain"][0]["label"]
    assert (zh, en) == ("交通运输", "Transport")


@pytest.mark.parametrize(
    ("method", "url", "status"), [("get", "/api/v1/nope", 404), ("delete", "/api/v1/stats", 405)]
)
def test_framework_errors_keep_the_json_shape(client, method, url, status):
    r = getattr(client, method)(url)
    assert r.status_code == status and r.json()["error"]["code"] in ("not_found", "method_not_allowed")
