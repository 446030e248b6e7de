import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kaifang.privacy import masking as m
from kaifang.privacy.masking import PublicationProfile, validate_profile
from kaifang.privacy.recognizers import scan_text
from kaifang.privacy.tests.factories import make_card, make_id

ID = make_id()
KEY = b"k" * 32


# --- masking -------------------------------------------------------------------------------------------------


def test_usual_chinese_masking_forms():
    assert m.mask_id_card(ID) == "421202********1238"
    assert m.mask_id_card("11010519491231002x") == "110105********002X"
    assert m.mask_mobile("13812345678") == "138****5678"
    assert m.mask_mobile("+86 138-1234-5678") == "138****5678"
    card = make_card("622202", 19)
    assert m.mask_bank_card(card) == card[:6] + "*********" + card[-4:]
    assert m.mask_name("张三") == "张*"
    assert m.mask_name("王小明") == "王**"
    assert m.mask_name("欧阳娜娜") == "欧阳**"
    assert m.mask_email("zhang.san@example.cn") == "z***@example.cn"
    assert m.mask_id_card(None) is None


def test_masked_values_are_no_longer_recognized():
    for masked in (m.mask_id_card(ID), m.mask_mobile("13812345678"), m.mask_bank_card(make_card())):
        assert scan_text(masked) == []


def test_short_values_are_masked_entirely():
    assert m.keep_ends("12345", 6, 4) == "*****"


# --- pseudonymization ----------------------------------------------------------------------------------------


def test_pseudonyms_are_consistent_within_a_dataset_and_differ_across():
    a, b = m.pseudonymize(ID, KEY), m.pseudonymize(ID, KEY)
    assert a == b and len(a) == m.PSEUDONYM_LENGTH and a.isalpha()
    assert m.pseudonymize(ID, b"other-key" * 4) != a
    assert m.pseudonymize(make_id(seq=124), KEY) != a
    assert scan_text(a) == []
    assert ID not in a


def test_dataset_key_is_per_dataset(settings):
    settings.SECRET_KEY = "s" * 50
    assert m.dataset_key(1) != m.dataset_key(2)
    assert m.dataset_key(1) == m.dataset_key(1)


# --- generalization ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1990-01-02", "1990/1/2", "1990年1月2日", "19900102", dt.date(1990, 1, 2)])
def test_generalize_date(value):
    assert m.generalize_date(value, "month") == "1990-01"
    assert m.generalize_date(value, "year") == "1990"


def test_unparseable_date_is_suppressed_not_passed_through():
    assert m.generalize_date("不详", "year") is None


def test_age_bands():
    assert m.age_band(23) == "20-29"
    assert m.age_band("7", width=5) == "5-9"
    assert m.age_band(95) == "90+"
    assert m.age_band("abc") is None


@pytest.mark.parametrize(
    "address,district,township",
    [
        (
            "湖北省咸宁市咸安区温泉街道金桂路12号3栋2单元301室",
            "湖北省咸宁市咸安区",
            "湖北省咸宁市咸安区温泉街道",
        ),
        ("咸宁市嘉鱼县鱼岳镇某某村3组", "咸宁市嘉鱼县", "咸宁市嘉鱼县鱼岳镇"),
        ("北京市东城区东华门街道某胡同1号", "北京市东城区", "北京市东城区东华门街道"),
    ],
)
def test_generalize_address(address, district, township):
    assert m.generalize_address(address, "district") == district
    assert m.generalize_address(address, "township") == township


def test_address_without_an_area_is_suppressed():
    assert m.generalize_address("12栋301室", "district") is None


def test_coordinate_grid():
    a = m.coordinate_grid(29.84121, 1000, "lat")
    b = m.coordinate_grid(29.84125, 1000, "lat")
    assert a == b
    assert abs(a - 29.84121) < 1000 / 111_320
    lng = m.coordinate_grid(114.32151, 1000, "lng")
    assert abs(lng - 114.32151) < 1000 / (111_320 * 0.86)
    assert m.coordinate_grid("x", 1000) is None


# --- suppression and noise -----------------------------------------------------------------------------------


def test_column_and_row_suppression():
    profile = PublicationProfile(
        fields={"备注": {"action": "suppress"}},
        quasi_identifiers=["区县"],
        k=2,
        suppress_rows_below_k=True,
    )
    out = m.apply_profile({"区县": ["咸安", "咸安", "嘉鱼"], "备注": ["a", "b", "c"]}, profile, key=KEY)
    assert out == {"区县": ["咸安", "咸安"]}


def test_noise_is_deterministic_per_row_and_bounded_on_average():
    values = [m.add_noise(100, 5.0, KEY, f"收入|{i}") for i in range(2000)]
    assert values[0] == m.add_noise(100, 5.0, KEY, "收入|0")
    assert len(set(values)) > 1900
    assert abs(sum(values) / len(values) - 100) < 1.0


# --- profiles ------------------------------------------------------------------------------------------------


def test_profile_round_trip_and_validation():
    data = {
        "fields": {
            "身份证号": {"action": "mask", "kind": "id_card"},
            "出生日期": {"action": "generalize_date", "to": "year"},
            "纬度": {"action": "coordinate_grid", "axis": "lat", "metres": 500},
        },
        "quasi_identifiers": ["出生日期"],
        "k": 5,
    }
    assert validate_profile(data) == {}
    assert PublicationProfile.from_json(data).to_json()["fields"] == data["fields"]
    bad = validate_profile(
        {
            "fields": {
                "a": {"action": "explode"},
                "b": {"action": "coordinate_grid", "axis": "lat", "metres": 1},
            },
            "k": 1,
            "l_diversity": 2,
        }
    )
    assert set(bad) == {"fields.a", "fields.b", "k", "sensitive_attribute"}
    assert validate_profile([]) == {"rules": "脱敏规则必须是对象。"}


# --- the same rules in DuckDB SQL ----------------------------------------------------------------------------


def test_sql_rules_match_the_python_rules(tmp_path):
    from kaifang.tabular.engine import TableEngine

    rows = {
        "身份证号": [ID, None, "11010519491231002X"],
        "手机": ["13812345678", "13912345678", None],
        "出生日期": ["1990-01-02", "1985/12/31", None],
        "年龄": [23, 95, None],
        "纬度": [29.84121, 29.85, None],
        "备注": ["x", "y", "z"],
        "姓名": ["张三", "欧阳娜娜", "欧阳"],
        "邮箱": ["zhang.san@example.cn", "a@b@c.cn", "x"],
    }
    profile = PublicationProfile(
        fields={
            "身份证号": {"action": "mask", "kind": "id_card"},
            "手机": {"action": "pseudonymize"},
            "出生日期": {"action": "generalize_date", "to": "month"},
            "年龄": {"action": "age_band", "width": 10},
            "纬度": {"action": "coordinate_grid", "axis": "lat", "metres": 1000},
            "备注": {"action": "suppress"},
            "姓名": {"action": "mask", "kind": "name"},
            "邮箱": {"action": "mask", "kind": "email"},
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table(rows), path)
    sql = m.profile_select_sql(profile, list(rows), key=KEY)
    result = TableEngine().query(sql, tables={"t": path})
    via_sql = {c: [r[i] for r in result.rows] for i, c in enumerate(result.columns)}
    via_python = m.apply_profile(rows, profile, key=KEY)
    assert via_sql == via_python
    assert "备注" not in via_sql


def test_rules_without_sql_form_say_so():
    with pytest.raises(m.NotExpressibleInSQL):
        m.profile_select_sql(
            PublicationProfile(fields={"x": {"action": "noise", "scale": 1}}), ["x"], key=KEY
        )
