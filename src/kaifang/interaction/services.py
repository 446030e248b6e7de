"""Public interaction (P5): every state change one audited service.

Comments: pending → published | rejected (a published one can be taken down, a rejected one published after
all); the department replies, publicly. Error reports and requests open a work order (operations), which
routes them and carries their status and answer; the requester reopens, closes, rates or withdraws it here.
Submissions are rate limited per account and per client address (spam)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kaifang.catalog.models import Concept, Dataset
from kaifang.core import clock
from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, InvalidTransition, ValidationFailed
from kaifang.core.ratelimit import RateLimited, Window, check
from kaifang.interaction import permissions as perm
from kaifang.interaction.models import (
    COMMENT_MAX,
    REQUEST_BODY_MAX,
    REQUEST_TITLE_MAX,
    Comment,
    ErrorReport,
    Follow,
    PublicRequest,
)
from kaifang.privacy.text import mask_identifiers
from kaifang.tenancy.models import Department

# Submissions (comments, error reports, requests) one account, and one client address (several people can
# share one), may make: a burst window against scripts, a daily one against slow floods.
ACCOUNT_WINDOWS = [Window("burst", 600, 5), Window("day", 86400, 30)]
ADDRESS_WINDOWS = [Window("burst", 600, 20), Window("day", 86400, 120)]
# The work order carries the body and the purpose together, within its own limit of 5000 characters.
PURPOSE_MAX = 900
# NUL cannot be stored by PostgreSQL; other control characters only hide text from moderators.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _clean(value: Any) -> str:
    return _CONTROL.sub("", str(value or "")).strip()


def _text(value: Any, key: str, label: str, errors: dict[str, str], limit: int, required: bool = True) -> str:
    text = _clean(value)
    if required and not text:
        errors[key] = _("请填写%(label)s。") % {"label": label}
    elif len(text) > limit:
        errors[key] = _("%(label)s不能超过%(n)s个字（现有%(m)s个字）。") % {
            "label": label,
            "n": limit,
            "m": len(text),
        }
    return text


def _throttle(actor: Any, address: str | None) -> None:
    """Count one submission against the account and the address; refuse with a clear message when either
    has made too many."""
    if not getattr(settings, "KAIFANG_RATELIMIT_ENABLED", True):
        return
    # Windows follow the platform clock, so the demo's history, written through these services at past
    # moments, is counted where it happened rather than all at once now.
    now = clock.now().timestamp()
    try:
        check(f"interaction:user:{actor.pk}", ACCOUNT_WINDOWS, now=now)
    except RateLimited as exc:
        raise RateLimited(
            exc.usage,
            _("您的账号提交过于频繁，请在%(s)s秒后再试。") % {"s": exc.usage.reset},
        ) from None
    if address:
        try:
            check(f"interaction:addr:{address}", ADDRESS_WINDOWS, now=now)
        except RateLimited as exc:
            raise RateLimited(
                exc.usage,
                _("您所在网络地址的提交过于频繁，请在%(s)s秒后再试。") % {"s": exc.usage.reset},
            ) from None


def _officers_of(department_id: int) -> Any:
    from kaifang.operations.selectors import officers_of

    return officers_of(department_id)


def _sees(dataset: Dataset) -> Any:
    from kaifang.catalog.permissions import datasets_visible_to

    return lambda user: datasets_visible_to(user).filter(pk=dataset.pk).exists()


def _dataset_url(dataset: Dataset) -> str:
    from kaifang.catalog.codes import slug_for_code

    return f"/datasets/{slug_for_code(dataset.code)}/"


def _lock(comment: Comment) -> Comment:
    return Comment.objects.select_for_update().select_related("dataset").get(pk=comment.pk)


# Comments ------------------------------------------------------------------------------------------------


@transaction.atomic
def comment_submit(
    *, actor: Any, dataset: Dataset, text: Any, rating: Any = None, address: str | None = None
) -> Comment:
    _require(perm.can_comment_submit(actor, dataset))
    errors: dict[str, str] = {}
    body = _text(text, "text", _("评论内容"), errors, COMMENT_MAX)
    stars = None
    if rating not in (None, ""):
        try:
            stars = int(rating)
        except (TypeError, ValueError):
            stars = 0
        if not 1 <= stars <= 5:
            errors["rating"] = _("评分须为1到5星。")
    if errors:
        raise ValidationFailed(details=errors)
    _throttle(actor, address)
    # Public once moderated: stored with personal identifiers masked (X5).
    comment = Comment.objects.create(dataset=dataset, author=actor, text=mask_identifiers(body), rating=stars)
    audit_record(
        actor=actor,
        action="comment_submit",
        target=comment,
        after={"dataset": dataset.code, "rating": stars},
        changes_catalog=False,
    )
    return comment


@transaction.atomic
def comment_moderate(*, actor: Any, comment: Comment, decision: str, reason: str = "") -> Comment:
    """Publish or reject a comment (a rejection says why)."""
    comment = _lock(comment)
    _require(perm.can_comment_moderate(actor, comment))
    reason = _clean(reason)
    if decision not in ("publish", "reject"):
        raise ValidationFailed(details={"decision": _("请选择公开或不予公开。")})
    if decision == "reject" and not reason:
        raise ValidationFailed(details={"reason": _("不予公开须说明理由。")})
    if len(reason) > 500:
        raise ValidationFailed(details={"reason": _("理由不能超过500个字。")})
    target = Comment.State.PUBLISHED if decision == "publish" else Comment.State.REJECTED
    if comment.state == target:
        raise InvalidTransition()
    first_publication = target == Comment.State.PUBLISHED and comment.moderated_at is None
    before = comment.state
    comment.state = target
    comment.moderation_reason = reason
    comment.moderated_by = actor
    comment.moderated_at = clock.now()
    comment.save(update_fields=["state", "moderation_reason", "moderated_by", "moderated_at"])
    audit_record(
        actor=actor,
        action=f"comment_{decision}",
        target=comment,
        reason=reason,
        before={"state": before},
        after={"state": target},
        changes_catalog=False,
    )
    if first_publication:
        from kaifang.notifications.dispatch import notify

        dataset = comment.dataset
        notify(
            recipients=_officers_of(dataset.department_id),
            event="comment_received",
            subject=_("您部门的数据资源“%(title)s”收到一条新评论") % {"title": dataset.title},
            body=comment.text[:500],
            url=_dataset_url(dataset) + "#comments",
            visible=_sees(dataset),
            exclude=actor,
        )
    return comment


@transaction.atomic
def comment_reply(*, actor: Any, comment: Comment, text: Any) -> Comment:
    """The department's public reply (replacing an earlier one)."""
    comment = _lock(comment)
    _require(perm.can_comment_reply(actor, comment))
    if comment.state == Comment.State.REJECTED:
        raise InvalidTransition(_("未公开的评论不能回复。"))
    errors: dict[str, str] = {}
    reply = _text(text, "text", _("回复内容"), errors, COMMENT_MAX)
    if errors:
        raise ValidationFailed(details=errors)
    before = comment.reply
    comment.reply, comment.reply_by, comment.reply_at = reply, actor, clock.now()
    comment.save(update_fields=["reply", "reply_by", "reply_at"])
    audit_record(
        actor=actor,
        action="comment_reply",
        target=comment,
        before={"reply": before} if before else None,
        after={"reply": reply},
        changes_catalog=False,
    )
    if comment.state == Comment.State.PUBLISHED:
        from kaifang.notifications.dispatch import notify

        dataset = comment.dataset
        notify(
            recipients=[comment.author],
            event="comment_replied",
            subject=_("您对“%(title)s”的评论收到了部门回复") % {"title": dataset.title},
            body=reply[:500],
            url=_dataset_url(dataset) + "#comments",
            visible=_sees(dataset),
            exclude=actor,
        )
    return comment


# Follows -------------------------------------------------------------------------------------------------


@transaction.atomic
def dataset_follow(*, actor: Any, dataset: Dataset) -> Follow:
    """Follow a dataset (following twice is following once)."""
    _require(perm.can_dataset_follow(actor, dataset))
    existing = Follow.objects.filter(user_id=actor.pk, dataset=dataset).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            follow = Follow.objects.create(user=actor, dataset=dataset)
    except IntegrityError:  # a double click racing itself
        return Follow.objects.get(user_id=actor.pk, dataset=dataset)
    audit_record(
        actor=actor, action="dataset_follow", target=dataset, changes_catalog=False, after={"follow": True}
    )
    return follow


@transaction.atomic
def dataset_unfollow(*, actor: Any, dataset: Dataset) -> None:
    _require(perm.can_dataset_unfollow(actor, dataset))
    deleted, _rows = Follow.objects.filter(user_id=actor.pk, dataset=dataset).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="dataset_unfollow",
            target=dataset,
            changes_catalog=False,
            after={"follow": False},
        )


# Error reports and requests (work orders) -----------------------------------------------------------------


@transaction.atomic
def error_report_submit(
    *,
    actor: Any,
    dataset: Dataset,
    description: Any,
    field: Any = "",
    row_reference: Any = "",
    address: str | None = None,
) -> ErrorReport:
    """纠错: the field (its code or name, one the public sees) or the row, and what is wrong."""
    from kaifang.catalog.choices import OpenAttribute
    from kaifang.operations.models import WorkOrder
    from kaifang.operations.services import work_order_open

    _require(perm.can_error_report_submit(actor, dataset))
    errors: dict[str, str] = {}
    text = _text(description, "description", _("问题描述"), errors, COMMENT_MAX)
    row = _text(row_reference, "row_reference", _("行"), errors, 200, required=False)
    named = _clean(field)
    chosen = None
    if named:
        fields = dataset.fields.exclude(open_attribute=OpenAttribute.CLOSED)
        chosen = fields.filter(code=named).first() or fields.filter(name=named).first()
        if chosen is None:
            errors["field"] = _("请从该数据资源的信息项中选择。")
    if errors:
        raise ValidationFailed(details=errors)
    _throttle(actor, address)
    where = []
    if chosen is not None:
        where.append(_("信息项：%(name)s") % {"name": chosen.name})
    if row:
        where.append(_("行：%(row)s") % {"row": row})
    work_order = work_order_open(
        actor=actor,
        kind=WorkOrder.Kind.ERROR_REPORT,
        title=(_("数据纠错：%(title)s") % {"title": dataset.title})[:REQUEST_TITLE_MAX],
        body="\n".join([*where, text]),
        dataset=dataset,
    )
    report = ErrorReport.objects.create(
        dataset=dataset,
        reporter=actor,
        field=chosen,
        field_name=chosen.name if chosen else "",
        row_reference=row,
        description=text,
        work_order=work_order,
    )
    audit_record(
        actor=actor,
        action="error_report_submit",
        target=report,
        after={"dataset": dataset.code, "field": report.field_name, "work_order": work_order.pk},
        changes_catalog=False,
    )
    return report


@transaction.atomic
def public_request_submit(
    *,
    actor: Any,
    kind: str,
    title: Any,
    body: Any,
    purpose: Any = "",
    department: Department | None = None,
    domain: Concept | None = None,
    show_name: bool = False,
    address: str | None = None,
) -> PublicRequest:
    """A data request (its purpose required), consultation, suggestion or complaint; routed by the work
    order to the department named, else the domain's lead department, else the big data bureau."""
    from kaifang.operations.models import WorkOrder
    from kaifang.operations.services import work_order_open

    _require(perm.can_public_request_submit(actor))
    errors: dict[str, str] = {}
    if kind not in PublicRequest.Kind.values:
        errors["kind"] = _("请选择诉求类型。")
    head = _text(title, "title", _("标题"), errors, REQUEST_TITLE_MAX)
    text = _text(body, "body", _("内容"), errors, REQUEST_BODY_MAX)
    why = _text(
        purpose,
        "purpose",
        _("数据用途"),
        errors,
        COMMENT_MAX,
        required=kind == PublicRequest.Kind.DATA_REQUEST,
    )
    if domain is not None and domain.scheme != Concept.Scheme.DOMAIN:
        errors["domain"] = _("请选择数据领域。")
    if errors:
        raise ValidationFailed(details=errors)
    _throttle(actor, address)
    work_body = text if not why else f"{text}\n\n{_('数据用途')}：{why}"
    work_order = work_order_open(
        actor=actor,
        kind=WorkOrder.Kind(kind),
        title=head,
        body=work_body,
        domain=domain,
        department=department,
    )
    # The public page shows these: stored with personal identifiers masked (X5). The work order keeps the
    # text as written for the department that answers it.
    req = PublicRequest.objects.create(
        kind=kind,
        requester=actor,
        title=mask_identifiers(head),
        body=mask_identifiers(text),
        purpose=mask_identifiers(why),
        department_hint=department,
        domain=domain,
        show_name=bool(show_name),
        work_order=work_order,
    )
    audit_record(
        actor=actor,
        action="public_request_submit",
        target=req,
        after={"kind": kind, "work_order": work_order.pk, "show_name": req.show_name},
        changes_catalog=False,
    )
    return req


def _requester_step(actor: Any, req: PublicRequest, action: str, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        target=req,
        reason=reason,
        after={"state": req.work_order.state},
        changes_catalog=False,
    )


def _refresh(req: PublicRequest) -> PublicRequest:
    req.work_order.refresh_from_db()
    return req


@transaction.atomic
def public_request_reopen(*, actor: Any, request: PublicRequest, reason: Any) -> PublicRequest:
    from kaifang.operations.services import work_order_reopen

    _require(perm.can_public_request_reopen(actor, request))
    text = _clean(reason)
    work_order_reopen(actor=actor, work_order=request.work_order, reason=text)
    _requester_step(actor, _refresh(request), "public_request_reopen", text)
    return request


@transaction.atomic
def public_request_close(*, actor: Any, request: PublicRequest) -> PublicRequest:
    from kaifang.operations.services import work_order_close

    _require(perm.can_public_request_close(actor, request))
    work_order_close(actor=actor, work_order=request.work_order)
    _requester_step(actor, _refresh(request), "public_request_close")
    return request


@transaction.atomic
def public_request_rate(
    *, actor: Any, request: PublicRequest, rating: Any, comment: Any = ""
) -> PublicRequest:
    from kaifang.operations.services import work_order_rate

    _require(perm.can_public_request_rate(actor, request))
    work_order_rate(actor=actor, work_order=request.work_order, rating=rating, comment=_clean(comment))
    _requester_step(actor, _refresh(request), "public_request_rate")
    return request


@transaction.atomic
def public_request_withdraw(*, actor: Any, request: PublicRequest, reason: Any = "") -> PublicRequest:
    from kaifang.operations.services import work_order_withdraw

    _require(perm.can_public_request_withdraw(actor, request))
    text = _clean(reason)
    work_order_withdraw(actor=actor, work_order=request.work_order, reason=text)
    _requester_step(actor, _refresh(request), "public_request_withdraw", text)
    return request
