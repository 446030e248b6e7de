"""Periodic notices about grants: one before a grant expires, one when its usage report is overdue. Each is
sent once (notifications.dispatch.notify_once records its key with the message), however often the job runs
and on however many workers."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.access.models import AccessGrant
from kaifang.access.permissions import applications_visible_to
from kaifang.core import clock
from kaifang.core.periodic import periodic
from kaifang.notifications import events
from kaifang.notifications.dispatch import already_sent, notify_once

EXPIRY_NOTICE_DAYS = 7


def _sees(grant: AccessGrant) -> Any:
    return lambda user: applications_visible_to(user).filter(pk=grant.application_id).exists()


def _url(grant: AccessGrant) -> str:
    return reverse("access:detail", kwargs={"pk": grant.application_id})


def send_grant_expiry_notices() -> int:
    """Tell each grantee once that their grant ends within EXPIRY_NOTICE_DAYS (again if the end moves)."""
    today = clock.today()
    grants = AccessGrant.objects.filter(
        revoked_at__isnull=True,
        valid_until__gte=today,
        valid_until__lte=today + datetime.timedelta(days=EXPIRY_NOTICE_DAYS),
    ).select_related("dataset", "grantee")
    sent = 0
    for grant in grants:
        key = f"access_grant_expiring:{grant.pk}:{grant.valid_until.isoformat()}"
        if already_sent(key):
            continue
        with transaction.atomic():
            sent += bool(
                notify_once(
                    key,
                    recipients=[grant.grantee],
                    event=events.ACCESS_GRANT_EXPIRING,
                    subject=_("数据使用授权即将到期：%(t)s") % {"t": grant.dataset.title},
                    body=_("您对“%(t)s”的使用授权将于 %(d)s 到期。如需继续使用，请在到期前重新提交申请。")
                    % {"t": grant.dataset.title, "d": grant.valid_until.isoformat()},
                    url=_url(grant),
                    visible=_sees(grant),
                )
            )
    return sent


def send_report_overdue_notices() -> int:
    """Tell each grantee once per missed due date that a usage report is overdue (the grant is suspended
    until one is submitted)."""
    now = clock.now()
    today = timezone.localdate(now)
    grants = (
        AccessGrant.objects.filter(revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today)
        .annotate(last_report_at=Max("reports__submitted_at"))
        .select_related("dataset", "grantee")
    )
    sent = 0
    for grant in grants:
        due = grant.report_due()
        if due is None or due >= now:
            continue
        key = f"access_report_overdue:{grant.pk}:{timezone.localdate(due).isoformat()}"
        if already_sent(key):
            continue
        with transaction.atomic():
            sent += bool(
                notify_once(
                    key,
                    recipients=[grant.grantee],
                    event=events.ACCESS_REPORT_OVERDUE,
                    subject=_("数据利用报告已逾期：%(t)s") % {"t": grant.dataset.title},
                    body=_("您对“%(t)s”的数据利用报告应于 %(d)s 前提交，授权已暂停，提交报告后恢复。")
                    % {"t": grant.dataset.title, "d": timezone.localdate(due).isoformat()},
                    url=_url(grant),
                    visible=_sees(grant),
                )
            )
    return sent


@periodic("access.grant_notices", every=datetime.timedelta(hours=1))
def grant_notices() -> object:
    return {"expiring": send_grant_expiry_notices(), "report_overdue": send_report_overdue_notices()}
