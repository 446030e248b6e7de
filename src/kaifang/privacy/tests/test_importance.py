"""重要/核心 data: the GB/T 43697 附录G factors raise the suggested level, with the evidence as the reason."""

from types import SimpleNamespace

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.privacy import grading, importance
from kaifang.privacy.recognizers import scan_table
from kaifang.privacy.tests.factories import make_id

pytestmark = pytest.mark.urls("kaifang.privacy.tests.urls")


def graded(title="", abstract="", tags=(), columns=None, rows=None):
    columns = columns or {"名称": ["甲", "乙"], "数量": [1, 2]}
    report = scan_table(columns)
    if rows is not None:
        report.row_count = rows
    dataset = SimpleNamespace(title=title, abstract=abstract, tags=list(tags))
    return grading.grade_table(report, dataset)


def test_a_dam_safety_table_with_coordinates_is_important():
    report = graded(
        title="水库大坝安全监测点",
        columns={
            "监测点": ["南川水库1号", "南川水库2号"],
            "经度": [114.3221, 114.3301],
            "纬度": [29.8412, 29.8420],
        },
    )
    assert report.grade == "IMPORTANT" and report.open_attribute == "closed"
    assert any("附录G G-4" in r and "水库大坝" in r for r in report.reasons)


def test_the_same_words_without_the_places_are_not_raised():
    """A list of dam names is not the dams' locations (G-4 needs coordinates)."""
    report = graded(
        title="水库大坝安全管理责任人名单", columns={"水库": ["南川水库"], "责任单位": ["水利局"]}
    )
    assert report.grade == "G1"
    assert not any("附录G" in r for r in report.reasons)


def test_military_facilities_suggest_core_data():
    report = graded(title="市区设施清单", abstract="含军事设施周边的保护范围")
    assert report.grade == "CORE"
    assert any("核心数据" in r and "G-1" in r and "军事设施" in r for r in report.reasons)


def test_factors_are_found_in_field_names_and_tags():
    assert graded(columns={"储备粮库存吨数": [1, 2]}).grade == "IMPORTANT"
    assert graded(title="库存表", tags=["战略物资"]).grade == "IMPORTANT"


def test_scale_of_sensitive_personal_information():
    ids = {"身份证号": [make_id(seq=i) for i in range(20)]}
    small = graded(title="核酸检测登记", columns=ids, rows=999_999)
    assert small.grade == "G4"
    large = graded(title="核酸检测登记", columns=ids, rows=1_000_000)
    assert large.grade == "IMPORTANT"
    assert any("G-10" in r and "1000000" in r for r in large.reasons)


def test_ordinary_open_data_stays_general():
    report = graded(title="公交站点", columns={"站点": ["温泉路口"], "经度": [114.32], "纬度": [29.84]})
    assert report.grade == "G1"


def test_every_factor_has_a_level_of_important_or_core():
    assert {f.level for f in importance.FACTORS} <= {"IMPORTANT", "CORE"}
    assert len({f.code for f in importance.FACTORS}) == len(importance.FACTORS)


def test_the_review_page_shows_the_factor_and_the_suggestion(
    make_dataset, personas, login, settings, tmp_path
):
    from kaifang.tabular import services as tabular

    settings.KAIFANG_HOME = tmp_path / "home"
    settings.KAIFANG_HOME.mkdir()
    fields = [
        {"name": "名称", "data_type": "C", "length": 32},
        {"name": "经度", "data_type": "N", "length": 12},
        {"name": "纬度", "data_type": "N", "length": 12},
    ]
    ds = make_dataset("draft", fields=fields, title="变电站分布")
    path = tmp_path / "in.csv"
    path.write_text(
        "名称,经度,纬度\n温泉变,114.32211,29.84122\n贺胜变,114.35012,29.97031\n", encoding="utf-8"
    )
    tabular.table_ingest(actor=personas["officer"], dataset=ds, path=path, filename="in.csv")
    client = login(personas["officer"])
    base = f"/privacy/datasets/{slug_for_code(ds.code)}/"
    data = client.get(base + "?format=json").json()
    assert data["suggestion"]["grade"] == "IMPORTANT"
    assert data["suggestion"]["open_attribute"] == "closed"
    html = client.get(base).content.decode()
    assert "可能构成重要数据" in html and "变电站" in html
