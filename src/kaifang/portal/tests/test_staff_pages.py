"""Staff pages: login required, 404 for the public, and the catalog workflow through the forms."""

from __future__ import annotations

import io
import json

import pytest

from kaifang.catalog.choices import State
from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Dataset, DuplicateFlag
from kaifang.tenancy.models import ResponsibilityItem

pytestmark = pytest.mark.django_db

STAFF_URLS = (
    "/staff/",
    "/staff/datasets/new/",
    "/staff/review/",
    "/staff/responsibilities/",
    "/staff/import/",
)


def form_post(**overrides):
    data = {
        "department": "11421200MB0000001X",
        "title": "公交线路站点信息",
        "abstract": "全市公交线路及站点位置。",
        "domain": "transport",
        "theme": "",
        "genre": "",
        "resource_category": "3",
        "format_category": "spreadsheet",
        "format_type": "xlsx",
        "update_frequency": "monthly",
        "share_type": "unconditional",
        "share_mode": "platform_api",
        "open_attribute": "unconditional",
        "field_name": ["线路编号", "站点名称", ""],
        "field_name_en": ["", "", ""],
        "field_data_type": ["C", "C", "C"],
        "field_length": ["16", "64", ""],
        "field_is_primary_key": ["1", "0", "0"],
        "field_sensitivity_grade": ["G1", "G1", "G1"],
        "field_open_attribute": ["", "", ""],
        "field_share_type": ["unconditional", "unconditional", "unconditional"],
        "field_value_range": ["", "", ""],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_pages_need_login_and_hide_from_public(client, login, personas, url):
    r = client.get(url)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    login(personas["citizen"])
    assert client.get(url).status_code == 404
    login(personas["reviewer"])
    assert client.get(url).status_code == 200


def test_dashboard_for_officer(login, personas, make_dataset):
    make_dataset(state="draft", title="草稿数据")
    body = login(personas["officer"]).get("/staff/").content.decode()
    assert "草稿数据" in body and "新登记" in body


def test_register_via_form(login, personas):
    client = login(personas["officer"])
    r = client.post("/staff/datasets/new/", form_post())
    assert r.status_code == 302
    ds = Dataset.objects.get(title="公交线路站点信息")
    assert ds.state == State.DRAFT
    assert [f.name for f in ds.fields.all()] == ["线路编号", "站点名称"]
    assert r["Location"] == f"/datasets/{slug_for_code(ds.code)}/"
    page = client.get(r["Location"]).content.decode()
    assert "提交审核" in page and "编辑" in page


def test_register_invalid_shows_chinese_errors_and_saves_nothing(login, personas):
    client = login(personas["officer"])
    r = client.post("/staff/datasets/new/", form_post(title="", open_attribute="conditional"))
    body = r.content.decode()
    assert r.status_code == 422
    assert "请填写信息资源名称。" in body
    assert "有条件开放的数据资源必须填写开放条件。" in body
    assert 'value="线路编号"' in body  # the rows the user typed come back
    assert not Dataset.objects.exists()


def test_register_for_someone_elses_department_is_refused(login, personas, departments):
    client = login(personas["officer"])
    r = client.post("/staff/datasets/new/", form_post(department=departments["education"].uscc))
    assert r.status_code == 422
    assert not Dataset.objects.exists()


def test_inline_validation_partial(login, personas):
    client = login(personas["officer"])
    r = client.post("/staff/datasets/validate/", form_post(abstract=""), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert "请填写信息资源摘要。" in body and "<html" not in body
    r = client.post("/staff/datasets/validate/", form_post(), HTTP_HX_REQUEST="true")
    assert "检查通过" in r.content.decode()


def test_edit_and_stale_lock_version_conflict(login, personas, make_dataset):
    ds = make_dataset(state="draft")
    slug = slug_for_code(ds.code)
    client = login(personas["officer"])
    page = client.get(f"/staff/datasets/{slug}/edit/").content.decode()
    assert f'name="lock_version" value="{ds.lock_version}"' in page
    ok = client.post(
        f"/staff/datasets/{slug}/edit/", form_post(title="改过的名称", lock_version=ds.lock_version)
    )
    assert ok.status_code == 302
    stale = client.post(
        f"/staff/datasets/{slug}/edit/", form_post(title="第二次修改", lock_version=ds.lock_version)
    )
    assert stale.status_code == 409
    assert "该记录已被他人修改，请刷新后重试。" in stale.content.decode()
    assert Dataset.objects.get(pk=ds.pk).title == "改过的名称"


def test_edit_forbidden_for_other_department(login, personas, make_dataset):
    ds = make_dataset(state="published")
    client = login(personas["other_officer"])
    assert client.get(f"/staff/datasets/{slug_for_code(ds.code)}/edit/").status_code == 403
    draft = make_dataset(state="draft")
    assert client.get(f"/staff/datasets/{slug_for_code(draft.code)}/edit/").status_code == 404


def test_submit_publish_flow(login, personas, make_dataset):
    ds = make_dataset(state="draft")
    slug = slug_for_code(ds.code)
    client = login(personas["officer"])
    r = client.post(f"/staff/datasets/{slug}/submit/", {"lock_version": ds.lock_version})
    assert r.status_code == 302
    assert Dataset.objects.get(pk=ds.pk).state == State.SUBMITTED
    # the officer cannot publish
    assert client.post(f"/staff/datasets/{slug}/publish/").status_code == 403
    client = login(personas["reviewer"])
    queue = client.get("/staff/review/").content.decode()
    assert ds.title in queue and "线路编号" in queue
    page = client.get(f"/datasets/{slug}/").content.decode()
    assert "审核通过并发布" in page
    r = client.post(f"/staff/datasets/{slug}/publish/", {"next": "review"})
    assert r.status_code == 302 and r["Location"] == "/staff/review/"
    assert Dataset.objects.get(pk=ds.pk).state == State.PUBLISHED
    assert ds.title in login(None).get("/datasets/").content.decode()


def test_return_needs_reason(login, personas, make_dataset):
    ds = make_dataset(state="submitted")
    slug = slug_for_code(ds.code)
    client = login(personas["reviewer"])
    r = client.post(f"/staff/datasets/{slug}/return/", {"reason": ""})
    assert r.status_code == 422
    assert "退回时必须说明理由。" in r.content.decode()
    r = client.post(f"/staff/datasets/{slug}/return/", {"reason": "摘要过于简略"})
    assert r.status_code == 302
    ds.refresh_from_db()
    assert ds.state == State.RETURNED and ds.return_reason == "摘要过于简略"
    page = login(personas["officer"]).get(f"/datasets/{slug}/").content.decode()
    assert "摘要过于简略" in page


def test_withdraw_and_reopen(login, personas, make_dataset):
    ds = make_dataset(state="published")
    slug = slug_for_code(ds.code)
    client = login(personas["officer"])
    assert client.post(f"/staff/datasets/{slug}/withdraw/", {"reason": "停止更新"}).status_code == 302
    assert client.post(f"/staff/datasets/{slug}/reopen/").status_code == 302
    assert Dataset.objects.get(pk=ds.pk).state == State.DRAFT
    assert client.post(f"/staff/datasets/{slug}/explode/").status_code == 404


def test_revision_diff_in_review_queue(login, personas, make_dataset):
    ds = make_dataset(state="published")
    slug = slug_for_code(ds.code)
    client = login(personas["officer"])
    post = form_post(
        title=ds.title,
        open_attribute="conditional",
        open_condition="需签订协议",
        lock_version=ds.lock_version,
        field_name=["线路编号", "站点名称", "新增字段"],
        field_data_type=["C", "C", "N"],
        field_length=["16", "64", ""],
    )
    assert client.post(f"/staff/datasets/{slug}/edit/", post).status_code == 302
    assert Dataset.objects.get(pk=ds.pk).state == State.REVISION_IN_REVIEW
    body = login(personas["reviewer"]).get("/staff/review/").content.decode()
    assert "变更内容" in body and "新增字段" in body and "conditional" in body


def test_duplicate_flag_settle(login, personas, make_dataset):
    a = make_dataset(state="published", title="学校名录", department="education", officer="other_officer")
    b = make_dataset(state="submitted", title="学校名录")
    flag = DuplicateFlag.objects.get(dataset=b)
    client = login(personas["reviewer"])
    body = client.get("/staff/review/").content.decode()
    assert "一数一源" in body
    r = client.post(f"/staff/duplicates/{flag.pk}/settle/", {"authoritative": a.code, "reason": ""})
    assert r.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "open"
    client.post(
        f"/staff/duplicates/{flag.pk}/settle/", {"authoritative": a.code, "reason": "教育局为权威来源"}
    )
    flag.refresh_from_db()
    assert flag.status == "settled" and flag.authoritative_id == a.pk
    assert login(personas["officer"]).post(f"/staff/duplicates/{flag.pk}/settle/").status_code == 404


def test_responsibilities(login, personas, departments):
    client = login(personas["reviewer"])
    r = client.post(
        "/staff/responsibilities/",
        {
            "department": departments["transport"].uscc,
            "title": "公交线路站点信息",
            "domain": "transport",
            "due_date": "2020-01-01",
        },
    )
    assert r.status_code == 302
    item = ResponsibilityItem.objects.get()
    body = client.get("/staff/responsibilities/?overdue=1").content.decode()
    assert "公交线路站点信息" in body
    bad = client.post(
        "/staff/responsibilities/",
        {"department": departments["transport"].uscc, "title": "", "domain": "transport", "due_date": "x"},
    )
    assert bad.status_code == 422 and "请填写数据资源名称。" in bad.content.decode()
    client.post(f"/staff/responsibilities/{item.pk}/delete/", {"reason": ""})
    assert ResponsibilityItem.objects.filter(pk=item.pk).exists()
    client.post(f"/staff/responsibilities/{item.pk}/delete/", {"reason": "职责调整"})
    assert not ResponsibilityItem.objects.filter(pk=item.pk).exists()
    # an officer sees the list but has no create form
    body = login(personas["officer"]).get("/staff/responsibilities/").content.decode()
    assert "添加清单条目" not in body


def _upload(name, content):
    f = io.BytesIO(content)
    f.name = name
    return f


def test_import_bad_file_shows_report_and_saves_nothing(login, personas, departments):
    rows = [
        {
            "信息资源名称": "好的条目",
            "信息资源摘要": "摘要",
            "信息资源提供方": departments["transport"].uscc,
            "数据领域": "transport",
            "格式类型": "xlsx",
            "共享类型": "无条件共享",
            "更新周期": "每月",
            "开放属性": "无条件开放",
            "信息项": "线路编号:C；站点名称:C",
        },
        {
            "信息资源名称": "",
            "信息资源摘要": "摘要",
            "信息资源提供方": departments["transport"].uscc,
            "数据领域": "transport",
            "格式类型": "xlsx",
            "共享类型": "无条件共享",
            "更新周期": "每月",
            "信息项": "线路编号:C",
        },
    ]
    client = login(personas["officer"])
    r = client.post(
        "/staff/import/", {"file": _upload("cat.json", json.dumps(rows, ensure_ascii=False).encode())}
    )
    body = r.content.decode()
    assert r.status_code == 422
    assert "所有条目均未保存" in body
    assert "请填写信息资源名称。" in body
    assert 'class="grid import-report"' in body
    assert not Dataset.objects.exists()
    r = client.post("/staff/import/", {"file": _upload("cat.txt", b"hello")})
    assert r.status_code == 422 and "只支持 JSON、CSV 或 XLSX 格式的导入文件。" in r.content.decode()
    rows.pop()
    r = client.post(
        "/staff/import/", {"file": _upload("cat.json", json.dumps(rows, ensure_ascii=False).encode())}
    )
    assert r.status_code == 200 and "好的条目" in r.content.decode()
    assert Dataset.objects.count() == 1
