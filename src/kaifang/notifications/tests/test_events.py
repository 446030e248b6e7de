"""Catalog and tabular events: who is told, that a message names only what its recipient may read, and the
catalog.signals.dataset_changed sent at each public change (followers are told through it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaifang.catalog import services as catalog
from kaifang.catalog.models import Dataset
from kaifang.catalog.signals import dataset_changed
from kaifang.notifications import events
from kaifang.notifications.dispatch import notify
from kaifang.notifications.models import Notification

pytestmark = pytest.mark.django_db
FIELDS = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "名称", "data_type": "C", "length": 64},
]


@pytest.fixture
def changes():
    seen = []

    def receiver(sender, dataset, change, actor, reason, **kwargs):
        seen.append((dataset.title, change, getattr(actor, "username", None)))

    dataset_changed.connect(receiver, dispatch_uid="test-notifications-changes")
    yield seen
    dataset_changed.disconnect(dispatch_uid="test-notifications-changes")


@pytest.fixture
def home(settings, tmp_path):
    settings.KAIFANG_HOME = tmp_path / "home"
    settings.KAIFANG_HOME.mkdir()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return settings.KAIFANG_HOME


def _told(event):
    return {
        n.recipient.username: n for n in Notification.objects.filter(event=event).select_related("recipient")
    }


def test_returned_entry_goes_to_its_departments_officers(client, login, personas, make_dataset):
    ds = make_dataset("returned", title="公交站点")
    told = _told(events.DATASET_RETURNED)
    assert set(told) == {"officer"}  # not the reviewer who returned it, nor other departments
    note = told["officer"]
    assert "公交站点" in note.subject and "摘要不完整" in note.body
    login(personas["officer"])
    assert client.get(note.url).status_code == 200
    for outsider in ("other_officer", "county_officer"):
        login(personas[outsider])
        assert client.get(note.url).status_code == 404  # the draft is not theirs to read
    assert ds.pk


def test_a_returned_revision_is_told_too(personas, make_dataset):
    ds = make_dataset("published", title="公交站点")
    data = {**_data(ds), "open_attribute": "conditional", "open_condition": "签署协议"}
    ds = catalog.dataset_update(
        actor=personas["officer"], dataset=ds, data=data, lock_version=ds.lock_version
    )
    catalog.dataset_return(actor=personas["reviewer"], dataset=ds, reason="开放条件不明确")
    [note] = Notification.objects.filter(event=events.DATASET_RETURNED)
    assert "变更被退回" in note.subject and note.recipient == personas["officer"]


def _data(ds):
    from kaifang.core.testing import valid_dataset_data

    return valid_dataset_data(title=ds.title)


def test_catalog_signals_at_each_public_change(personas, make_dataset, changes):
    ds = make_dataset("published", title="公交站点")
    assert changes == [("公交站点", "published", "reviewer")]
    ds = catalog.dataset_update(
        actor=personas["officer"],
        dataset=ds,
        data={**_data(ds), "abstract": "新摘要"},
        lock_version=ds.lock_version,
    )
    data = {**_data(ds), "abstract": "新摘要", "open_attribute": "conditional", "open_condition": "签署协议"}
    ds = catalog.dataset_update(
        actor=personas["officer"], dataset=ds, data=data, lock_version=ds.lock_version
    )
    ds = catalog.dataset_publish(actor=personas["reviewer"], dataset=ds)
    catalog.dataset_withdraw(actor=personas["reviewer"], dataset=ds, reason="停止更新")
    assert [c[1] for c in changes] == ["published", "updated", "updated", "updated", "withdrawn"]
    changes.clear()
    make_dataset("returned")
    make_dataset("draft")
    assert changes == []  # nothing public changed


def test_a_validated_version_goes_to_the_reviewers_who_may_publish_it(
    client, login, personas, make_dataset, home, tmp_path, changes
):
    from kaifang.tabular.services import table_ingest, table_version_publish, table_version_rollback

    city = make_dataset("published", title="公交站点", fields=FIELDS)
    county = make_dataset(
        "published", title="咸安学校", fields=FIELDS, department="xianan_edu", officer="county_officer"
    )
    path = Path(tmp_path / "t.csv")
    path.write_text("编号,名称\nA1,一站\n", encoding="utf-8")
    v1 = table_ingest(actor=personas["officer"], dataset=city, path=path, filename="t.csv")
    told = _told(events.VERSION_AWAITING_REVIEW)
    # City reviewers; not the uploader, nor the county administrator (not their region), nor other officers.
    assert set(told) == {"reviewer", "reviewer2"}
    note = told["reviewer"]
    assert "公交站点" in note.subject and "第 1 版" in note.subject
    login(personas["reviewer"])
    page = client.get(note.url)
    assert page.status_code == 200 and "公交站点" in page.content.decode()

    Notification.objects.all().delete()
    table_ingest(actor=personas["county_officer"], dataset=county, path=path, filename="t.csv")
    assert set(_told(events.VERSION_AWAITING_REVIEW)) == {"reviewer", "reviewer2", "county_admin"}

    changes.clear()
    table_version_publish(actor=personas["reviewer"], version=v1)
    v2 = table_ingest(actor=personas["officer"], dataset=city, path=path, filename="t.csv")
    table_version_publish(actor=personas["reviewer"], version=v2)
    table_version_rollback(actor=personas["reviewer"], version=v1, reason="回退")
    assert changes == [("公交站点", "version_published", "reviewer")] * 3


def test_notify_leaves_out_whoever_may_not_read_the_dataset(personas, make_dataset):
    """The pattern every event follows (followers of a dataset, for one): a citizen is not told about an entry
    that is not public, the department's officer is."""
    from kaifang.catalog.permissions import datasets_visible_to

    closed = make_dataset("draft", title="内部名册")
    made = notify(
        recipients=[personas["citizen"], personas["officer"], personas["other_officer"]],
        event=events.DATASET_FOLLOWED_CHANGED,
        subject="关注的数据资源已更新：内部名册",
        visible=lambda u: datasets_visible_to(u).filter(pk=closed.pk).exists(),
        exclude=personas["other_officer"],
    )
    assert [n.recipient.username for n in made] == ["officer"]
    assert Dataset.objects.filter(pk=closed.pk).exists()
