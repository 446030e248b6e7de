import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from kaifang.privacy import kinds as K
from kaifang.privacy.gate import check_publishable, prepare_open_version
from kaifang.privacy.masking import PublicationProfile, mask_id_card, mask_mobile
from kaifang.privacy.tests.factories import make_card, make_id, make_uscc
from kaifang.privacy.tests.test_recognizers import FULL_WIDTH, ids

KEY = b"k" * 32
ID = make_id()


def complaints(n=5000):
    return {
        "工单号": [f"GD{i:08d}" for i in range(n)],
        "区县": ["咸安区", "嘉鱼县", "通城县", "崇阳县", "通山县"] * (n // 5),
        "内容": ["市民反映小区路灯不亮，已派单处理，预计三日内修复。"] * n,
    }


def test_clean_table_passes():
    d = check_publishable(complaints())
    assert d.allowed, d.reasons
    assert d.stats["rows"] == 5000


def test_one_id_in_one_row_of_a_free_text_column_is_refused():
    rows = complaints()
    rows["内容"][3721] = f"来电人称身份证{ID[:6]} {ID[6:14]} {ID[14:]}被他人冒用。"
    d = check_publishable(rows)
    assert not d.allowed
    assert len(d.evidence) == 1
    ev = d.evidence[0]
    assert (ev["column"], ev["row"], ev["kind"]) == ("内容", 3722, K.ID_CARD)
    # Where and what, never a fragment of the value (its region code and last digits name a person).
    assert "evidence" not in ev
    assert "内容" in d.reasons[0] and "居民身份证号" in d.reasons[0] and "第3722行" in d.reasons[0]
    assert ID not in str(d.as_dict()) and "421202" not in str(d.as_dict()) and "1238" not in str(d.as_dict())


def test_one_full_width_mobile_in_the_last_row_of_a_parquet_file(tmp_path):
    rows = complaints()
    rows["内容"][-1] = "请回电１３８１２３４５６７８"
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table(rows), path)
    d = check_publishable(path)
    assert not d.allowed and d.evidence[0]["row"] == 5000 and d.evidence[0]["kind"] == K.MOBILE


def test_identifiers_stored_as_integers_are_found():
    d = check_publishable({"手机": pa.array([13812345678, None], pa.int64()), "n": [1, 2]})
    assert not d.allowed and d.evidence[0]["kind"] == K.MOBILE


def test_identifier_in_a_column_name_is_refused():
    d = check_publishable({ID: ["a"]})
    assert not d.allowed and d.evidence[0]["row"] == 0


def person_table():
    n = 40
    return {
        "姓名": ["张三", "李四", "王小明", "赵敏"] * (n // 4),
        "身份证号": [make_id(seq=i) for i in range(n)],
        "手机": [f"1381234{i:04d}" for i in range(n)],
        "银行卡": [make_card("622202", 19, i) for i in range(n)],
        "出生日期": ["1990-01-02", "1991-03-04"] * (n // 2),
        "住址": ["湖北省咸宁市咸安区温泉街道金桂路12号3栋2单元301室"] * n,
        "性别": ["男", "女"] * (n // 2),
        "诊断": ["感冒", "高血压", "糖尿病", "肺炎"] * (n // 4),
    }


PROFILE = PublicationProfile(
    fields={
        "姓名": {"action": "mask", "kind": "name"},
        "身份证号": {"action": "pseudonymize"},
        "手机": {"action": "mask", "kind": "mobile"},
        "银行卡": {"action": "suppress"},
        "出生日期": {"action": "generalize_date", "to": "year"},
        "住址": {"action": "generalize_address", "level": "district"},
    },
    quasi_identifiers=["出生日期", "性别", "住址"],
    sensitive_attribute="诊断",
    k=5,
    l_diversity=2,
)


def test_raw_person_table_is_refused_for_every_identifier():
    d = check_publishable(person_table())
    assert not d.allowed
    found = {(e["column"], e["kind"]) for e in d.evidence}
    for pair in [
        ("姓名", K.NAME),
        ("身份证号", K.ID_CARD),
        ("手机", K.MOBILE),
        ("银行卡", K.BANK_CARD),
        ("住址", K.ADDRESS),
    ]:
        assert pair in found


def test_profile_applied_table_passes_and_leaks_nothing(tmp_path):
    raw = tmp_path / "raw.parquet"
    pq.write_table(pa.table(person_table()), raw)
    d = check_publishable(raw, PROFILE, key=KEY)
    assert d.allowed, d.reasons
    assert d.stats["k_anonymity"]["k"] >= 5
    dest = tmp_path / "open.parquet"
    d2 = prepare_open_version(raw, dest, PROFILE, key=KEY)
    assert d2.allowed, d2.reasons
    text = str(pq.read_table(dest).to_pylist())
    for value in ["张三", ID, "13812340000", "301室", "1990-01-02"]:
        assert value not in text
    assert "银行卡" not in pq.read_schema(dest).names


def test_day_precise_birth_dates_in_a_person_table_are_refused():
    profile = PublicationProfile(fields={**PROFILE.fields, "出生日期": {"action": "keep"}})
    d = check_publishable(person_table(), profile, key=KEY)
    assert not d.allowed and any(e["kind"] == K.BIRTH_DATE for e in d.evidence)


def test_k_anonymity_failure_refuses_with_a_suggestion():
    profile = PublicationProfile(
        fields={**PROFILE.fields, "出生日期": {"action": "generalize_date", "to": "month"}},
        quasi_identifiers=["出生日期", "性别"],
        k=50,
    )
    d = check_publishable(person_table(), profile, key=KEY)
    assert not d.allowed
    assert any("k-匿名不满足" in r for r in d.reasons)


def test_person_coordinates_are_refused_unless_gridded():
    rows = {"姓名": ["张三", "李四"], "经度": [114.32151, 114.30012], "纬度": [29.84121, 29.85012]}
    masked = {"姓名": {"action": "mask", "kind": "name"}}
    d = check_publishable(rows, PublicationProfile(fields=masked), key=KEY)
    assert not d.allowed and {e["kind"] for e in d.evidence} == {K.PERSON_COORDINATE}
    gridded = PublicationProfile(
        fields={
            **masked,
            "经度": {"action": "coordinate_grid", "axis": "lng", "metres": 1000},
            "纬度": {"action": "coordinate_grid", "axis": "lat", "metres": 1000},
        }
    )
    assert check_publishable(rows, gridded, key=KEY).allowed
    # A facility table (bus stops) keeps its precise coordinates.
    assert check_publishable({"站点": ["火车站", "市政府"], "经度": [114.32151, 114.30012]}).allowed


def test_10000_columns_are_refused_with_a_reason(tmp_path):
    table = pa.table({f"c{i}": [1] for i in range(10_000)})
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path)
    for source in (path, table):
        d = check_publishable(source)
        assert not d.allowed and "10000列" in d.reasons[0]


def test_empty_table_passes():
    assert check_publishable({"a": [], "b": []}).allowed


def test_a_column_of_bare_names_without_a_telling_header_is_refused():
    names = [s + g for s in "张王李赵刘" for g in ("伟", "芳", "小明", "建国")]
    d = check_publishable({"col3": names, "n": list(range(20))})
    assert not d.allowed and d.evidence[0]["kind"] == K.NAME and "张" not in str(d.as_dict())


# --- the tabular hook, wired as docs/privacy.md says ---------------------------------------------------------


def _wired_privacy_gate(version, **kw):
    from kaifang.privacy.gate import gate_table_version

    decision = gate_table_version(version)
    return [] if decision.allowed else decision.reasons


@pytest.fixture
def home(settings, tmp_path):
    settings.KAIFANG_HOME = tmp_path / "home"
    settings.KAIFANG_HOME.mkdir()


def _version(make_dataset, personas, tmp_path, fields, csv):
    from kaifang.tabular import services as tabular

    ds = make_dataset("published", fields=fields, title="名册" + str(len(csv)))
    path = tmp_path / "in.csv"
    path.write_text(csv, encoding="utf-8")
    return tabular.table_ingest(actor=personas["officer"], dataset=ds, path=path, filename="in.csv")


CLOSED_ID = {
    "name": "身份证号",
    "data_type": "C",
    "length": 18,
    "sensitivity_grade": "G4",
    "share_type": "conditional",
    "open_attribute": "closed",
}


def test_publish_refused_through_the_tabular_hook(home, make_dataset, personas, tmp_path, monkeypatch):
    from kaifang.core.errors import ValidationFailed
    from kaifang.tabular import gate as tabular_gate
    from kaifang.tabular import services as tabular

    monkeypatch.setattr(tabular_gate, "privacy_gate", _wired_privacy_gate)
    fields = [
        {"name": "单位", "data_type": "C", "length": 64},
        {"name": "备注", "data_type": "C", "length": 200},
    ]
    rows = "\n".join(["单位,备注"] + [f"单位{i},正常" for i in range(30)])
    csv = rows.replace("单位17,正常", f"单位17,联系人身份证{ID}") + "\n"
    version = _version(make_dataset, personas, tmp_path, fields, csv)
    with pytest.raises(ValidationFailed) as exc:
        tabular.table_version_publish(actor=personas["reviewer"], version=version)
    assert exc.value.code == "privacy_gate"
    assert any("备注" in r and "第18行" in r for r in exc.value.details)


def test_closed_field_columns_are_withheld_and_do_not_block(
    home, make_dataset, personas, tmp_path, monkeypatch
):
    from kaifang.privacy.gate import gate_table_version
    from kaifang.tabular import gate as tabular_gate
    from kaifang.tabular import services as tabular

    monkeypatch.setattr(tabular_gate, "privacy_gate", _wired_privacy_gate)
    fields = [{"name": "单位", "data_type": "C", "length": 64}, CLOSED_ID]
    csv = "\n".join(["单位,身份证号"] + [f"单位{i},{make_id(seq=i)}" for i in range(10)]) + "\n"
    version = _version(make_dataset, personas, tmp_path, fields, csv)
    decision = gate_table_version(version)
    assert decision.allowed, decision.reasons
    assert decision.stats["withheld_columns"] == ["身份证号"]
    published = tabular.table_version_publish(actor=personas["reviewer"], version=version)
    assert published.state == "published"


def test_a_column_of_random_card_shaped_numbers_is_not_refused_but_real_cards_are():
    import random

    rng = random.Random(3)
    serials = [str(rng.randrange(4 * 10**15, 5 * 10**15)) for _ in range(2000)]  # ~10% pass Luhn by chance
    d = check_publishable({"流水号": serials})
    assert d.allowed, d.reasons
    assert "流水号" in d.stats["notes"][0] and "随机编号" in d.stats["notes"][0]
    cards = [make_card("622202", 19, i) for i in range(40)]
    d = check_publishable({"流水号": cards})
    assert not d.allowed and d.evidence[0]["kind"] == K.BANK_CARD
    # The same chance hit inside free text, or in a column named as holding cards, is refused.
    lucky = next(s for s in serials if luhn.is_valid(s))
    assert not check_publishable({"银行卡号": serials}).allowed
    assert not check_publishable({"备注": [f"转账卡号{lucky}"] + ["无"] * 30}).allowed


def test_a_column_of_random_18_digit_numbers_is_not_refused():
    import random

    rng = random.Random(4)
    numbers = [str(rng.randrange(10**17, 10**18)) for _ in range(5000)]
    d = check_publishable({"订单号": numbers})
    assert d.allowed, d.reasons


def test_a_mobile_hidden_after_many_random_serials_is_still_found():
    import random

    rng = random.Random(5)
    serials = [str(rng.randrange(6 * 10**15, 7 * 10**15)) for _ in range(70_000)]
    serials[69_000] = "13812345678"
    d = check_publishable({"流水号": serials})
    assert not d.allowed
    assert [(e["kind"], e["row"]) for e in d.evidence] == [(K.MOBILE, 69_001)]


def test_mixed_types_in_one_column_are_scanned_as_text():
    d = check_publishable({"联系方式": [1, "13812345678", 2.5, None]})
    assert not d.allowed and d.evidence[0]["kind"] == K.MOBILE and d.evidence[0]["row"] == 2


def test_a_facility_table_with_office_phones_and_coordinates_passes():
    rows = {
        "名称": ["咸宁市第一中学", "嘉鱼县图书馆", "赤壁市体育馆", "通城县医院", "崇阳县文化馆"],
        "联系电话": ["0715-8823909", "0715-8357163", "0715-8684821", "0715-8730434", "0715-8209396"],
        "住所": ["咸宁市嘉鱼县沙阳大道216号"] * 5,
        "学段": ["高中", "初中", "高中", "初中", "高中"],
        "经度": [114.32151, 113.92012, 113.88877, 113.81234, 114.04567],
        "纬度": [29.84121, 29.97012, 29.72012, 29.25123, 29.54567],
    }
    d = check_publishable(rows)
    assert d.allowed, d.reasons


def test_a_landline_in_a_table_about_persons_is_refused():
    d = check_publishable({"姓名": ["张*", "李*"], "住宅电话": ["0715-8823909", "0715-8357163"]})
    assert not d.allowed and {e["kind"] for e in d.evidence} == {K.LANDLINE}


# --- properties ----------------------------------------------------------------------------------------------


DISGUISES = {
    "plain": lambda n: n,
    "lower": lambda n: n.lower(),
    "fullwidth": lambda n: n.translate(FULL_WIDTH),
    "spaces": lambda n: f"{n[:6]} {n[6:14]} {n[14:]}",
    "dashes": lambda n: f"{n[:6]}-{n[6:14]}-{n[14:]}",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    number=ids,
    disguise=st.sampled_from(sorted(DISGUISES)),
    row=st.integers(0, 499),
    prefix=st.sampled_from(["", "身份证", "证件号码：", "来电人称其号码为"]),
)
def test_property_one_valid_id_anywhere_in_free_text_is_refused(number, disguise, row, prefix):
    text = ["市民反映小区路灯不亮，已派单处理。"] * 500
    text[row] = f"{prefix}{DISGUISES[disguise](number)}，请核实。"
    d = check_publishable({"区县": ["咸安区"] * 500, "内容": text})
    assert not d.allowed
    assert [(e["column"], e["row"], e["kind"]) for e in d.evidence] == [("内容", row + 1, K.ID_CARD)]
    assert number not in str(d.as_dict()) and number.lower() not in str(d.as_dict())


@settings(max_examples=100, deadline=None)
@given(number=ids, mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_property_masked_values_pass_the_gate(number, mobile):
    d = check_publishable({"身份证号": [mask_id_card(number)] * 3, "手机": [mask_mobile(mobile)] * 3})
    assert d.allowed, d.reasons


def test_enterprise_credit_codes_are_passed_over_but_an_id_among_them_is_found():
    codes = [make_uscc(f"91421200MA4K{i:04d}A"[:17]) for i in range(300)]
    d = check_publishable({"统一社会信用代码": codes})
    assert d.allowed, d.reasons
    d = check_publishable({"统一社会信用代码": [*codes[:150], make_id(seq=7), *codes[150:]]})
    assert not d.allowed and d.evidence[0]["kind"] == K.ID_CARD and d.evidence[0]["row"] == 151
