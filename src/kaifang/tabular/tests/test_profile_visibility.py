"""Column statistics are data: each persona reads the profile (API version detail, data panel table and
charts, the map's initial extent) of the columns and rows it may read, and nothing of conditional data it
may not read."""

from __future__ import annotations

import datetime

import pytest

from kaifang.catalog.codes import slug_for_code

pytestmark = pytest.mark.django_db

FIELDS = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True, "sensitivity_grade": "G3"},
    {"name": "区县", "data_type": "C", "length": 16, "sensitivity_grade": "G3"},
    {"name": "企业名称", "data_type": "C", "length": 64, "sensitivity_grade": "G3"},
    {"name": "纳税额", "data_type": "N", "length": 12, "sensitivity_grade": "G3"},
    {"name": "经度", "data_type": "N", "length": 12, "sensitivity_grade": "G3"},
    {"name": "纬度", "data_type": "N", "length": 12, "sensitivity_grade": "G3"},
]
CSV = (
    "编号,区县,企业名称,纳税额,经度,纬度\n"
    "A1,咸安区,咸宁甲公司,100,114.31,29.81\n"
    "A2,咸安区,咸宁乙公司,200,114.32,29.82\n"
    "A3,嘉鱼县,嘉鱼丙公司,900,113.91,29.97\n"
    "A4,嘉鱼县,嘉鱼丁公司,1000,113.92,29.98\n"
    "A5,嘉鱼县,嘉鱼戊公司,1000,113.93,29.99\n"
)
SECRET = ["嘉鱼县", "1000", "咸宁甲公司", "113.9"]  # outside the grant's columns or rows
GRANTED = ["区县", "纳税额", "经度", "纬度"]


@pytest.fixture
def conditional(make_table, make_grant):
    ds = make_table(CSV, FIELDS, title="纳税企业", open_attribute="conditional", open_condition="签协议")
    make_grant(ds, fields=GRANTED, row_filter="区县__eq=咸安区")
    return ds


def _detail(client, ds):
    r = client.get(f"/api/v1/datasets/{slug_for_code(ds.code)}/versions/1")
    assert r.status_code == 200, r.content
    return r.json()


def _panel(client, ds) -> str:
    r = client.get(f"/tabular/datasets/{slug_for_code(ds.code)}/data-panel/")
    assert r.status_code == 200
    html = r.content.decode()
    # The statistics parts of the panel: the chart cards and the 字段概况 table (the preview table is rows,
    # which have their own tests).
    parts = []
    if "profile-charts" in html:
        start = html.index('<div class="profile-charts">')
        parts.append(html[start : html.index("</figure>\n    </div>", start)])
    if "字段概况" in html:
        start = html.index("字段概况")
        parts.append(html[start : html.index("</details>", start)])
    return "\n".join(parts)


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "other_officer"])
def test_no_statistics_of_conditional_data_without_a_grant(conditional, client, login, personas, persona):
    login(personas[persona])
    body = _detail(client, conditional)
    assert body["profile"] == {} and body["profile_scope"] == "none"
    assert body["row_count"] == 5  # the size of a catalogued table is metadata
    assert _panel(client, conditional) == ""
    # Nothing quoted anywhere in the answer: no top value, minimum or maximum.
    text = str(body)
    assert not [s for s in SECRET + ["咸安区", "100"] if s in text.replace("'row_count': 5", "")]


def test_a_grantee_reads_statistics_of_its_columns_and_rows_only(conditional, client, login, personas):
    login(personas["enterprise"])
    body = _detail(client, conditional)
    assert body["profile_scope"] == "grant" and body["profile_rows"] == 2
    profile = body["profile"]
    assert set(profile) == set(GRANTED)
    assert profile["纳税额"]["min"] in ("100", "100.0") and profile["纳税额"]["max"] in ("200", "200.0")
    assert profile["区县"]["top"] == [["咸安区", 2]]
    assert sum(n for _lo, _hi, n in profile["纳税额"]["histogram"]) == 2
    assert not [s for s in SECRET if s in str(profile)]
    panel = _panel(client, conditional)
    assert "咸安区" in panel and not [s for s in SECRET if s in panel]
    assert "企业名称" not in panel and "编号" not in panel
    page = client.get(f"/tabular/datasets/{slug_for_code(conditional.code)}/data-panel/").content.decode()
    assert "只按您获授权的信息项和数据行计算" in page
    # The map's first view is the granted rows' extent, not the table's.
    west, south, east, north = client.get(f"/api/v1/datasets/{slug_for_code(conditional.code)}/map").json()[
        "data_bounds"
    ]
    assert west >= 114.3 and north <= 29.83


def test_a_grant_without_a_row_scope_reads_its_columns_over_all_rows(
    make_table, make_grant, client, login, personas
):
    ds = make_table(CSV, FIELDS, title="纳税企业二", open_attribute="conditional", open_condition="签协议")
    make_grant(ds, fields=["区县", "纳税额"])
    login(personas["enterprise"])
    body = _detail(client, ds)
    assert body["profile_scope"] == "grant" and set(body["profile"]) == {"区县", "纳税额"}
    assert body["profile"]["纳税额"]["max"] in ("1000", "1000.0")


def test_an_expired_grant_reads_no_statistics(conditional, client, login, personas):
    from kaifang.access.models import AccessGrant

    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    AccessGrant.objects.filter(dataset=conditional).update(
        valid_from=yesterday - datetime.timedelta(days=30), valid_until=yesterday
    )
    login(personas["enterprise"])
    assert _detail(client, conditional)["profile"] == {}


@pytest.mark.parametrize("persona", ["officer", "reviewer", "auditor"])
def test_the_staff_responsible_read_every_statistic(conditional, client, login, personas, persona):
    login(personas[persona])
    body = _detail(client, conditional)
    assert body["profile_scope"] == "full"
    assert set(body["profile"]) == {f["name"] for f in FIELDS}
    assert body["profile"]["纳税额"]["max"] in ("1000", "1000.0")
    panel = _panel(client, conditional)
    assert "嘉鱼县" in panel and "企业名称" in panel


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "enterprise", "other_officer", "officer"])
def test_open_data_statistics_leave_out_closed_fields(make_table, client, login, personas, persona):
    fields = [dict(f, sensitivity_grade="G1") for f in FIELDS] + [
        {
            "name": "法人身份证号",
            "data_type": "C",
            "length": 18,
            "sensitivity_grade": "G4",
            "share_type": "conditional",
            "open_attribute": "closed",
        }
    ]
    csv = CSV.replace("纬度\n", "纬度,法人身份证号\n").replace("\n", ",\n")
    csv = csv.replace("纬度,法人身份证号,\n", "纬度,法人身份证号\n")
    ds = make_table(csv, fields, title="公开企业")
    login(personas[persona])
    body = _detail(client, ds)
    expected = {f["name"] for f in FIELDS}
    if persona == "officer":
        assert body["profile_scope"] == "full"
    else:
        assert body["profile_scope"] == "open"
    assert expected <= set(body["profile"]) and "法人身份证号" not in body["profile"]
    assert "法人身份证号" not in _panel(client, ds) or persona == "officer"


def test_versions_list_carries_no_statistics(conditional, client, login, personas):
    for persona in ("anonymous", "enterprise"):
        login(personas[persona])
        listed = client.get(f"/api/v1/datasets/{slug_for_code(conditional.code)}/versions").json()
        assert listed and all("profile" not in v for v in listed)
        assert not [s for s in SECRET if s in str(listed)]


def test_version_diff_counts_only_the_granted_rows(conditional, client, login, personas, tmp_path):
    from kaifang.tabular.services import table_ingest, table_version_publish

    changed = CSV.replace("A3,嘉鱼县,嘉鱼丙公司,900", "A3,嘉鱼县,嘉鱼丙公司,950") + "A6,嘉鱼县,嘉鱼己公司,5,113.94,29.96\n"
    path = tmp_path / "v2.csv"
    path.write_text(changed, encoding="utf-8")
    v2 = table_ingest(actor=personas["officer"], dataset=conditional, path=path, filename="v2.csv")
    table_version_publish(actor=personas["reviewer"], version=v2)
    url = f"/api/v1/datasets/{slug_for_code(conditional.code)}/versions/2/diff"
    staff = login(personas["officer"]).get(url).json()
    assert (staff["rows_added"], staff["rows_removed"], staff["rows_changed"]) == (1, 0, 1)
    grantee = login(personas["enterprise"]).get(url).json()
    assert (grantee["rows_added"], grantee["rows_removed"], grantee["rows_changed"]) == (0, 0, 0)
    anonymous = login(None).get(url)
    assert anonymous.status_code != 200 or anonymous.json()["rows_added"] is None
