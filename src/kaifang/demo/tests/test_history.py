"""The demo city's year of interaction: built through the services, deterministic, every work-order state,
overdue orders escalated, dates over twelve months, notifications for the staff, requests on the public list."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count

from kaifang.accounts.models import User
from kaifang.core import clock
from kaifang.core.models import AuditEvent
from kaifang.demo.builder import LOADER, PERSONAS, build_demo
from kaifang.demo.history import History
from kaifang.interaction.models import Comment, ErrorReport, Follow, PublicRequest
from kaifang.notifications.models import Notification
from kaifang.operations.models import DomainLead, WorkOrder, WorkOrderStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path: Path) -> dict[str, Any]:
    settings.KAIFANG_HOME = tmp_path
    return build_demo(scale=0.1)


def _snapshot() -> dict[str, Any]:
    """What the history made, without its dates (a second build a moment later may cross a minute)."""
    # key=repr: a rating or answer may be None next to a number.
    orders = sorted(
        [
            (
                wo.kind,
                wo.state,
                wo.title,
                wo.transfer_count,
                wo.reopen_count,
                wo.rating,
                wo.escalated_at is not None,
                wo.answer_dataset_id,
                getattr(wo.department, "name", ""),
            )
            for wo in WorkOrder.objects.select_related("department")
        ],
        key=repr,
    )
    comments = sorted(
        [
            (c.dataset_id, c.author.username, c.state, c.text, c.rating, c.reply)
            for c in Comment.objects.select_related("author")
        ],
        key=repr,
    )
    return {
        "orders": orders,
        "comments": comments,
        "follows": sorted(Follow.objects.values_list("user__username", "dataset_id")),
        "steps": sorted(WorkOrderStep.objects.values_list("action", flat=True)),
        # The rest of the build notifies too (the tables it publishes reach their followers): not compared.
        "notifications": sorted(
            Notification.objects.filter(event__regex=r"^(workorder|comment)_").values_list(
                "recipient__username", "event"
            )
        ),
    }


def test_history_through_the_services(client, demo: dict[str, Any]) -> None:
    history = demo["history"]
    assert history["work_orders"] == WorkOrder.objects.count() >= 30
    assert history["comments"] == Comment.objects.count() >= 50

    # Built by the services: each object has its audit event, each order its opening steps.
    audited = dict(
        AuditEvent.objects.filter(
            action__in=["comment_submit", "work_order_open", "public_request_submit", "error_report_submit"]
        )
        .values_list("action")
        .annotate(n=Count("id"))
    )
    assert audited["comment_submit"] == Comment.objects.count()
    assert audited["work_order_open"] == WorkOrder.objects.count()
    assert audited["public_request_submit"] == PublicRequest.objects.count()
    assert audited["error_report_submit"] == ErrorReport.objects.count()
    assert WorkOrderStep.objects.filter(action="opened").count() == WorkOrder.objects.count()

    # Every state, and the ways there.
    assert set(WorkOrder.objects.values_list("state", flat=True)) == set(WorkOrder.State.values)
    assert set(WorkOrder.objects.values_list("kind", flat=True)) == set(WorkOrder.Kind.values)
    today = clock.today()
    overdue = WorkOrder.objects.filter(state="open", deadline__lt=today)
    assert overdue.exists()
    assert not overdue.filter(escalated_at__isnull=True).exists()  # the scheduler escalated each of them
    assert WorkOrderStep.objects.filter(action="escalated", work_order__in=overdue).count() >= overdue.count()
    assert WorkOrder.objects.filter(state="open", deadline__gte=today).exists()  # and some are not yet due
    assert WorkOrder.objects.filter(transfer_count__gt=0).exists()
    assert WorkOrder.objects.filter(reopen_count__gt=0).exists()
    assert WorkOrder.objects.filter(rating__isnull=False).exists()
    assert WorkOrderStep.objects.filter(
        action="closed", actor__isnull=True
    ).exists()  # closed by the scheduler
    assert WorkOrderStep.objects.filter(action="reminded").exists()
    assert WorkOrder.objects.filter(kind="data_request", answer_dataset__isnull=False).exists()  # fulfilled
    assert WorkOrder.objects.filter(kind="data_request", answer_dataset__isnull=True, state="closed").exists()
    assert WorkOrder.objects.filter(department__isnull=True).exists()  # the bureau's desk
    assert WorkOrder.objects.filter(department__isnull=False).exists()
    assert DomainLead.objects.count() >= 10

    # Comments: published (many answered by the department), waiting, rejected with a reason.
    assert set(Comment.objects.values_list("state", flat=True)) == {"published", "pending", "rejected"}
    assert Comment.objects.filter(state="published").count() > Comment.objects.count() / 2
    assert Comment.objects.filter(state="published").exclude(reply="").exists()
    assert not Comment.objects.filter(state="rejected", moderation_reason="").exists()
    assert Comment.objects.filter(rating__isnull=False).exists()
    assert Follow.objects.exists()

    # Twelve months, nothing in the future.
    now = clock.now()
    created = list(WorkOrder.objects.values_list("created_at", flat=True))
    created += list(Comment.objects.values_list("created_at", flat=True))
    assert max(created) < now
    assert min(created) > now - datetime.timedelta(days=366)
    months = {(c.year, c.month) for c in created}
    assert len(months) >= 10, months

    # Notifications: the staff and the requesters have them, dated with the events.
    for username in ("officer", "reviewer"):
        mine = Notification.objects.filter(recipient__username=username)
        assert mine.exists(), username
    assert Notification.objects.filter(event="workorder_overdue").exists()
    assert Notification.objects.filter(event="workorder_answered").exists()
    assert Notification.objects.filter(event="comment_received").exists()
    assert Notification.objects.filter(created_at__lt=now - datetime.timedelta(days=90)).exists()
    # Sample accounts are labelled as such and cannot log in.
    extra = User.objects.filter(username__startswith="demo_citizen_")
    assert extra.count() >= 12
    assert all("示例" in u.display_name and not u.has_usable_password() for u in extra)

    # The public list shows the requests, with their titles.
    page = client.get("/requests/")
    assert page.status_code == 200
    newest = PublicRequest.objects.order_by("-created_at", "-id").first()
    assert newest is not None and newest.title in page.content.decode()


def test_history_is_deterministic(demo: dict[str, Any]) -> None:
    first = _snapshot()
    users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in PERSONAS] + [LOADER])}
    with transaction.atomic():
        ErrorReport.objects.all().delete()
        PublicRequest.objects.all().delete()
        WorkOrder.objects.all().delete()
        Comment.objects.all().delete()
        Follow.objects.all().delete()
        Notification.objects.filter(event__regex=r"^(workorder|comment)_").delete()
        History(users=users, scale=0.1).build()
        assert _snapshot() == first
        transaction.set_rollback(True)
