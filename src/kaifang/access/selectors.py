"""Reads of conditional access: an actor's usable grant for a dataset, queues, and the X3 chain."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaifang.access.models import AccessApplication, AccessGrant
from kaifang.access.permissions import applications_visible_to
from kaifang.catalog.models import Dataset
from kaifang.core.actors import roles_of
from kaifang.core.audit import audit_history
from kaifang.core.errors import NotFound


def usable_grant(actor: Any, dataset: Dataset) -> AccessGrant | None:
    """The grant that lets this actor use this dataset's data now (active, in period, reports not overdue)."""
    from kaifang.access.identity import grants_of

    roles = roles_of(actor)
    if not roles.authenticated:
        return None
    # Read once per access generation (a revocation, a new grant or a report moves it); the period and an
    # overdue report are checked against the clock on every call.
    for grant in grants_of(actor, roles.user_id, dataset.pk):
        if grant.status() == "active":
            return grant
    return None


def get_application_for(actor: Any, pk: Any) -> AccessApplication:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    app = (
        applications_visible_to(actor)
        .select_related("dataset", "applicant", "agreement")
        .filter(pk=pk)
        .first()
    )
    if app is None:
        raise NotFound()
    return app


def applications_for(actor: Any, *, queue: bool = False) -> QuerySet[AccessApplication]:
    qs = applications_visible_to(actor).select_related("dataset", "applicant")
    if queue:
        roles = roles_of(actor)
        qs = qs.filter(
            dataset__department_id__in=roles.officer_department_ids, state__in=AccessApplication.OPEN_STATES
        )
        return qs.order_by("deadline", "id")
    return qs


def application_chain(application: AccessApplication) -> list[Any]:
    """Application → messages → grant → every recorded step and report, oldest first (X3)."""
    events = list(audit_history(application).order_by("created_at", "id"))
    grant = getattr(application, "grant", None) if hasattr(application, "grant") else None
    if grant is not None:
        events += list(audit_history(grant).order_by("created_at", "id"))
    return sorted(events, key=lambda e: (e.created_at, e.id))


def open_fields(dataset: Dataset) -> list[str]:
    """Fields that may be granted: those not closed outright."""
    from kaifang.catalog.choices import OpenAttribute

    return [f.name for f in dataset.fields.all() if f.open_attribute != OpenAttribute.CLOSED]


def call_logs(actor: Any, params: Any) -> QuerySet[Any]:
    """Filtered call logs: user (name), dataset (code), status, from/to dates (YYYY-MM-DD)."""
    import datetime as _dt

    from kaifang.access.permissions import call_logs_visible_to

    qs = call_logs_visible_to(actor).select_related("user")
    if params.get("user"):
        qs = qs.filter(user__username=params["user"][:150])
    if params.get("dataset"):
        qs = qs.filter(dataset_code=params["dataset"][:40])
    if params.get("status") and str(params["status"]).isdigit():
        qs = qs.filter(status=int(params["status"]))
    for key, lookup in (("from", "at__date__gte"), ("to", "at__date__lte")):
        try:
            if params.get(key):
                qs = qs.filter(**{lookup: _dt.date.fromisoformat(params[key])})
        except ValueError:
            continue
    return qs


def key_usage(user: Any, days: int = 30) -> dict[str, Any]:
    """The developer's own calls over the last days: per key, per dataset, and per day for a chart."""
    import datetime as _dt

    from django.db.models import Avg, Count, Sum
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from kaifang.access.models import CallLog

    since = timezone.now() - _dt.timedelta(days=days)
    qs = CallLog.objects.filter(user=user, at__gte=since)
    aggregates = {
        "calls": Count("id"),
        "rows": Sum("rows"),
        "bytes": Sum("bytes"),
        "errors": Count("id", filter=Q(status__gte=400)),
        "latency": Avg("latency_ms"),
    }
    per_key = list(qs.values("key_prefix").annotate(**aggregates).order_by("-calls"))
    per_dataset = list(qs.values("dataset_code").annotate(**aggregates).order_by("-calls")[:50])
    per_day = list(qs.annotate(day=TruncDate("at")).values("day").annotate(calls=Count("id")).order_by("day"))
    return {
        "days": days,
        "per_key": per_key,
        "per_dataset": per_dataset,
        "chart": {"days": [d["day"].isoformat() for d in per_day], "calls": [d["calls"] for d in per_day]},
    }
