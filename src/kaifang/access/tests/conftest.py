"""Fixtures the access tests share."""

import pytest

from kaifang.access.models import AgreementTemplate


@pytest.fixture
def conditional(make_dataset):
    """A published conditionally open dataset with a closed ID field, under the current agreement."""
    AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )
    return make_dataset(
        "published",
        title="企业纳税信息",
        open_attribute="conditional",
        open_condition="签署协议",
        fields=[
            {"name": "企业名称", "data_type": "C", "sensitivity_grade": "G3"},
            {"name": "纳税额", "data_type": "Y", "sensitivity_grade": "G3"},
            {"name": "法人身份证号", "data_type": "C", "sensitivity_grade": "G4", "open_attribute": "closed"},
        ],
    )
