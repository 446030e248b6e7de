"""Periodic work-order jobs: reminders before the deadline, escalation after it, closing unconfirmed answers.

Each job finds its candidates and runs one service per order (one transaction each), so one bad order never
holds back the others and every step is audited like a person's. A job that runs twice does nothing twice:
the services refuse a second reminder or escalation of the same term.
"""

from __future__ import annotations

import datetime
import logging

from kaifang.core import clock
from kaifang.core.errors import DomainError
from kaifang.core.periodic import periodic
from kaifang.core.workdays import add_workdays, workdays_between

logger = logging.getLogger(__name__)
BATCH = 500


def _run(qs: object, service: object) -> int:
    done = 0
    for work_order in qs[:BATCH]:  # type: ignore[index]
        try:
            service(actor=None, work_order=work_order)  # type: ignore[operator]
        except DomainError:
            continue  # changed meanwhile (answered, withdrawn, already done by another worker)
        done += 1
    return done


@periodic("operations.work_order_reminders", every=datetime.timedelta(hours=1))
def send_reminders() -> int:
    """Open orders whose deadline is the next working day (or today), not yet reminded this term."""
    from kaifang.operations.models import WorkOrder
    from kaifang.operations.services import work_order_remind

    today = clock.today()
    qs = WorkOrder.objects.filter(
        state=WorkOrder.State.OPEN,
        reminded_at__isnull=True,
        deadline__gte=today,
        deadline__lte=add_workdays(today, 1),
    ).order_by("deadline", "id")
    return _run(qs, work_order_remind)


@periodic("operations.work_order_escalation", every=datetime.timedelta(hours=1))
def escalate_overdue() -> int:
    """Open orders past their deadline, not yet escalated this term."""
    from kaifang.operations.models import WorkOrder
    from kaifang.operations.services import work_order_escalate

    qs = WorkOrder.objects.filter(
        state=WorkOrder.State.OPEN, escalated_at__isnull=True, deadline__lt=clock.today()
    ).order_by("deadline", "id")
    return _run(qs, work_order_escalate)


@periodic("operations.work_order_auto_close", every=datetime.timedelta(hours=6))
def close_unconfirmed() -> int:
    """Answered orders the requester neither confirmed nor reopened within AUTO_CLOSE_WORKDAYS."""
    from django.utils import timezone

    from kaifang.operations.models import WorkOrder
    from kaifang.operations.services import AUTO_CLOSE_WORKDAYS, work_order_close

    today = clock.today()
    # Ten working days are at least fourteen calendar days: a cheap bound before the exact count.
    bound = clock.now() - datetime.timedelta(days=AUTO_CLOSE_WORKDAYS)
    candidates = WorkOrder.objects.filter(state=WorkOrder.State.ANSWERED, answered_at__lt=bound).order_by(
        "answered_at", "id"
    )
    due = [
        wo.pk
        for wo in candidates.only("pk", "answered_at")[:BATCH]
        if workdays_between(timezone.localdate(wo.answered_at), today) >= AUTO_CLOSE_WORKDAYS
    ]
    return _run(WorkOrder.objects.filter(pk__in=due).order_by("answered_at", "id"), work_order_close)
