"""The public sample (样本数据集) of a conditionally open dataset: fixed, gated, open to anyone."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.core.audit import AuditEvent
from kaifang.tabular.models import TableSample

from .conftest import FIELDS

CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "需申请",
    "share_type": "conditional",
    "share_condition": "需申请",
}


def rows_csv(n: int) -> str:
    from kaifang.privacy.tests.factories import make_id

    lines = ["编号,名称,数量,日期,类别,经度,纬度,身份证号"]
    for i in range(n):
        lines.append(f"A{i:04d},站点{i},{i},2024-01-02,甲,114.3,29.8,{make_id(seq=i % 1000)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def conditional(make_table):
    return make_table(rows_csv(300), FIELDS, title="有条件的站点", **CONDITIONAL)


def api(ds, tail: str = "") -> str:
    return f"/api/v1/datasets/{slug_for_code(ds.code)}/sample{tail}"


def test_anonymous_previews_and_downloads_the_sample_but_not_the_data(conditional, client, personas):
    from kaifang.tabular.services import table_sample_publish

    sample = table_sample_publish(actor=personas["officer"], dataset=conditional, rows=50)
    assert sample.row_count == 50 and "身份证号" not in sample.column_names  # a 不予开放 field stays out
    slug = slug_for_code(conditional.code)
    assert client.get(f"/api/v1/datasets/{slug}/data").status_code == 403
    assert client.get(f"/api/v1/datasets/{slug}/download?format=csv").status_code == 403
    body = client.get(api(conditional)).json()
    assert body["row_count"] == 50 and [r["编号"] for r in body["rows"][:2]] == ["A0000", "A0001"]
    r = client.get(api(conditional, "/download?format=csv"))
    data = b"".join(r.streaming_content)
    assert r.status_code == 200 and r["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0][:3] == ["编号", "名称", "数量"] and len(rows) == 51 and "身份证号" not in rows[0]
    html = client.get(f"/tabular/datasets/{slug}/data-panel/").content.decode()
    assert "样本数据集" in html and "A0000" in html and "sample/download?format=csv" in html
    assert "421202" not in html and "生成样本数据集" not in html  # no button for the public


def test_sample_is_fixed_until_regenerated(conditional, client, personas, make_table):
    from kaifang.tabular.services import table_sample_publish

    first = table_sample_publish(actor=personas["officer"], dataset=conditional, rows=20)
    one = client.get(api(conditional, "/download?format=csv"))
    two = client.get(api(conditional, "/download?format=csv"))
    assert b"".join(one.streaming_content) == b"".join(two.streaming_content)
    # Made again from the same version: the same rows, the same bytes.
    again = table_sample_publish(actor=personas["reviewer"], dataset=conditional, rows=20)
    assert again.content_hash == first.content_hash and TableSample.objects.count() == 1
    assert AuditEvent.objects.filter(action="table.sample_publish").count() == 2


def test_sample_with_identifiers_is_refused(make_table, personas, client):
    from kaifang.catalog.models import Field
    from kaifang.core.errors import ValidationFailed
    from kaifang.tabular.services import table_sample_publish

    ds = make_table(rows_csv(40), FIELDS, title="身份证号", **CONDITIONAL)
    # The ID number field is re-marked as open after publication: the catalog's marking wins, so the
    # extract now holds it, and the gate must refuse it.
    Field.objects.filter(dataset=ds, name="身份证号").update(open_attribute="unconditional")
    with pytest.raises(ValidationFailed) as exc:
        table_sample_publish(actor=personas["officer"], dataset=ds, rows=40)
    assert exc.value.code == "privacy_gate"
    assert "身份证号" in str(exc.value.message) and "身份证" in str(exc.value.details)
    assert not TableSample.objects.filter(dataset=ds).exists()
    assert AuditEvent.objects.filter(action="table.sample_refused").count() == 1
    assert client.get(api(ds)).status_code == 404


def test_who_may_make_the_sample(conditional, make_table, login, personas, client):
    url = api(conditional)
    assert client.post(url, content_type="application/json").status_code == 401
    assert login(personas["citizen"]).post(url).status_code == 403
    assert login(personas["other_officer"]).post(url).status_code == 403
    assert client.post("/api/v1/datasets/nope/sample").status_code == 404
    assert login(personas["officer"]).post(url + "?rows=5000").status_code == 422
    r = login(personas["officer"]).post(url + "?rows=10")
    assert r.status_code == 200 and r.json()["row_count"] == 10
    open_ds = make_table(rows_csv(5), FIELDS)
    r = login(personas["officer"]).post(api(open_ds))
    assert r.status_code == 409
    assert "有条件开放" in r.json()["error"]["message"]


def test_staff_make_the_sample_on_the_page(conditional, login, personas):
    slug = slug_for_code(conditional.code)
    url = f"/tabular/datasets/{slug}/sample/"
    assert login(None).post(url).status_code == 302  # to the login page
    assert login(personas["citizen"]).post(url).status_code == 404
    assert login(personas["other_officer"]).post(url).status_code == 302  # refused, with a message
    assert login(personas["officer"]).post("/tabular/datasets/nope/sample/").status_code == 404
    assert not TableSample.objects.exists()
    officer = login(personas["officer"])
    html = officer.get(f"/tabular/datasets/{slug}/data-panel/").content.decode()
    assert "生成样本数据集" in html and "尚未生成样本数据集" in html
    r = officer.post(f"/tabular/datasets/{slug}/sample/", {"rows": "30"})
    assert r.status_code == 302 and TableSample.objects.get().row_count == 30
    html = officer.get(f"/tabular/datasets/{slug}/data-panel/").content.decode()
    assert "重新生成样本数据集" in html


def test_missing_sample_answers_404(conditional, client):
    assert client.get(api(conditional)).status_code == 404
    assert client.get(api(conditional, "/download")).status_code == 404
    assert client.get("/api/v1/datasets/nope/sample").status_code == 404


def test_sample_goes_with_its_destroyed_version(conditional, client, personas):
    from kaifang.privacy.services import version_destroy
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.services import table_sample_publish

    table_sample_publish(actor=personas["officer"], dataset=conditional, rows=10)
    assert client.get(api(conditional)).status_code == 200
    version_destroy(
        actor=personas["officer"], version=TableVersion.objects.get(dataset=conditional), reason="依令销毁"
    )
    assert client.get(api(conditional)).status_code == 404
    assert client.get(api(conditional, "/download")).status_code == 404
