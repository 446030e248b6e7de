"""The workbench (工作台) queues: one function per queue, each the actor's share of it, oldest first.

Every queue function takes the actor and returns a `Queue`: the total count and at most `limit` rows from
`offset`, so the workbench shows the head of each queue and its full list pages through the same function.
Scopes come from the apps' own permission helpers (`*_visible_to`, `review_queue_for`, `queue_for`), so a
workbench never shows more than the pages it links to would.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kaifang.access.models import AccessApplication, AccessGrant, ApplicationMessage
from kaifang.access.permissions import applications_visible_to
from kaifang.catalog import permissions as cperm
from kaifang.catalog.choices import CATALOGED_STATES, State, UpdateFrequency
from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Dataset, DuplicateFlag
from kaifang.core import clock
from kaifang.core.actors import roles_of
from kaifang.tabular.models import TableVersion

HEAD = 10  # rows of each queue on the workbench itself: a glance at each; the full list pages on
PAGE = 50  # rows per page of a queue's full list


@dataclass
class Row:
    """One item waiting on someone, in the same shape for every queue (and for the JSON twin)."""

    title: str
    url: str = ""
    ref: str = ""
    detail: str = ""
    state: str = ""
    since: datetime.date | None = None  # the day it started waiting
    deadline: datetime.date | None = None
    days_waiting: int = 0
    days_left: int | None = None  # negative: days overdue
    overdue: bool = False
    note: str = ""
    workdays: bool = False  # days_left counts working days (work orders)

    @property
    def days_overdue(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0

    # The labels are worked out here, not by translation tags in the row template: the workbench draws many
    # rows, and the tags were most of an uncached workbench's rendering (bench/workbench_bench.py).
    @property
    def waiting_label(self) -> str:
        if not self.since:
            return ""
        return ngettext("%(counter)s 天", "%(counter)s 天", self.days_waiting) % {
            "counter": self.days_waiting
        }

    @property
    def late_label(self) -> str:
        """ "Overdue n (working) days", on an overdue row."""
        if not (self.deadline and self.overdue):
            return ""
        n = {"n": self.days_overdue}
        return (_("逾期 %(n)s 个工作日") if self.workdays else _("逾期 %(n)s 天")) % n

    @property
    def left_label(self) -> str:
        """ "n (working) days left", on a row not yet due."""
        if not self.deadline or self.overdue or self.days_left is None:
            return ""
        n = {"n": self.days_left}
        return (_("剩 %(n)s 个工作日") if self.workdays else _("剩 %(n)s 天")) % n

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Queue:
    name: str
    total: int = 0
    rows: list[Row] = field(default_factory=list)
    offset: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "total": self.total,
            "offset": self.offset,
            "rows": [r.as_dict() for r in self.rows],
        }


def _day(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def row(
    title: str,
    *,
    since: Any = None,
    deadline: datetime.date | None = None,
    days_left: int | None = None,
    **kwargs: Any,
) -> Row:
    """A row with its waiting days and deadline state measured against the platform's clock."""
    today = clock.today()
    start = _day(since)
    if deadline is not None and days_left is None:
        days_left = (deadline - today).days
    return Row(
        title=title,
        since=start,
        deadline=deadline,
        days_waiting=max(0, (today - start).days) if start else 0,
        days_left=days_left,
        overdue=deadline is not None and deadline < today,
        **kwargs,
    )


def _bounded(name: str, qs: Any, to_row: Callable[[Any], Row], limit: int, offset: int) -> Queue:
    if not isinstance(qs, QuerySet):
        total = len(qs)
        items = list(qs[offset : offset + limit]) if total > offset else []
        return Queue(name=name, total=total, rows=[to_row(i) for i in items], offset=offset)
    # Most queues are short: one query for the head, and a count only when there is more than the head.
    # The ids in queue order first, then those rows: where no index gives the order, sorting narrow rows
    # instead of whole ones (with their texts and joined tables) halved a long queue's page.
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit + 1])
    total = offset + len(ids) if len(ids) <= limit and (ids or offset == 0) else qs.count()
    ids = ids[:limit]
    found = {item.pk: item for item in qs.filter(pk__in=ids).order_by()} if ids else {}
    items = [found[i] for i in ids if i in found]
    return Queue(name=name, total=total, rows=[to_row(i) for i in items], offset=offset)


def _url(name: str, *args: Any, default: str = "") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return default


def _dataset_url(ds: Dataset) -> str:
    return reverse("portal:dataset", kwargs={"slug": slug_for_code(ds.code)})


def _short(department: Any) -> str:
    return (department.short_name or department.name) if department is not None else _("大数据局")


# ---------------------------------------------------------------- officer


def _officer_ids(actor: Any) -> frozenset[int]:
    return roles_of(actor).officer_department_ids


def officer_applications(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Conditional-access applications the officer's departments must decide: submitted, or answered after a
    request for material; the 15-day deadline nearest first."""
    ids = _officer_ids(actor)
    answered = ApplicationMessage.objects.filter(application=OuterRef("pk"), author=OuterRef("applicant_id"))
    qs = (
        applications_visible_to(actor)
        .filter(dataset__department_id__in=ids, state=AccessApplication.State.SUBMITTED)
        .select_related("dataset", "applicant")
        .annotate(answered=Exists(answered))
        .order_by("deadline", "created_at", "id")
    )

    def to_row(a: AccessApplication) -> Row:
        who = a.organization_name or getattr(a.applicant, "display_name", "") or a.applicant.username
        return row(
            a.dataset.title,
            url=reverse("access:detail", kwargs={"pk": a.pk}),
            ref=f"#{a.pk}",
            detail=who,
            state=_("已补充材料") if a.answered else str(a.get_state_display()),
            since=a.created_at,
            deadline=a.deadline,
        )

    return _bounded("officer_applications", qs, to_row, limit, offset)


def _work_order_row(wo: Any) -> Row:
    from kaifang.operations.selectors import deadline_status, kind_label, state_label

    status = deadline_status(wo)
    days_left = -status["days_overdue"] if status["overdue"] else status["days_left"]
    state = state_label(wo)
    if wo.escalated_at:
        state = _("已督办")
    return row(
        wo.title,
        url=_url("operations:detail", wo.pk, default=f"/workorders/{wo.pk}/"),
        ref=wo.code,
        detail=f"{kind_label(wo)} · {_short(wo.department)}",
        state=state,
        since=wo.created_at,
        deadline=wo.deadline,
        days_left=days_left,
        workdays=True,
        note=_("期限按工作日计算，节假日安排未公布，暂按周一至周五计") if status["provisional"] else "",
    )


def officer_work_orders(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Open work orders routed to the officer's departments, the oldest deadline first (working days)."""
    from kaifang.operations.selectors import queue_for

    qs = (
        queue_for(actor)
        .filter(department_id__in=_officer_ids(actor))
        .order_by("deadline", "id")
    )
    return _bounded("officer_work_orders", qs, _work_order_row, limit, offset)


def _version_row(v: TableVersion) -> Row:
    return row(
        f"{v.dataset.title} · v{v.number}",
        url=_dataset_url(v.dataset),
        ref=v.dataset.code,
        detail=f"{_short(v.dataset.department)} · {v.source_name}"
        if v.source_name
        else _short(v.dataset.department),
        state=str(v.get_state_display()),
        since=v.created_at,
        note=_("%(rows)s 行") % {"rows": v.row_count},
    )


def officer_versions(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Data versions of the officer's datasets that passed validation and wait for a reviewer to publish."""
    qs = (
        TableVersion.objects.filter(
            state=TableVersion.State.VALIDATED, dataset__department_id__in=_officer_ids(actor)
        )
        .select_related("dataset__department")
        .order_by("created_at", "id")
    )
    return _bounded("officer_versions", qs, _version_row, limit, offset)


def _entry_row(ds: Dataset, note: str = "") -> Row:
    return row(
        ds.title,
        url=_dataset_url(ds),
        ref=ds.code,
        detail=_short(ds.department),
        state=str(ds.get_state_display()),
        since=ds.updated_at,
        note=note,
    )


def officer_returned(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Catalog entries a reviewer returned to the officer's departments, with the reason."""
    qs = (
        cperm.datasets_visible_to(actor)
        .filter(department_id__in=_officer_ids(actor), state=State.RETURNED)
        .select_related("department")
        .order_by("updated_at", "id")
    )
    return _bounded("officer_returned", qs, lambda d: _entry_row(d, d.return_reason), limit, offset)


def officer_drafts(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Entries the officer's departments registered and have not submitted yet."""
    qs = (
        cperm.datasets_visible_to(actor)
        .filter(department_id__in=_officer_ids(actor), state=State.DRAFT)
        .select_related("department")
        .order_by("updated_at", "id")
    )
    return _bounded("officer_drafts", qs, _entry_row, limit, offset)


# How long each declared update frequency allows between two updates. Realtime data is watched by the feeds;
# irregular and never-updated data has no due date.
PERIOD_DAYS = {
    UpdateFrequency.DAILY: 1,
    UpdateFrequency.WEEKLY: 7,
    UpdateFrequency.MONTHLY: 31,
    UpdateFrequency.QUARTERLY: 92,
    UpdateFrequency.SEMIANNUAL: 183,
    UpdateFrequency.ANNUAL: 366,
}


def overdue_datasets(scope: QuerySet[Dataset]) -> list[Dataset]:
    """Published datasets in `scope` whose last update (the newest published data version, else the publish
    date) is older than their declared update frequency allows, the longest overdue first. The due dates are
    worked out here from one grouped read: as SQL expressions they ran a Python date function per row inside
    SQLite, most of the officer workbench's uncached time."""
    today = clock.today()
    rows = (
        scope.filter(state__in=CATALOGED_STATES, update_frequency__in=list(PERIOD_DAYS))
        .annotate(
            last_version=Max("table_versions__published_at", filter=Q(table_versions__state="published"))
        )
        .values_list("pk", "update_frequency", "publish_date", "last_version")
    )
    late = []
    for pk, frequency, published, last_version in rows:
        last = timezone.localdate(last_version) if last_version else published
        if last is None:
            continue
        due = last + datetime.timedelta(days=PERIOD_DAYS[frequency])
        if due < today:
            late.append((due, pk, last))
    late.sort()
    return _LateDatasets(late)


class _LateDatasets:
    """The overdue datasets in order; slicing fetches only the datasets of the slice."""

    def __init__(self, late: list[tuple[datetime.date, int, datetime.date]]) -> None:
        self._late = late

    def __len__(self) -> int:
        return len(self._late)

    def __getitem__(self, part: slice) -> list[Dataset]:
        chosen = self._late[part]
        found = Dataset.objects.select_related("department").in_bulk([pk for _due, pk, _last in chosen])
        out = []
        for _due, pk, last in chosen:
            ds = found.get(pk)
            if ds is not None:
                ds.last_update = last
                out.append(ds)
        return out


def _overdue_dataset_row(ds: Any) -> Row:
    last = _day(ds.last_update)
    deadline = last + datetime.timedelta(days=PERIOD_DAYS[ds.update_frequency]) if last else None
    return row(
        ds.title,
        url=_dataset_url(ds),
        ref=ds.code,
        detail=f"{_short(ds.department)} · {ds.get_update_frequency_display()}",
        state=_("更新逾期"),
        since=last,
        deadline=deadline,
        note=_("上次更新 %(day)s") % {"day": last.isoformat() if last else "—"},
    )


def officer_overdue_datasets(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    scope = cperm.datasets_visible_to(actor).filter(department_id__in=_officer_ids(actor))
    qs = overdue_datasets(scope)
    return _bounded("officer_overdue_datasets", qs, _overdue_dataset_row, limit, offset)


def _comment_row(c: Any) -> Row:
    stars = f" · {'★' * c.rating}" if c.rating else ""
    return row(
        c.text[:80],
        url=_dataset_url(c.dataset) + f"#comment-{c.pk}",
        ref=str(c.pk),
        detail=f"{c.dataset.title}{stars}",
        state=str(c.get_state_display()),
        since=c.created_at,
    )


def _officer_comments(actor: Any) -> Any:
    from kaifang.interaction.models import Comment

    return Comment.objects.filter(dataset__department_id__in=_officer_ids(actor)).select_related("dataset")


def officer_comments(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Public comments on the officer's datasets that the department has not replied to yet."""
    from kaifang.interaction.models import Comment

    qs = _officer_comments(actor).filter(state=Comment.State.PUBLISHED, reply="").order_by("created_at", "id")
    return _bounded("officer_comments", qs, _comment_row, limit, offset)


def officer_pending_comments(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Comments on the officer's datasets waiting for moderation before anyone else sees them."""
    from kaifang.interaction.models import Comment

    qs = _officer_comments(actor).filter(state=Comment.State.PENDING).order_by("created_at", "id")
    return _bounded("officer_pending_comments", qs, _comment_row, limit, offset)


# ---------------------------------------------------------------- reviewer and county administrator


def _review_scope(actor: Any) -> Q | None:
    """The datasets a reviewer (city or county) reviews; None: none."""
    roles = roles_of(actor)
    if roles.city_reviewer:
        return Q()
    if roles.review_region_ids:
        return Q(region_id__in=roles.review_region_ids)
    return None


def review_entries(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Catalog entries awaiting review (new entries and revisions of published ones), the longest waiting first."""
    qs = cperm.review_queue_for(actor).select_related("department").order_by("updated_at", "id")
    return _bounded("review_entries", qs, _entry_row, limit, offset)


def review_versions(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Validated data versions in the reviewer's scope waiting for publication (not the reviewer's own uploads,
    which someone else must publish)."""
    scope = _review_scope(actor)
    if scope is None:
        qs: Any = TableVersion.objects.none()
    else:
        datasets = Dataset.objects.filter(scope).values("pk")
        qs = (
            TableVersion.objects.filter(state=TableVersion.State.VALIDATED, dataset_id__in=datasets)
            .exclude(created_by_id=roles_of(actor).user_id)
            .select_related("dataset__department")
            .order_by("created_at", "id")
        )
    return _bounded("review_versions", qs, _version_row, limit, offset)


def review_duplicates(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Open one-data-one-source flags the reviewer may settle (both entries in scope)."""
    scope = _review_scope(actor)
    if scope is None:
        qs: Any = DuplicateFlag.objects.none()
    else:
        datasets = Dataset.objects.filter(scope).values("pk")
        qs = (
            DuplicateFlag.objects.filter(
                status=DuplicateFlag.Status.OPEN, dataset_id__in=datasets, other_id__in=datasets
            )
            .select_related("dataset__department", "other__department")
            .order_by("created_at", "id")
        )

    def to_row(f: DuplicateFlag) -> Row:
        return row(
            f.item_key,
            url=reverse("portal:review") + f"#flag-{f.pk}",
            ref=str(f.pk),
            detail=f"{f.dataset.title}（{_short(f.dataset.department)}） / {f.other.title}（{_short(f.other.department)}）",
            state=str(f.get_status_display()),
            since=f.created_at,
        )

    return _bounded("review_duplicates", qs, to_row, limit, offset)


def county_overdue_work_orders(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Open work orders of the administrator's counties past their deadline, the most overdue first."""
    from kaifang.operations.models import WorkOrder
    from kaifang.operations.permissions import work_orders_visible_to

    regions = roles_of(actor).county_admin_region_ids
    qs = (
        work_orders_visible_to(actor)
        .filter(region_id__in=regions, state=WorkOrder.State.OPEN, deadline__lt=clock.today())
        .select_related("department", "region")
        .order_by("deadline", "id")
    )
    return _bounded("county_overdue_work_orders", qs, _work_order_row, limit, offset)


# ---------------------------------------------------------------- operator


FAILED_TASK_DAYS = 7


def operator_failed_tasks(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Background tasks that failed in the last week, the oldest failure first."""
    from django_tasks_db.models import DBTaskResult

    since = clock.now() - datetime.timedelta(days=FAILED_TASK_DAYS)
    qs = (
        DBTaskResult.objects.failed()
        .filter(finished_at__gte=since)
        .only("id", "task_path", "queue_name", "exception_class_path", "finished_at", "enqueued_at")
        .order_by("finished_at", "id")
    )

    def to_row(t: Any) -> Row:
        return row(
            t.task_path.rsplit(".", 1)[-1],
            url=_url("admin:django_tasks_db_dbtaskresult_change", t.pk),
            ref=str(t.pk)[:8],
            detail=t.task_path,
            state=t.exception_class_path.rsplit(".", 1)[-1] or _("失败"),
            since=t.finished_at,
            note=t.queue_name,
        )

    return _bounded("operator_failed_tasks", qs, to_row, limit, offset)


def operator_overdue_by_department(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Overdue open work orders counted per department (the bureau's desk included), the most first."""
    from kaifang.operations.selectors import overdue_by_department

    rows = overdue_by_department(actor)

    def to_row(r: dict[str, Any]) -> Row:
        return row(
            r["department"] or _("大数据局受理台"),
            url=_url("operations:overdue", default="/workorders/overdue/"),
            detail=r["region"],
            state=_("逾期 %(n)s 件") % {"n": r["count"]},
            note=_("已督办 %(n)s 件") % {"n": r["escalated"]} if r["escalated"] else "",
        )

    return _bounded("operator_overdue_by_department", rows, to_row, limit, offset)


def operator_health(actor: Any) -> dict[str, Any]:
    """Platform health at a glance: task queue lengths by status, the oldest waiting task, the mail outbox and
    the periodic jobs' last runs."""
    from django_tasks_db.models import DBTaskResult

    from kaifang.core.models import PeriodicJob

    by_status = {
        r["status"]: r["n"] for r in DBTaskResult.objects.values("status").annotate(n=Count("id")).order_by()
    }
    oldest = (
        DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    )
    now = clock.now()
    jobs = []
    for job in PeriodicJob.objects.order_by("name"):
        jobs.append(
            {
                "name": job.name,
                "last_started_at": job.last_started_at,
                "last_finished_at": job.last_finished_at,
                "due_at": job.due_at,
                "runs": job.runs,
                "failures": job.failures,
                "last_error": job.last_error[:500],
                # Due for more than an hour and not started: no worker is claiming it.
                "late": job.due_at < now - datetime.timedelta(hours=1),
            }
        )
    return {
        "tasks": {
            "ready": by_status.get("READY", 0),
            "running": by_status.get("RUNNING", 0),
            "failed": by_status.get("FAILED", 0),
            "successful": by_status.get("SUCCESSFUL", 0),
            "oldest_ready_at": oldest,
            "oldest_ready_minutes": int((now - oldest).total_seconds() // 60) if oldest else None,
        },
        "mail": mail_outbox(),
        "jobs": jobs,
    }


def mail_outbox() -> dict[str, Any] | None:
    """Pending and failed outgoing mail, or None while the outbox does not exist."""
    try:
        from kaifang.notifications.models import MailMessage  # type: ignore[attr-defined]
    except ImportError:
        return None
    by_state = {
        r["state"]: r["n"] for r in MailMessage.objects.values("state").annotate(n=Count("id")).order_by()
    }
    return {
        "pending": by_state.get("pending", 0),
        "failed": by_state.get("failed", 0),
        "sent": by_state.get("sent", 0),
    }


# ---------------------------------------------------------------- evaluator


def evaluator_indicators(actor: Any) -> dict[str, Any]:
    """The figures a third-party evaluation reads today, from the same selectors the public pages use."""
    from kaifang.catalog.selectors import stats
    from kaifang.operations.selectors import overdue_by_region
    from kaifang.portal.selectors import domains_with_counts
    from kaifang.tenancy.selectors import departments_with_progress

    departments = sorted(departments_with_progress(), key=lambda d: (-d.open_datasets, d.name))
    return {
        "stats": stats(),
        "domains": [
            {"code": d.code, "label": d.label, "group": d.group, "open_datasets": d.n}
            for d in domains_with_counts()
        ],
        "departments": [
            {
                "uscc": d.uscc,
                "name": d.name,
                "region": d.region.name,
                "open_datasets": d.open_datasets,
                "listed": d.listed,
                "cataloged": d.cataloged,
                "overdue": d.overdue,
                "rate": d.rate,
            }
            for d in departments
        ],
        "overdue_work_orders_by_region": overdue_by_region(actor),
    }


# ---------------------------------------------------------------- applicant (/me/)


def my_applications(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """The user's open applications, the nearest deadline first; a request for material shows its question."""
    roles = roles_of(actor)
    question = (
        ApplicationMessage.objects.filter(application=OuterRef("pk"))
        .exclude(author=OuterRef("applicant_id"))
        .order_by("-created_at", "-id")
        .values("body")[:1]
    )
    qs = (
        applications_visible_to(actor)
        .filter(applicant_id=roles.user_id, state__in=AccessApplication.OPEN_STATES)
        .select_related("dataset")
        .annotate(question=Subquery(question))
        .order_by("deadline", "created_at", "id")
    )

    def to_row(a: AccessApplication) -> Row:
        info = a.state == AccessApplication.State.INFO_REQUESTED
        return row(
            a.dataset.title,
            url=reverse("access:detail", kwargs={"pk": a.pk}),
            ref=f"#{a.pk}",
            state=str(a.get_state_display()),
            since=a.created_at,
            deadline=None if info else a.deadline,
            note=(_("请补充材料：%(q)s") % {"q": a.question[:200]}) if info and a.question else "",
        )

    return _bounded("my_applications", qs, to_row, limit, offset)


GRANT_STATUS = {
    "active": gettext_lazy("有效"),
    "pending": gettext_lazy("未生效"),
    "expired": gettext_lazy("已到期"),
    "suspended": gettext_lazy("暂停（利用报告逾期）"),
    "revoked": gettext_lazy("已撤销"),
}


def my_grants(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """The user's grants not revoked, the soonest to expire first."""
    qs = (
        AccessGrant.objects.filter(grantee_id=roles_of(actor).user_id, revoked_at__isnull=True)
        .select_related("dataset")
        .annotate(last_report_at=Max("reports__submitted_at"))
        .order_by("valid_until", "id")
    )

    def to_row(g: AccessGrant) -> Row:
        status = g.status()
        return row(
            g.dataset.title,
            url=reverse("access:detail", kwargs={"pk": g.application_id}),
            ref=f"#{g.application_id}",
            detail="、".join(g.fields),
            state=str(GRANT_STATUS.get(status, status)),
            since=g.valid_from,
            deadline=g.valid_until,
        )

    return _bounded("my_grants", qs, to_row, limit, offset)


def my_work_orders(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Requests the user filed that are not closed yet (open, or answered and waiting for the user's
    confirmation), the oldest first."""
    from kaifang.operations.models import WorkOrder
    from kaifang.operations.permissions import work_orders_visible_to

    qs = (
        work_orders_visible_to(actor)
        .filter(
            requester_id=roles_of(actor).user_id, state__in=[WorkOrder.State.OPEN, WorkOrder.State.ANSWERED]
        )
        .select_related("department")
        .order_by("created_at", "id")
    )
    return _bounded("my_work_orders", qs, _work_order_row, limit, offset)


def my_follows(actor: Any, limit: int = HEAD, offset: int = 0) -> Queue:
    """Datasets the user follows (that the user may still see), the most recently followed first."""
    from kaifang.interaction.models import Follow

    qs = (
        Follow.objects.filter(user_id=roles_of(actor).user_id, dataset__in=cperm.datasets_visible_to(actor))
        .select_related("dataset__department")
        .order_by("-created_at", "-id")
    )

    def to_row(f: Any) -> Row:
        ds = f.dataset
        return row(
            ds.title,
            url=_dataset_url(ds),
            ref=ds.code,
            detail=_short(ds.department),
            state=str(ds.get_state_display()),
            since=f.created_at,
            note=_("更新于 %(day)s") % {"day": ds.publish_date.isoformat()} if ds.publish_date else "",
        )

    return _bounded("my_follows", qs, to_row, limit, offset)


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class QueueSpec:
    name: str
    section: str
    title: Any
    function: Callable[..., Queue]
    full_list: str = ""  # an existing page that lists the whole queue (else the portal's own queue page)

    @property
    def url(self) -> str:
        return self.full_list or reverse(f"portal:queue_{self.name}")


def _specs() -> Iterable[QueueSpec]:
    return (
        QueueSpec("officer_applications", "officer", gettext_lazy("待审核的数据申请"), officer_applications),
        QueueSpec("officer_work_orders", "officer", gettext_lazy("本部门工单"), officer_work_orders),
        QueueSpec("officer_versions", "officer", gettext_lazy("待发布的数据版本"), officer_versions),
        QueueSpec("officer_returned", "officer", gettext_lazy("被退回的目录条目"), officer_returned),
        QueueSpec("officer_drafts", "officer", gettext_lazy("未提交的草稿"), officer_drafts),
        QueueSpec("officer_comments", "officer", gettext_lazy("待回复的公众评论"), officer_comments),
        QueueSpec(
            "officer_pending_comments",
            "officer",
            gettext_lazy("待审核的评论"),
            officer_pending_comments,
            "/interaction/moderation/",
        ),
        QueueSpec(
            "officer_overdue_datasets",
            "officer",
            gettext_lazy("超期未更新的数据资源"),
            officer_overdue_datasets,
        ),
        QueueSpec(
            "review_entries", "reviewer", gettext_lazy("待审核的目录条目"), review_entries, "/staff/review/"
        ),
        QueueSpec("review_versions", "reviewer", gettext_lazy("待发布的数据版本"), review_versions),
        QueueSpec(
            "review_duplicates",
            "reviewer",
            gettext_lazy("一数一源待裁定"),
            review_duplicates,
            "/staff/review/",
        ),
        QueueSpec(
            "county_overdue_work_orders",
            "county",
            gettext_lazy("本县市区逾期工单"),
            county_overdue_work_orders,
        ),
        QueueSpec(
            "operator_failed_tasks", "operator", gettext_lazy("近 7 天失败的后台任务"), operator_failed_tasks
        ),
        QueueSpec(
            "operator_overdue_by_department",
            "operator",
            gettext_lazy("各部门逾期工单"),
            operator_overdue_by_department,
            "/workorders/overdue/",
        ),
        QueueSpec("my_applications", "me", gettext_lazy("办理中的数据申请"), my_applications, "/access/"),
        QueueSpec("my_grants", "me", gettext_lazy("我的数据授权"), my_grants),
        QueueSpec("my_work_orders", "me", gettext_lazy("我提交的诉求与工单"), my_work_orders),
        QueueSpec("my_follows", "me", gettext_lazy("我关注的数据资源"), my_follows),
    )


QUEUES: dict[str, QueueSpec] = {s.name: s for s in _specs()}
STAFF_QUEUES = [s.name for s in QUEUES.values() if s.section != "me"]


def queues_of(section: str) -> list[QueueSpec]:
    return [s for s in QUEUES.values() if s.section == section]


def section(actor: Any, name: str, limit: int = HEAD) -> dict[str, Any]:
    """One workbench section: the head of each of its queues, plus the figures some sections show."""
    out: dict[str, Any] = {
        "name": name,
        "queues": [(spec, spec.function(actor, limit=limit)) for spec in queues_of(name)],
    }
    if name == "operator":
        out["health"] = operator_health(actor)
    elif name == "evaluator":
        out["indicators"] = evaluator_indicators(actor)
    elif name == "county":
        from kaifang.tenancy.models import Region
        from kaifang.tenancy.selectors import cataloging_rate

        regions = Region.objects.filter(
            pk__in=roles_of(actor).county_admin_region_ids, spatial_parent__isnull=True
        )
        out["regions"] = [{"region": r, "progress": cataloging_rate(region=r)} for r in regions]
    return out


# ---------------------------------------------------------------- auditor

AUDIT_PAGE = 50
MAX_PAGE = 200  # timelines merge two logs by offset; deeper history is reached by narrowing the dates
AUDIT_PARAMS = ("user", "key_prefix", "dataset", "action", "from", "to")


def audit_params(raw: Any) -> dict[str, Any]:
    """The auditor's search, cleaned: user (username), key_prefix (an API key's prefix; never the key itself), dataset (code), action (prefix of
    the audited action), from / to (YYYY-MM-DD; a malformed date is ignored and reported)."""
    out: dict[str, Any] = {k: str(raw.get(k, "") or "").strip()[:150] for k in AUDIT_PARAMS}
    out["invalid"] = []
    for key in ("from", "to"):
        if out[key]:
            try:
                out[key + "_date"] = datetime.date.fromisoformat(out[key])
            except ValueError:
                out["invalid"].append(key)
    return out


def page_number(value: Any) -> int:
    try:
        return max(1, min(int(value or 1), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def audit_events(actor: Any, params: dict[str, Any]) -> QuerySet[Any]:
    """Audit events matching the search, newest first; nothing for anyone who may not audit."""
    from kaifang.accounts.models import ApiKey, User
    from kaifang.core.models import AuditEvent
    from kaifang.portal.permissions import may_audit

    if not may_audit(actor):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if params.get("user"):
        ids = [str(pk) for pk in User.objects.filter(username=params["user"]).values_list("pk", flat=True)]
        qs = qs.filter(Q(actor__username=params["user"]) | Q(target_type="accounts.user", target_id__in=ids))
    if params.get("key_prefix"):
        ids = [
            str(pk) for pk in ApiKey.objects.filter(prefix=params["key_prefix"]).values_list("pk", flat=True)
        ]
        qs = qs.filter(target_type="accounts.apikey", target_id__in=ids)
    if params.get("dataset"):
        code = params["dataset"]
        pks = list(Dataset.objects.filter(code=code).values_list("pk", flat=True))
        scope = Q(target_type="catalog.dataset", target_id=code)
        for pk in pks:  # its data versions are keyed "<dataset id>:v<n>"
            scope |= Q(target_type="tabular.tableversion", target_id__startswith=f"{pk}:")
        qs = qs.filter(scope)
    if params.get("action"):
        qs = qs.filter(action__startswith=params["action"])
    if params.get("from_date"):
        qs = qs.filter(created_at__date__gte=params["from_date"])
    if params.get("to_date"):
        qs = qs.filter(created_at__date__lte=params["to_date"])
    return qs


def call_log_events(actor: Any, params: dict[str, Any]) -> QuerySet[Any]:
    """Calls to data matching the search (user, key, dataset, dates), newest first."""
    from kaifang.access.models import CallLog
    from kaifang.access.selectors import call_logs
    from kaifang.portal.permissions import may_audit

    if not may_audit(actor):
        return CallLog.objects.none()
    qs = call_logs(actor, {k: params.get(k, "") for k in ("user", "dataset")})
    if params.get("key_prefix"):
        qs = qs.filter(key_prefix=params["key_prefix"])
    if params.get("from_date"):
        qs = qs.filter(at__date__gte=params["from_date"])
    if params.get("to_date"):
        qs = qs.filter(at__date__lte=params["to_date"])
    return qs.order_by("-at", "-id")


def audit_event_dict(e: Any) -> dict[str, Any]:
    return {
        "source": "audit",
        "at": e.created_at,
        "id": e.pk,
        "user": e.actor.username if e.actor_id else "",
        "action": e.action,
        "target": f"{e.target_type}:{e.target_id}",
        "reason": e.reason[:500],
    }


def call_log_dict(c: Any) -> dict[str, Any]:
    return {
        "source": "call",
        "at": c.at,
        "id": c.pk,
        "user": c.user.username if c.user_id else "",
        "key_prefix": c.key_prefix,
        "dataset": c.dataset_code,
        "endpoint": c.endpoint,
        "method": c.method,
        "status": c.status,
        "rows": c.rows,
        "bytes": c.bytes,
        "ip": c.ip,
    }


TIMELINE_KINDS = ("user", "key_prefix", "dataset")


def timeline(actor: Any, kind: str, value: str, page: int = 1) -> dict[str, Any]:
    """One user's, key's or dataset's audit events and data calls merged, newest first, a page at a time."""
    params = audit_params({kind: value})
    events, calls = audit_events(actor, params), call_log_events(actor, params)
    end = page * AUDIT_PAGE
    # The page's rows are among the first `end` of each log; merge those and cut the page out.
    merged = sorted(
        [audit_event_dict(e) for e in events[:end]] + [call_log_dict(c) for c in calls[:end]],
        key=lambda item: item["at"],
        reverse=True,
    )
    total = events.count() + calls.count()
    return {
        "kind": kind,
        "value": value,
        "page": page,
        "total": total,
        "num_pages": min(MAX_PAGE, max(1, -(-total // AUDIT_PAGE))),
        "items": merged[end - AUDIT_PAGE : end],
    }


def newest_call_log_id() -> int:
    from kaifang.access.models import CallLog

    return CallLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
