"""The catalog rules (S1, S6): each violation is refused with a clear Chinese message."""

import pytest
from django.utils import translation

from kaifang.catalog.rules import default_open_attribute, validate_dataset_input
from kaifang.core.errors import ValidationFailed
from kaifang.core.testing import valid_dataset_data


def errors_of(**overrides):
    with pytest.raises(ValidationFailed) as exc:
        validate_dataset_input(valid_dataset_data(**overrides))
    return exc.value.details


def test_valid_input_passes_and_grade_is_max_of_fields():
    c = validate_dataset_input(
        valid_dataset_data(
            open_attribute="conditional",
            open_condition="签署协议",
            fields=[
                {"name": "a", "data_type": "C", "sensitivity_grade": "G1"},
                {"name": "b", "data_type": "N", "sensitivity_grade": "G3"},
            ],
        )
    )
    assert c["sensitivity_grade"] == "G3"


def test_no_share_means_no_open():
    e = errors_of(share_type="none", share_condition="涉及商业秘密")
    assert "不予共享" in e["open_attribute"]


def test_conditional_needs_condition():
    assert "开放条件" in errors_of(open_attribute="conditional")["open_condition"]


def test_closed_needs_legal_basis():
    assert "依据" in errors_of(open_attribute="closed")["legal_basis"]


def test_grade_ceiling_enforced():
    e = errors_of(
        fields=[
            {
                "name": "身份证号",
                "data_type": "C",
                "sensitivity_grade": "G3",
                "open_attribute": "unconditional",
            }
        ]
    )
    assert "最多只能" in e["fields.1.open_attribute"]


def test_closed_fields_do_not_bind_the_dataset():
    c = validate_dataset_input(
        valid_dataset_data(
            fields=[
                {"name": "名称", "data_type": "C", "sensitivity_grade": "G1"},
                {"name": "身份证号", "data_type": "C", "sensitivity_grade": "G4", "open_attribute": "closed"},
            ]
        )
    )
    assert c["open_attribute"] == "unconditional" and c["sensitivity_grade"] == "G4"


@pytest.mark.parametrize(
    ("grade", "expected"),
    [
        ("G1", "unconditional"),
        ("G2", "unconditional"),
        ("G3", "conditional"),
        ("G4", "closed"),
        ("IMPORTANT", "closed"),
        ("CORE", "closed"),
    ],
)
def test_default_open_attribute_follows_grade(grade, expected):
    assert default_open_attribute(grade) == expected


def test_default_applied_when_open_attribute_missing():
    c = validate_dataset_input(
        valid_dataset_data(
            open_attribute=None,
            open_condition="需申请",
            fields=[{"name": "a", "data_type": "C", "sensitivity_grade": "G3"}],
        )
    )
    assert c["open_attribute"] == "conditional"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"title": ""}, "title"),
        ({"abstract": ""}, "abstract"),
        ({"title": "长" * 129}, "title"),
        ({"abstract": "x" * 4001}, "abstract"),
        ({"title": "含\x00控制符"}, "title"),
        ({"fields": []}, "fields"),
        ({"fields": [{"name": "a", "data_type": "Z"}]}, "fields.1.data_type"),
        ({"fields": [{"name": "a", "data_type": "C"}, {"name": "a", "data_type": "C"}]}, "fields.2.name"),
        ({"update_frequency": "hourly"}, "update_frequency"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"related_codes": ["abc"]}, "related_codes"),
        ({"tags": ["x" * 40]}, "tags"),
        ({"share_type": "conditional"}, "share_condition"),
    ],
)
def test_bad_input_is_named_per_field(overrides, key):
    assert key in errors_of(**overrides)


def test_messages_in_english_when_asked():
    with translation.override("en"):
        e = errors_of(open_attribute="conditional")
    assert "condition" in e["open_condition"].lower() and not any(
        "\u4e00" <= ch <= "\u9fff" for ch in e["open_condition"]
    )


def test_labels_are_accepted_as_values():
    c = validate_dataset_input(
        valid_dataset_data(open_attribute="无条件开放", share_type="无条件共享", update_frequency="每月")
    )
    assert (c["open_attribute"], c["share_type"], c["update_frequency"]) == (
        "unconditional",
        "unconditional",
        "monthly",
    )
