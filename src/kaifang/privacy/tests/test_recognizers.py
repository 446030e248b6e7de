import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from kaifang.privacy import kinds as K
from kaifang.privacy.recognizers import (
    PROVINCES,
    check_id18,
    looks_like_name,
    sample_indices,
    scan_column,
    scan_table,
    scan_text,
)
from kaifang.privacy.tests.factories import make_card, make_id, make_uscc

ID = make_id()  # 421202199001021238
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def kinds_of(text, **kw):
    return [f.kind for f in scan_text(text, **kw)]


def only(text, kind, **kw):
    found = [f for f in scan_text(text, **kw) if f.kind == kind]
    assert found, f"{kind} not found in {text!r}: {scan_text(text, **kw)}"
    return found[0]


# --- 居民身份证号 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        ID,
        f"身份证号：{ID}",
        f"申请人身份证{ID}，已核验",
        ID.translate(FULL_WIDTH),
        f"{ID[:6]} {ID[6:14]} {ID[14:]}",
        f"{ID[:6]}-{ID[6:14]}-{ID[14:]}",
        f"{ID[:6]}－{ID[6:14]}－{ID[14:]}",  # full-width dash
    ],
)
def test_id_card_found_plain_and_disguised(text):
    f = only(text, K.ID_CARD)
    assert f.evidence == "421202********1238"
    assert f.confidence >= 0.9
    assert ID not in f.evidence


def test_id_card_lowercase_x_check_digit():
    number = "11010519491231002X"
    assert check_id18(number)
    f = only(number.lower(), K.ID_CARD)
    assert f.evidence == "110105********002X"


@pytest.mark.parametrize(
    "number,why",
    [
        (ID[:17] + ("0" if ID[17] != "0" else "1"), "wrong check digit"),
        ("991202199001021230", "no such province"),
        (make_id(birth=dt.date(1990, 1, 2)).replace("19900102", "19901302"), "month 13"),
        ("420102" + "21000101" + "1234", "born in the future"),
        ("12345678901234567", "17 digits"),
        (ID + "5", "19 digits"),
    ],
)
def test_invalid_but_plausible_ids_are_not_ids(number, why):
    assert K.ID_CARD not in kinds_of(number), why


def test_id_next_to_letters_or_digits_is_not_split_out():
    assert K.ID_CARD not in kinds_of("9" + ID)
    assert K.ID_CARD not in kinds_of("ORD" + ID + "A")


def test_legacy_15_digit_id_only_with_context():
    legacy = "421202900102123"
    assert K.ID_CARD not in kinds_of(legacy)
    assert K.ID_CARD in kinds_of(f"身份证：{legacy}")
    assert K.ID_CARD in kinds_of(legacy, hints=frozenset({K.ID_CARD}))


ids = st.builds(
    lambda prov, city, county, birth, seq: make_id(f"{prov}{city:02d}{county:02d}", birth, seq),
    st.sampled_from(sorted(PROVINCES - {"81", "82", "83"})),
    st.integers(1, 99),
    st.integers(0, 99),
    st.dates(dt.date(1900, 1, 1), dt.date.today()),
    st.integers(0, 999),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    number=ids,
    style=st.sampled_from(["plain", "lower", "fullwidth", "spaces", "dashes", "in_text"]),
)
def test_property_every_generated_valid_id_is_found(number, style):
    text = {
        "plain": number,
        "lower": number.lower(),
        "fullwidth": number.translate(FULL_WIDTH),
        "spaces": f"{number[:6]} {number[6:14]} {number[14:]}",
        "dashes": f"{number[:6]}-{number[6:14]}-{number[14:]}",
        "in_text": f"经核实，该居民证件号码为{number}，现住址不详。",
    }[style]
    f = only(text, K.ID_CARD)
    assert f.evidence == number[:6] + "*" * 8 + number[-4:]


@settings(max_examples=200, deadline=None)
@given(number=ids, pos=st.integers(0, 16), delta=st.integers(1, 9))
def test_property_one_changed_digit_is_never_an_id(number, pos, delta):
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    assert check_id18(changed) == 0


def test_random_18_digit_numbers_are_ids_less_than_1_percent():
    rng = random.Random(20261127)
    numbers = [str(rng.randrange(10**17, 10**18)) for _ in range(20_000)]
    hits = sum(1 for n in numbers if K.ID_CARD in kinds_of(n))
    assert hits / len(numbers) < 0.01


def test_column_of_random_18_digit_numbers_is_not_an_id_column():
    rng = random.Random(7)
    values = [str(rng.randrange(10**17, 10**18)) for _ in range(2000)]
    report = scan_column("订单号", values)
    assert K.ID_CARD not in report.detected


# --- phones, cards, codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "手机138-1234-5678",
        "+86 138 1234 5678",
        "１３８１２３４５６７８",
        "电话：8613812345678",
    ],
)
def test_mobile(text):
    assert only(text, K.MOBILE).evidence == "138****5678"


@pytest.mark.parametrize("text", ["12812345678", "138123456789", "1381234567", "2013812345678"])
def test_not_mobile(text):
    assert K.MOBILE not in kinds_of(text)


@pytest.mark.parametrize("text", ["0715-8120000", "（0715）8120000", "电话027-87654321", "010 62345678"])
def test_landline(text):
    assert K.LANDLINE in kinds_of(text)


def test_date_is_not_a_landline():
    assert K.LANDLINE not in kinds_of("2024-01-01")


@pytest.mark.parametrize(
    "card",
    [make_card("622202", 19), make_card("621700", 16), make_card("411111", 16), make_card("955880", 19)],
)
def test_bank_card_valid_and_grouped(card):
    assert only(card, K.BANK_CARD).evidence == card[:6] + "*" * (len(card) - 10) + card[-4:]
    grouped = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    assert K.BANK_CARD in kinds_of(f"银行卡号：{grouped}")


def test_bank_card_invalid():
    card = make_card("622202", 19)
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert K.BANK_CARD not in kinds_of(bad)
    assert K.BANK_CARD not in kinds_of("1" + make_card("234567", 16)[1:])  # no such BIN


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(["62", "60", "4", "51", "55", "35", "95"]),
    digits=st.text(alphabet="0123456789", min_size=20, max_size=20),
    length=st.sampled_from([16, 19]),
)
def test_property_luhn_valid_cards_are_found(prefix, digits, length):
    if prefix in ("4", "51", "55", "35"):
        length = 16  # Visa, Mastercard, JCB
    if prefix == "95":
        length = 19  # the old 19-digit domestic debit cards
    body = (prefix + digits)[: length - 1]
    card = body + luhn.calc_check_digit(body)
    assume(not check_id18(card))
    assert K.BANK_CARD in kinds_of(card)


def test_uscc_and_individual_business():
    org = make_uscc("91421200MA4K0000A")
    person = make_uscc("92421200MA4K0000A")
    assert only(org, K.USCC).confidence >= 0.9
    assert K.USCC_INDIVIDUAL in kinds_of(f"个体户{person}")
    assert K.USCC not in kinds_of(org[:-1] + ("0" if org[-1] != "0" else "1"))


@pytest.mark.parametrize("text", ["鄂L12345", "鄂L·12345", "鄂l-12345", "车牌鄂LD12345", "鄂LA123学"])
def test_plates(text):
    assert K.PLATE in kinds_of(text)


def test_not_plates():
    assert K.PLATE not in kinds_of("鄂ABCDEF")
    assert K.PLATE not in kinds_of("湖北省")


def test_email():
    assert only("邮箱zhang.san@example.cn，谢谢", K.EMAIL).evidence == "z***@example.cn"
    assert K.EMAIL not in kinds_of("zhang@")


@pytest.mark.parametrize(
    "text,kind",
    [
        ("护照号E12345678", K.PASSPORT),
        ("EA1234567", K.PASSPORT),
        ("G12345678", K.PASSPORT),
        ("通行证C12345678", K.HK_MACAU_PERMIT),
        ("回乡证H1234567801", K.HK_MACAU_PERMIT),
        ("T12345678", K.TAIWAN_PERMIT),
        ("台胞证号码：12345678", K.TAIWAN_PERMIT),
    ],
)
def test_travel_documents(text, kind):
    assert kind in kinds_of(text)


def test_eight_bare_digits_are_a_taiwan_permit_only_in_such_a_column():
    assert K.TAIWAN_PERMIT not in kinds_of("12345678")
    assert K.TAIWAN_PERMIT in kinds_of("12345678", hints=frozenset({K.TAIWAN_PERMIT}))


# --- names, addresses, coordinates, dates, health ------------------------------------------------------------


@pytest.mark.parametrize("name", ["张三", "王小明", "欧阳娜娜", "司马光", "阿依古丽·买买提"])
def test_looks_like_name(name):
    assert looks_like_name(name) > 0


@pytest.mark.parametrize("word", ["咸宁市", "公交站", "有限公司", "A1", "张", "全国人民代表大会"])
def test_does_not_look_like_name(word):
    assert looks_like_name(word) == 0 or word == "咸宁市" and looks_like_name(word) < 0.7


def test_names_in_free_text_by_context():
    assert only("联系人：张三，电话另告", K.NAME).evidence == "张*"
    assert only("申请人李四于2024年提交", K.NAME).evidence == "李*"
    assert only("请王小明先生到窗口办理", K.NAME).evidence == "王**"
    assert K.NAME not in kinds_of("本站为公交首末站")


def test_detailed_address():
    f = only("住址：湖北省咸宁市咸安区温泉街道金桂路12号3栋2单元301室", K.ADDRESS)
    assert "301" not in f.evidence and "*" in f.evidence
    assert K.ADDRESS in kinds_of("横沟桥镇某某村3组15号")
    assert K.ADDRESS in kinds_of("温泉小区5-2-301")
    assert K.ADDRESS not in kinds_of("咸安区")  # an area is not a detailed address


def test_street_number_only_counts_in_an_address_column():
    assert K.ADDRESS not in kinds_of("金桂路88号")
    assert K.ADDRESS in kinds_of("金桂路88号", hints=frozenset({K.ADDRESS}))


def test_birth_date_in_text_and_column():
    assert only("出生日期：1990年1月2日", K.BIRTH_DATE).evidence == "1990"
    report = scan_column("出生日期", ["1990-01-02", "1985-12-31", "2001-07-04"])
    assert K.BIRTH_DATE in report.detected


def test_health_terms_and_diagnosis_column():
    assert K.HEALTH in kinds_of("该患者确诊糖尿病")
    report = scan_column("诊断结果", ["2型糖尿病", "原发性高血压", "上呼吸道感染"])
    assert K.HEALTH in report.detected
    assert report.sensitivity == K.Sensitivity.SENSITIVE


def test_coordinates_by_name_and_precision():
    bus = scan_column("经度", [114.32151, 114.30012, 114.28877])
    assert bus.kind(K.COORDINATE) and bus.sensitivity == K.Sensitivity.NON_PERSONAL
    home = scan_column("居住地经度", [114.32151, 114.30012, 114.28877])
    assert K.PERSON_COORDINATE in home.detected
    coarse = scan_column("经度", [114.3, 114.2, 114.1])
    assert not coarse.kinds
    assert K.COORDINATE in kinds_of("位置114.3215,29.8412")


def test_person_table_makes_coordinates_personal():
    report = scan_table(
        {
            "姓名": ["张三", "李四", "王五"],
            "经度": [114.32151, 114.30012, 114.28877],
            "纬度": [29.8412, 29.8501, 29.8333],
        }
    )
    assert K.PERSON_COORDINATE in report.column("经度").detected
    assert report.grade == "G4"


# --- column and table level ----------------------------------------------------------------------------------


def test_scan_column_by_name_and_values():
    names = ["张三", "李四", "王小明", "赵敏", "欧阳锋"]
    report = scan_column("申请人", names)
    assert report.detected == [K.NAME]
    assert report.kind(K.NAME).evidence[0] == "张*"
    assert report.grade == "G3"
    assert report.sensitivity == K.Sensitivity.PERSONAL
    # Bare names without a hint still count when most values read as names.
    assert K.NAME in scan_column("col3", names * 2).detected
    # A few repeated words that merely start with a surname character are not names.
    assert K.NAME not in scan_column("学段", ["高中", "初中", "高中", "初中"] * 20).detected


def test_scan_column_free_text_with_one_hidden_id():
    values = ["市民反映路灯不亮，已派单处理。"] * 300
    values[137] = f"来电人称其身份证号{ID}被冒用，请核查。"
    report = scan_column("备注", values)
    assert report.free_text
    assert K.ID_CARD in report.detected
    assert report.kind(K.ID_CARD).evidence == ["421202********1238"]


def test_empty_column_with_a_telling_name():
    report = scan_column("身份证号码", [None, "", None])
    kr = report.kind(K.ID_CARD)
    assert kr and kr.confidence >= 0.5 and "列为空" in kr.reasons[0]
    assert scan_column("备注", []).kinds == []


def test_masked_column_is_reported_as_masked():
    report = scan_column("身份证号", ["421202********1238"] * 5)
    assert K.ID_CARD not in report.detected
    assert report.masked_values == 5


def test_identifier_in_a_column_name():
    report = scan_table({ID: ["a", "b"]})
    assert K.ID_CARD in report.columns[0].detected


def test_scan_table_grades_and_open_attribute():
    report = scan_table(
        {
            "线路": ["1路", "2路", "3路"],
            "站点": ["火车站", "市政府", "温泉"],
            "联系人手机": ["13812345678", "13912345678", "13712345678"],
        }
    )
    assert report.column("联系人手机").grade == "G3"
    assert report.column("线路").grade == "G1"
    assert report.grade == "G3"
    assert report.open_attribute == "conditional"


def test_scan_table_refuses_10000_columns_with_a_reason():
    report = scan_table({f"c{i}": [1] for i in range(10_000)})
    assert report.refused and "10000列" in report.refused
    assert report.grade == "G4" and report.open_attribute == "closed"


def test_sample_indices_cover_the_column():
    idx = sample_indices(1_000_000, 1000)
    assert len(idx) <= 1000 and idx[0] == 0 and idx[-1] > 990_000


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYZIOSVabc -", min_size=16, max_size=20),
    st.sampled_from(["91421200MA4K0000A", "92421202MA4K1234B", "11100000000013127", "12421200MB0X12345"]),
)
def test_the_fast_credit_code_check_agrees_with_stdnum(noise, body):
    from stdnum.cn import uscc

    from kaifang.privacy.recognizers import uscc_is_valid

    valid = body + uscc.calc_check_digit(body)
    for code in (noise, valid, valid.lower(), valid[:-1] + "0", f" {valid[:6]}-{valid[6:]} "):
        assert uscc_is_valid(code) == uscc.is_valid(code), code
