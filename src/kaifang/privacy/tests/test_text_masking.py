"""Free text the public reads keeps no personal identifier (X5)."""

from hypothesis import given
from hypothesis import strategies as st

from kaifang.privacy.text import mask_identifiers


def test_identifiers_in_a_request_are_masked_and_the_rest_kept():
    text = "希望开放公交数据，我的电话13912345678，邮箱zhang@example.com，座机0715-8123456。"
    masked = mask_identifiers(text)
    assert "13912345678" not in masked and "139****5678" in masked
    assert "zhang@example.com" not in masked
    assert "8123456" not in masked
    assert masked.startswith("希望开放公交数据，我的电话") and masked.endswith("。")


def test_a_valid_id_number_is_masked():
    from stdnum.cn import ric

    number = "11010519491231002"
    number += ric.calc_check_digit(number + "0")  # stdnum takes the number with a check digit in place
    masked = mask_identifiers(f"身份证号{number}请核实")
    assert number not in masked and masked.startswith("身份证号") and masked.endswith("请核实")


def test_full_width_digits_are_masked_too():
    masked = mask_identifiers("电话：１３９１２３４５６７８")
    assert "5678" in masked and "1234" not in masked and "１２３４" not in masked


def test_text_without_identifiers_is_unchanged():
    text = "咸宁市2024年桂花节旅游客流数据，按日统计。"
    assert mask_identifiers(text) == text


@given(st.text(max_size=200))
def test_masking_never_fails_and_is_idempotent(text):
    once = mask_identifiers(text)
    assert mask_identifiers(once) == once
