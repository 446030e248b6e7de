"""Reads of public interaction. The public sees published comments and every request's public page; a
pending or rejected comment is seen only by its author and its moderators."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kaifang.catalog.models import Dataset
from kaifang.core.actors import roles_of
from kaifang.core.errors import NotFound
from kaifang.interaction import permissions as perm
from kaifang.interaction.models import Comment, ErrorReport, Follow, PublicRequest

PAGE_SIZE = 20
_DB_INT_MAX = 2**63 - 1  # a larger key names no row, and SQLite's driver would overflow on it


def _key(pk: Any) -> int:
    if not isinstance(pk, int) or not 0 < pk <= _DB_INT_MAX:
        raise NotFound()
    return pk


def rating_summary(dataset: Dataset) -> dict[str, Any]:
    """The average star rating over published comments that carry one, and how the stars spread."""
    rows = (
        Comment.objects.filter(dataset=dataset, state=Comment.State.PUBLISHED, rating__isnull=False)
        .values("rating")
        .annotate(n=Count("id"))
    )
    spread = {star: 0 for star in range(5, 0, -1)}
    for row in rows:
        spread[row["rating"]] = row["n"]
    count = sum(spread.values())
    average = round(sum(star * n for star, n in spread.items()) / count, 1) if count else None
    return {"average": average, "count": count, "spread": spread}


def ratings_by_dataset(dataset_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Average and count per dataset, for lists and statistics."""
    rows = (
        Comment.objects.filter(
            dataset_id__in=dataset_ids, state=Comment.State.PUBLISHED, rating__isnull=False
        )
        .values("dataset_id")
        .annotate(average=Avg("rating"), count=Count("id"))
    )
    return {r["dataset_id"]: {"average": round(r["average"], 1), "count": r["count"]} for r in rows}


def comments_for(actor: Any, dataset: Dataset) -> QuerySet[Comment]:
    """Published comments, plus the actor's own that are not public (marked by state), newest first."""
    visible = Q(state=Comment.State.PUBLISHED)
    if getattr(actor, "is_authenticated", False):
        visible |= Q(author_id=actor.pk)
    return Comment.objects.filter(visible, dataset=dataset).select_related("author")


def get_comment_for(actor: Any, pk: int) -> Comment:
    """One comment the actor may see: published on a dataset they see, their own, or one they moderate."""
    from kaifang.catalog.permissions import datasets_visible_to

    comment = Comment.objects.select_related("dataset", "author").filter(pk=_key(pk)).first()
    if comment is None:
        raise NotFound()
    if getattr(actor, "is_authenticated", False) and comment.author_id == actor.pk:
        return comment
    if perm.may_moderate(actor, comment.dataset):
        return comment
    if (
        comment.state == Comment.State.PUBLISHED
        and datasets_visible_to(actor).filter(pk=comment.dataset_id).exists()
    ):
        return comment
    raise NotFound()


def moderation_queue(actor: Any) -> QuerySet[Comment]:
    """Pending comments in the actor's scope, oldest first."""
    return (
        perm.moderation_scope(actor)
        .filter(state=Comment.State.PENDING)
        .select_related("dataset", "author")
        .order_by("created_at", "id")
    )


def unanswered_comments(actor: Any) -> QuerySet[Comment]:
    """Published comments on the actor's departments' datasets that have no reply yet (the workbench)."""
    ids = roles_of(actor).officer_department_ids
    return (
        Comment.objects.filter(dataset__department_id__in=ids, state=Comment.State.PUBLISHED, reply="")
        .select_related("dataset", "author")
        .order_by("created_at", "id")
    )


def is_following(actor: Any, dataset: Dataset) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    return Follow.objects.filter(user_id=actor.pk, dataset=dataset).exists()


def follower_count(dataset: Dataset) -> int:
    return Follow.objects.filter(dataset=dataset).count()


def error_reports_by(actor: Any, dataset: Dataset) -> QuerySet[ErrorReport]:
    if not getattr(actor, "is_authenticated", False):
        return ErrorReport.objects.none()
    return ErrorReport.objects.filter(reporter_id=actor.pk, dataset=dataset).select_related("work_order")


_DOMAIN_CODE = re.compile(r"[A-Za-z0-9_\-]{1,16}")


def domain_code(value: Any) -> str:
    """A domain code as written in the vocabulary, or "" (also for text no database may be asked about: a NUL
    byte makes PostgreSQL refuse the query)."""
    text = str(value or "")
    return text if _DOMAIN_CODE.fullmatch(text) else ""


@dataclass
class RequestQuery:
    kind: str = ""
    status: str = ""
    department: int | None = None
    domain: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> RequestQuery:
        from kaifang.operations.models import WorkOrder

        kind = str(params.get("kind") or "")
        status = str(params.get("status") or "")
        department = str(params.get("department") or "")
        try:
            page = max(1, min(int(params.get("page") or 1), 10_000))
        except (TypeError, ValueError):
            page = 1
        return cls(
            kind=kind if kind in PublicRequest.Kind.values else "",
            status=status if status in WorkOrder.State.values else "",
            department=int(department) if department.isdigit() and len(department) < 12 else None,
            domain=domain_code(params.get("domain")),
            page=page,
        )

    def params(self) -> dict[str, Any]:
        out = {"kind": self.kind, "status": self.status, "department": self.department, "domain": self.domain}
        return {k: v for k, v in out.items() if v}


def _public_work_orders(query: RequestQuery) -> QuerySet[Any]:
    """The work orders of public requests that match the filters. Every filter and the order are columns of
    the work-order table (a request's kind, domain and department are its work order's), so the list's
    count and page come from one indexed table: joining the requests in for them took tens of milliseconds
    at 100,000 orders (bench/workbench_bench.py)."""
    from kaifang.catalog.models import Concept
    from kaifang.operations.models import WorkOrder

    # "not an error report" rather than "one of four kinds": the planner then walks the creation-time index in
    # order instead of sorting four ranges.
    qs = WorkOrder.objects.exclude(kind=WorkOrder.Kind.ERROR_REPORT)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.status:
        qs = qs.filter(state=query.status)
    if query.department:
        qs = qs.filter(department_id=query.department)
    if query.domain:
        domain = Concept.objects.filter(scheme=Concept.Scheme.DOMAIN, code=query.domain).values_list(
            "pk", flat=True
        )
        qs = qs.filter(domain_id__in=list(domain))
    return qs


# What a row of the public list shows (_request_rows.html). Building whole requesters, datasets and domains
# for twenty rows was 6 ms of the page, more than its queries (bench/workbench_bench.py).
LIST_ROW_FIELDS = (
    "id",
    "title",
    "kind",
    "created_at",
    "work_order__id",
    "work_order__state",
    "work_order__department__id",
    "work_order__department__name",
)


def _requests_of(work_order_ids: list[int], *, rows_only: bool = False) -> list[PublicRequest]:
    qs = PublicRequest.objects.filter(work_order_id__in=work_order_ids).order_by()
    if rows_only:
        qs = qs.select_related("work_order", "work_order__department").only(*LIST_ROW_FIELDS)
    else:
        qs = qs.select_related(
            "work_order", "work_order__department", "domain", "requester", "work_order__answer_dataset"
        )
    found = {r.work_order_id: r for r in qs}
    return [found[i] for i in work_order_ids if i in found]


def public_requests(
    query: RequestQuery, *, limit: int = PAGE_SIZE, offset: int = 0, rows_only: bool = False
) -> list[PublicRequest]:
    """Every request, for everyone, newest first: the public list (the requester's name is the page's
    business). `rows_only`: just what a row of the HTML list shows."""
    ids = list(
        _public_work_orders(query)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[offset : offset + limit]
    )
    return _requests_of(ids, rows_only=rows_only)


def public_requests_count(query: RequestQuery) -> int:
    return _public_work_orders(query).count()


def public_requests_page(
    query: RequestQuery, size: int = PAGE_SIZE, total: int | None = None, rows_only: bool = False
) -> dict[str, Any]:
    """A page of the list; `total` when the caller already knows the count for these filters."""
    if total is None:
        total = public_requests_count(query)
    pages = max(1, -(-total // size))
    page = min(query.page, pages)
    # Nothing to page through: asking anyway walked the whole creation-time index looking for a match.
    items = public_requests(query, limit=size, offset=(page - 1) * size, rows_only=rows_only) if total else []
    return {"items": items, "total": total, "page": page, "pages": pages, "size": size}


def request_counts() -> dict[str, Any]:
    """Counts for the hub: per kind, and per state of the work orders."""
    by_kind = dict(PublicRequest.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    by_state = dict(
        PublicRequest.objects.values_list("work_order__state")
        .annotate(n=Count("id"))
        .values_list("work_order__state", "n")
    )
    return {
        "total": sum(by_kind.values()),
        "kinds": [
            {"code": k, "label": label, "count": by_kind.get(k, 0)} for k, label in PublicRequest.Kind.choices
        ],
        "states": by_state,
        "comments": Comment.objects.filter(state=Comment.State.PUBLISHED).count(),
        "error_reports": ErrorReport.objects.count(),
    }


def filter_options() -> dict[str, Any]:
    """The departments and domains named by any request, for the list's filters."""
    from kaifang.catalog.models import Concept
    from kaifang.operations.models import WorkOrder
    from kaifang.tenancy.models import Department

    # One probe of the work-order index per department, instead of reading every request's department.
    departments = Department.objects.filter(
        Exists(WorkOrder.objects.filter(department_id=OuterRef("pk"), kind__in=PublicRequest.Kind.values))
    ).order_by("region__code", "seq")
    domains = Concept.objects.filter(scheme=Concept.Scheme.DOMAIN).order_by("order", "code")
    return {"departments": list(departments), "domains": list(domains)}


def get_request_for(actor: Any, pk: int) -> PublicRequest:
    """Every request has a public page; a missing one is 404."""
    req = (
        PublicRequest.objects.select_related(
            "work_order",
            "work_order__department",
            "work_order__answer_dataset",
            "domain",
            "department_hint",
            "requester",
        )
        .filter(pk=_key(pk))
        .first()
    )
    if req is None:
        raise NotFound()
    return req


def requester_label(req: PublicRequest, viewer: Any = None) -> str:
    """What the public page says about who asked: the name only if the requester chose to show it."""
    if req.show_name:
        user = req.requester
        return user.display_name or user.get_username()
    if viewer is not None and perm.is_requester(viewer, req):
        return _("匿名用户（您本人，他人看不到您的姓名）")
    return _("匿名用户")


def answer_dataset_for(actor: Any, req: PublicRequest) -> Dataset | None:
    """The dataset that fulfils a data request, if the viewer may see it."""
    from kaifang.catalog.permissions import datasets_visible_to

    ds = req.work_order.answer_dataset
    if ds is None or not datasets_visible_to(actor).filter(pk=ds.pk).exists():
        return None
    return ds


def requests_of(actor: Any) -> QuerySet[PublicRequest]:
    if not getattr(actor, "is_authenticated", False):
        return PublicRequest.objects.none()
    return PublicRequest.objects.filter(requester_id=actor.pk).select_related("work_order")


def reportable_fields(dataset: Dataset) -> list[Any]:
    """The fields an error report may name: those the public sees."""
    from kaifang.catalog.choices import OpenAttribute

    return [f for f in dataset.fields.all() if f.open_attribute != OpenAttribute.CLOSED]


def masked_name(user: Any) -> str:
    """How a commenter appears to the public: the first character of their name and stars."""
    name = (getattr(user, "display_name", "") or user.get_username() or "").strip()
    return (name[:1] + "**") if name else _("匿名用户")
