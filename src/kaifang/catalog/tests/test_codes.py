"""Code generation and validation (S2), with property tests."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaifang.catalog.codes import CodeError, CodeScheme, code_from_slug, scheme, slug_for_code

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
sub = st.from_regex(r"\A\d{3}\Z")
region = st.from_regex(r"\A\d{6}\Z")
dept = st.from_regex(r"\A\d{3}\Z")
category_item = st.sampled_from(
    [(cat, item) for cat, spec in scheme().categories.items() for item in spec["items"]]
)
sequence = st.integers(min_value=1, max_value=999_999)


@given(category_item, sub, region, dept, sequence)
def test_generated_codes_validate_and_round_trip(ci, subitem, reg, seq3, n):
    s = scheme()
    classification = s.classification_code(
        category=ci[0], item=ci[1], subitem=subitem, region=reg, department_seq=seq3
    )
    code = s.format_resource(classification, n)
    parts = s.parse_resource(code)
    assert parts["classification"] == classification and parts["sequence"] == n
    assert parts["category"] == ci[0] and parts["item"] == ci[1]
    assert code_from_slug(slug_for_code(code)) == code
    assert s.display(code).replace("-", "") == code
    field = s.format_field(code, 7)
    assert s.validate_field(field) == (code, 7)


@given(st.text(max_size=40))
def test_arbitrary_text_is_rejected_or_parses_consistently(text):
    s = scheme()
    try:
        parts = s.parse_resource(text)
    except CodeError:
        return
    assert s.format_resource(parts["classification"], parts["sequence"]) == text


@given(category_item, sub, region, dept, sequence, st.integers(min_value=0, max_value=21), digits)
def test_any_single_digit_change_is_caught_or_is_another_valid_code(ci, subitem, reg, seq3, n, pos, d):
    s = scheme()
    code = s.format_resource(
        s.classification_code(category=ci[0], item=ci[1], subitem=subitem, region=reg, department_seq=seq3), n
    )
    mutated = code[:pos] + "X" + code[pos + 1 :]
    with pytest.raises(CodeError):
        s.parse_resource(mutated)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "307015421200001",
        "307015421200001/00001",
        "907015421200001/000001",
        "308015421200001/000001",
        "307015421200001/000000",
        "307015421200001-000001",
        "3070154212000011/000001",
        None,
        12345,
    ],
)
def test_invalid_codes_have_clear_errors(bad):
    with pytest.raises(CodeError) as exc:
        scheme().parse_resource(bad)
    assert str(exc.value)


def test_sequence_bounds():
    with pytest.raises(CodeError):
        scheme().format_resource("307015421200001", 0)
    with pytest.raises(CodeError):
        scheme().format_resource("307015421200001", 1_000_000)


def test_scheme_is_data_and_can_be_replaced():
    other = CodeScheme.from_dict(
        {
            "classification_segments": [
                {"name": "category", "length": 1},
                {"name": "item", "length": 2},
                {"name": "subitem", "length": 2},
                {"name": "detail", "length": 4},
            ],
            "sequence_length": 4,
            "item_sequence_length": 2,
            "separator": ".",
            "categories": {"3": {"label": "部门", "items": {"01": "x"}}},
        }
    )
    code = other.format_resource("301991234", 5)
    assert code == "301991234.0005" and other.parse_resource(code)["sequence"] == 5
