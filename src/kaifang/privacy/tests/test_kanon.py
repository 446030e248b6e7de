import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from kaifang.privacy.kanon import k_anonymity


def crafted(n_per_group=5, groups=4, singleton=True):
    rows = {"性别": [], "区县": [], "出生日期": [], "诊断": []}
    for g in range(groups):
        for i in range(n_per_group):
            rows["性别"].append("男" if g % 2 else "女")
            rows["区县"].append("咸安区" if g < 2 else "嘉鱼县")
            rows["出生日期"].append(dt.date(1980 + g, 1 + i % 12, 1 + i))
            rows["诊断"].append(["感冒", "高血压", "糖尿病"][i % 3])
    if singleton:
        rows["性别"].append("女")
        rows["区县"].append("通山县")
        rows["出生日期"].append(dt.date(1950, 5, 5))
        rows["诊断"].append("肺炎")
    return rows


def test_k_anonymity_satisfied():
    r = k_anonymity(crafted(singleton=False), ["性别", "区县"], k=5)
    assert r.ok and r.k == 5 and r.groups == 4 and r.offending_groups == 0 and r.reasons() == []


def test_k_anonymity_counts_offending_groups_and_rows():
    r = k_anonymity(crafted(), ["性别", "区县"], k=5)
    assert not r.ok
    assert (r.k, r.offending_groups, r.offending_rows, r.rows) == (1, 1, 1, 21)
    assert "1个组" in r.reasons()[0]
    # The singleton can only be fixed by dropping 区县 or suppressing its row.
    texts = [s["text"] for s in r.suggestions]
    assert any("区县" in t and "删除该列" in t for t in texts)
    assert "抑制不达标的1条记录" in texts[-1]


def test_generalization_suggested_first():
    rows = crafted(singleton=False)
    r = k_anonymity(rows, ["性别", "出生日期"], k=5)
    assert not r.ok and r.k == 1
    first = r.suggestions[0]
    assert first["column"] == "出生日期" and first["rule"]["action"] == "generalize_date"
    assert first["rule"]["to"] == "year" and first["k"] >= 5


def test_l_diversity():
    rows = crafted(singleton=False)
    r = k_anonymity(rows, ["性别", "区县"], k=5, sensitive="诊断", l_threshold=3)
    assert r.ok and r.l == 3
    r = k_anonymity(rows, ["性别", "区县"], k=5, sensitive="诊断", l_threshold=4)
    assert not r.ok and r.l_offending_groups == 4 and "l-多样性" in r.reasons()[0]


def test_over_a_parquet_file_and_an_arrow_table(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table(crafted()), path)
    assert k_anonymity(path, ["性别", "区县"]).k == 1
    assert k_anonymity(pa.table(crafted()), ["性别", "区县"]).k == 1


def test_missing_quasi_identifier_fails_with_a_reason():
    r = k_anonymity(crafted(), ["性别", "不存在"])
    assert not r.ok and "不存在" in r.reasons()[0]


def test_empty_table_is_trivially_anonymous():
    r = k_anonymity({"性别": [], "区县": []}, ["性别", "区县"])
    assert r.ok and r.rows == 0
