"""Every catalog `can_*` over every persona: the whole matrix, not a sample."""

import pytest

from kaifang.catalog import permissions as perm
from kaifang.catalog.models import DuplicateFlag
from kaifang.core.testing import PERSONA_NAMES

pytestmark = pytest.mark.django_db

PERSONAS = PERSONA_NAMES

# Expected: who may act on a dataset of the city's transport bureau submitted by `officer`.
CITY_MATRIX = {
    "can_dataset_update": {"officer"},
    "can_dataset_submit": {"officer"},
    "can_dataset_review_start": {"reviewer"},
    "can_dataset_publish": {"reviewer"},
    "can_dataset_return": {"reviewer"},
    "can_dataset_withdraw": {"officer", "reviewer"},
    "can_dataset_reopen": {"officer"},
}
# The same for a dataset of 咸安区教育局 submitted by `county_officer`: the county admin reviews it too.
COUNTY_MATRIX = {
    "can_dataset_update": {"county_officer"},
    "can_dataset_submit": {"county_officer"},
    "can_dataset_review_start": {"reviewer", "county_admin"},
    "can_dataset_publish": {"reviewer", "county_admin"},
    "can_dataset_return": {"reviewer", "county_admin"},
    "can_dataset_withdraw": {"county_officer", "reviewer", "county_admin"},
    "can_dataset_reopen": {"county_officer"},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("check", sorted(CITY_MATRIX))
def test_city_dataset_matrix(make_dataset, personas, persona, check):
    ds = make_dataset("submitted")
    assert getattr(perm, check)(personas[persona], ds) is (persona in CITY_MATRIX[check])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("check", sorted(COUNTY_MATRIX))
def test_county_dataset_matrix(make_dataset, personas, persona, check):
    ds = make_dataset("submitted", department="xianan_edu", officer="county_officer")
    assert getattr(perm, check)(personas[persona], ds) is (persona in COUNTY_MATRIX[check])


@pytest.mark.parametrize("persona", PERSONAS)
def test_register_matrix(personas, departments, persona):
    assert perm.can_dataset_register(personas[persona], departments["transport"]) is (persona == "officer")
    assert perm.can_dataset_register(personas[persona], departments["xianan_edu"]) is (
        persona == "county_officer"
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_import_matrix(personas, departments, persona):
    draft = {"officer", "reviewer"}
    assert perm.can_catalog_import(personas[persona], departments["transport"]) is (persona in draft)
    assert perm.can_catalog_import(personas[persona], departments["transport"], True) is (
        persona == "reviewer"
    )
    county = {"county_officer", "reviewer", "county_admin"}
    assert perm.can_catalog_import(personas[persona], departments["xianan_edu"]) is (persona in county)


@pytest.mark.parametrize("persona", PERSONAS)
def test_duplicate_settle_matrix(make_dataset, personas, persona):
    a, b = make_dataset("published", title="甲"), make_dataset("submitted", title="乙")
    flag = DuplicateFlag.objects.create(dataset=b, other=a, item_key="k")
    assert perm.can_duplicate_settle(personas[persona], flag) is (persona == "reviewer")


@pytest.mark.parametrize("persona", PERSONAS)
def test_visibility_matrix(make_dataset, personas, persona):
    public = make_dataset("published", title="公开")
    closed = make_dataset("published", title="不开放", open_attribute="closed", legal_basis="《数据安全法》")
    draft = make_dataset("draft", title="草稿")
    county_draft = make_dataset("draft", department="xianan_edu", officer="county_officer", title="县草稿")
    visible = set(perm.datasets_visible_to(personas[persona]).values_list("title", flat=True))
    staff = persona in {
        "officer",
        "other_officer",
        "county_officer",
        "reviewer",
        "county_admin",
        "operator",
        "auditor",
    }
    assert public.title in visible
    assert (closed.title in visible) is staff
    assert (draft.title in visible) is (persona in {"officer", "reviewer", "operator", "auditor"})
    assert (county_draft.title in visible) is (
        persona in {"county_officer", "reviewer", "county_admin", "operator", "auditor"}
    )
