"""Full-text search inside a table's text columns uses the catalog search's segmentation and synonyms."""

import pytest

from kaifang.catalog.codes import slug_for_code

pytestmark = pytest.mark.django_db
CSV = "编号,名称,地址\nA1,咸安区人民医院,咸安区永安大道\nA2,嘉鱼县妇幼保健院,嘉鱼县鱼岳镇\nA3,咸安区第一医疗机构服务站,咸安区温泉路\n"


def test_row_search_segments_and_expands_synonyms(client, make_table):
    fields = [
        {"name": "编号", "data_type": "C", "is_primary_key": True},
        {"name": "名称", "data_type": "C"},
        {"name": "地址", "data_type": "C"},
    ]
    ds = make_table(CSV, fields, title="医疗机构名录")
    url = f"/api/v1/datasets/{slug_for_code(ds.code)}/data"
    names = lambda q: sorted(r["名称"] for r in client.get(url, {"q": q}).json()["rows"])  # noqa: E731
    assert names("咸安区医院") == sorted(
        ["咸安区第一医疗机构服务站", "咸安区人民医院"]
    )  # 医院 also finds 医疗机构
    assert names("嘉鱼") == ["嘉鱼县妇幼保健院"]
    assert names("100%_\\") == []  # LIKE metacharacters are escaped, not interpreted
