"""The review workflow as a state machine, through the services."""

import pytest

from kaifang.catalog import services
from kaifang.catalog.choices import State
from kaifang.catalog.models import Dataset, DuplicateFlag
from kaifang.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from kaifang.core.models import AuditEvent
from kaifang.core.testing import valid_dataset_data

pytestmark = pytest.mark.django_db


def test_full_lifecycle_records_every_transition(make_dataset, personas):
    ds = make_dataset("draft")
    assert ds.state == State.DRAFT and ds.code
    ds = services.dataset_submit(actor=personas["officer"], dataset=ds)
    ds = services.dataset_review_start(actor=personas["reviewer"], dataset=ds)
    assert ds.state == State.IN_REVIEW
    ds = services.dataset_return(actor=personas["reviewer"], dataset=ds, reason="请补充信息项说明")
    assert ds.state == State.RETURNED and ds.return_reason == "请补充信息项说明"
    ds = services.dataset_submit(actor=personas["officer"], dataset=ds)
    ds = services.dataset_publish(actor=personas["reviewer"], dataset=ds)
    assert ds.state == State.PUBLISHED and ds.publish_date
    ds = services.dataset_withdraw(actor=personas["officer"], dataset=ds, reason="停止维护")
    assert ds.state == State.WITHDRAWN
    ds = services.dataset_reopen(actor=personas["officer"], dataset=ds)
    assert ds.state == State.DRAFT
    actions = list(
        AuditEvent.objects.filter(target_id=ds.code).order_by("id").values_list("action", "before", "after")
    )
    assert [a[0] for a in actions] == [
        "dataset_register",
        "dataset_submit",
        "dataset_review_start",
        "dataset_return",
        "dataset_submit",
        "dataset_publish",
        "dataset_withdraw",
        "dataset_reopen",
    ]
    assert actions[3][1] == {"state": "in_review"} and actions[3][2] == {"state": "returned"}
    event = AuditEvent.objects.get(target_id=ds.code, action="dataset_return")
    assert event.actor == personas["reviewer"] and event.reason == "请补充信息项说明"


@pytest.mark.parametrize(
    ("state", "service", "who"),
    [
        ("draft", "dataset_publish", "reviewer"),
        ("draft", "dataset_withdraw", "reviewer"),
        ("published", "dataset_submit", "officer"),
        ("submitted", "dataset_submit", "officer"),
        ("returned", "dataset_publish", "reviewer"),
        ("withdrawn", "dataset_publish", "reviewer"),
        ("published", "dataset_reopen", "officer"),
        ("in_review", "dataset_review_start", "reviewer"),
    ],
)
def test_forged_transitions_are_refused_and_change_nothing(make_dataset, personas, state, service, who):
    ds = make_dataset(state)
    before = Dataset.objects.get(pk=ds.pk)
    kwargs = {"actor": personas[who], "dataset": ds}
    if service in ("dataset_withdraw",):
        kwargs["reason"] = "x"
    with pytest.raises(InvalidTransition):
        getattr(services, service)(**kwargs)
    after = Dataset.objects.get(pk=ds.pk)
    assert (after.state, after.lock_version) == (before.state, before.lock_version)


def test_nobody_reviews_their_own_submission(make_dataset, personas, departments):
    from kaifang.accounts.models import RoleAssignment

    RoleAssignment.objects.create(
        user=personas["reviewer"], role="officer", department=departments["transport"]
    )
    personas["reviewer"]._kaifang_roles = None
    del personas["reviewer"]._kaifang_roles
    ds = services.dataset_register(
        actor=personas["reviewer"], department=departments["transport"], data=valid_dataset_data()
    )
    ds = services.dataset_submit(actor=personas["reviewer"], dataset=ds)
    with pytest.raises(Forbidden):
        services.dataset_publish(actor=personas["reviewer"], dataset=ds)
    ds = services.dataset_publish(actor=personas["reviewer2"], dataset=ds)
    assert ds.state == State.PUBLISHED


def test_return_needs_a_reason(make_dataset, personas):
    ds = make_dataset("submitted")
    with pytest.raises(ValidationFailed):
        services.dataset_return(actor=personas["reviewer"], dataset=ds, reason="  ")
    assert Dataset.objects.get(pk=ds.pk).state == State.SUBMITTED


def test_changing_open_attribute_of_published_entry_goes_back_to_review(make_dataset, personas):
    ds = make_dataset("published")
    data = valid_dataset_data(
        title=ds.title,
        open_attribute="conditional",
        open_condition="须签署数据利用协议",
        fields=[{"name": "线路编号", "data_type": "C", "length": 16, "sensitivity_grade": "G3"}],
    )
    ds = services.dataset_update(
        actor=personas["officer"], dataset=ds, data=data, lock_version=ds.lock_version
    )
    assert ds.state == State.REVISION_IN_REVIEW
    public = Dataset.objects.get(pk=ds.pk)
    # The public still sees the published openness and fields until approval.
    assert public.open_attribute == "unconditional"
    assert public.fields.count() == 3
    ds = services.dataset_publish(actor=personas["reviewer"], dataset=ds)
    assert ds.open_attribute == "conditional" and ds.open_condition == "须签署数据利用协议"
    assert ds.fields.count() == 1 and ds.sensitivity_grade == "G3" and ds.pending_changes is None


def test_returned_revision_keeps_the_published_entry(make_dataset, personas):
    ds = make_dataset("published")
    data = valid_dataset_data(title=ds.title, fields=[{"name": "新字段", "data_type": "C"}])
    ds = services.dataset_update(
        actor=personas["officer"], dataset=ds, data=data, lock_version=ds.lock_version
    )
    ds = services.dataset_return(actor=personas["reviewer"], dataset=ds, reason="字段删减需说明")
    assert ds.state == State.PUBLISHED and ds.pending_changes is None
    assert list(ds.fields.values_list("name", flat=True)) == ["线路编号", "站点名称", "经度"]


def test_minor_edit_of_published_entry_applies_directly(make_dataset, personas):
    ds = make_dataset("published")
    data = valid_dataset_data(title=ds.title, abstract="更新后的摘要")
    ds = services.dataset_update(
        actor=personas["officer"], dataset=ds, data=data, lock_version=ds.lock_version
    )
    assert ds.state == State.PUBLISHED and ds.abstract == "更新后的摘要"


def test_second_concurrent_save_is_refused(make_dataset, personas):
    ds = make_dataset("draft")
    version = ds.lock_version
    services.dataset_update(
        actor=personas["officer"], dataset=ds, data=valid_dataset_data(title="甲的修改"), lock_version=version
    )
    with pytest.raises(Conflict):
        services.dataset_update(
            actor=personas["officer"],
            dataset=ds,
            data=valid_dataset_data(title="乙的修改"),
            lock_version=version,
        )
    assert Dataset.objects.get(pk=ds.pk).title == "甲的修改"


def test_invalid_update_saves_nothing(make_dataset, personas):
    ds = make_dataset("draft")
    with pytest.raises(ValidationFailed):
        services.dataset_update(
            actor=personas["officer"],
            dataset=ds,
            data=valid_dataset_data(title="", fields=[]),
            lock_version=ds.lock_version,
        )
    fresh = Dataset.objects.get(pk=ds.pk)
    assert fresh.title == ds.title and fresh.fields.count() == 3 and fresh.lock_version == ds.lock_version


def test_field_codes_are_stable_and_never_reused(make_dataset, personas):
    ds = make_dataset("draft")
    codes = dict(ds.fields.values_list("name", "code"))
    data = valid_dataset_data(
        title=ds.title,
        fields=[
            {"name": "站点名称", "data_type": "C"},
            {"name": "纬度", "data_type": "N"},
        ],
    )
    ds = services.dataset_update(
        actor=personas["officer"], dataset=ds, data=data, lock_version=ds.lock_version
    )
    new = dict(ds.fields.values_list("name", "code"))
    assert new["站点名称"] == codes["站点名称"]
    assert new["纬度"] not in codes.values() and new["纬度"].endswith("/004")


def test_one_data_one_source_flags_and_settles(make_dataset, personas, departments):
    from kaifang.accounts.models import RoleAssignment

    RoleAssignment.objects.create(
        user=personas["other_officer"], role="officer", department=departments["education"]
    )
    first = make_dataset("published", title="学校名录信息")
    second = make_dataset("submitted", department="education", officer="other_officer", title="学校名录 信息")
    flag = DuplicateFlag.objects.get(dataset=second)
    assert flag.other == first
    with pytest.raises(InvalidTransition):
        services.dataset_publish(actor=personas["reviewer"], dataset=second)
    with pytest.raises(Forbidden):
        services.duplicate_settle(actor=personas["officer"], flag=flag, authoritative=first, reason="x")
    services.duplicate_settle(
        actor=personas["reviewer"], flag=flag, authoritative=first, reason="交通局为权威来源"
    )
    ds = services.dataset_publish(actor=personas["reviewer"], dataset=second)
    assert ds.state == State.PUBLISHED


def test_codes_follow_the_scheme_and_are_unique(make_dataset):
    from kaifang.catalog.codes import scheme

    a, b = make_dataset("draft"), make_dataset("draft")
    pa, pb = scheme().parse_resource(a.code), scheme().parse_resource(b.code)
    assert pa["classification"] == pb["classification"] == "307015421200001"
    assert pb["sequence"] == pa["sequence"] + 1
    assert a.fields.first().code == f"{a.code}/001"


def test_double_registration_is_refused(make_dataset, personas, departments):
    make_dataset("draft", title="公交 站点")
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_register(
            actor=personas["officer"],
            department=departments["transport"],
            data=valid_dataset_data(title="公交站点"),
        )
    assert "重复登记" in exc.value.details["title"]
    assert Dataset.objects.count() == 1
