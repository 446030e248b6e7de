import pytest

from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.core.models import AuditEvent
from kaifang.privacy import selectors, services

RULES = {
    "fields": {
        "联系人": {"action": "mask", "kind": "name"},
        "出生日期": {"action": "generalize_date", "to": "year"},
    },
    "quasi_identifiers": ["出生日期"],
    "k": 5,
}


def test_officer_of_the_department_sets_the_profile_and_it_is_audited(db, make_dataset, personas):
    ds = make_dataset("draft")
    assert selectors.current_profile(ds) is None
    services.publication_profile_set(
        actor=personas["officer"], dataset=ds, rules=RULES, reason="联系人需脱敏"
    )
    profile = selectors.current_profile(ds)
    assert profile.rule("联系人") == {"action": "mask", "kind": "name"}
    assert profile.k == 5
    event = AuditEvent.objects.get(action="privacy.publication_profile_set")
    assert event.reason == "联系人需脱敏" and event.before is None and event.after["k"] == 5
    services.publication_profile_set(
        actor=personas["officer"], dataset=ds, rules={"fields": {}}, reason="改回"
    )
    assert selectors.current_profile(ds).fields == {}
    assert selectors.profile_history(ds).count() == 2
    assert (
        AuditEvent.objects.filter(action="privacy.publication_profile_set").order_by("id").last().before["k"]
        == 5
    )


@pytest.mark.parametrize("who", ["other_officer", "reviewer", "citizen", "operator", "anonymous"])
def test_nobody_else_sets_it(db, make_dataset, personas, who):
    ds = make_dataset("draft")
    with pytest.raises(Forbidden):
        services.publication_profile_set(actor=personas[who], dataset=ds, rules=RULES, reason="x")
    assert selectors.current_profile(ds) is None


def test_invalid_rules_and_missing_reason_are_refused_in_chinese(db, make_dataset, personas):
    ds = make_dataset("draft")
    with pytest.raises(ValidationFailed) as exc:
        services.publication_profile_set(
            actor=personas["officer"], dataset=ds, rules={"fields": {"a": {"action": "explode"}}}, reason=" "
        )
    assert set(exc.value.details) == {"fields.a", "reason"}
    assert "理由" in str(exc.value.details["reason"])
