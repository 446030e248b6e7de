"""Every state change of the catalog: one function each, one transaction each, audited.

Workflow (S6, S7): draft -> submitted -> in_review -> published -> (revision_in_review) -> withdrawn,
with returned-with-reasons from review. Each service checks its `can_<name>` first.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.catalog import permissions as perm
from kaifang.catalog import signals
from kaifang.catalog.choices import CATALOGED_STATES, State
from kaifang.catalog.codes import next_sequence, scheme
from kaifang.catalog.models import Concept, Dataset, DuplicateFlag, Field
from kaifang.catalog.rules import REVIEWED_KEYS, normalize_item_key, validate_dataset_input
from kaifang.core.audit import audit_record
from kaifang.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from kaifang.search.indexing import dataset_changed
from kaifang.tenancy.models import Department, ResponsibilityItem

SCALAR_KEYS = (
    "title",
    "title_en",
    "abstract",
    "resource_category",
    "format_category",
    "format_type",
    "share_type",
    "share_condition",
    "share_mode",
    "open_attribute",
    "open_condition",
    "legal_basis",
    "open_forms",
    "update_frequency",
    "sensitivity_grade",
    "related_codes",
    "contact_name",
    "contact_phone",
    "contact_email",
    "tags",
    "coordinate_system",
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _lock(dataset: Dataset) -> Dataset:
    """Re-read the row under a lock, so two writers serialise and the loser sees the winner's state."""
    return Dataset.objects.select_for_update().get(pk=dataset.pk)


def _check_version(current: Dataset, lock_version: int | None) -> None:
    if lock_version is not None and int(lock_version) != current.lock_version:
        raise Conflict()


def dataset_snapshot(ds: Dataset, *, with_fields: bool = True) -> dict[str, Any]:
    snap: dict[str, Any] = {k: getattr(ds, k) for k in SCALAR_KEYS}
    snap["state"] = ds.state
    snap["domain"] = ds.domain.code if ds.domain_id else None
    snap["theme"] = ds.theme.code if ds.theme_id else None
    snap["genre"] = ds.genre.code if ds.genre_id else None
    snap["service_objects"] = sorted(ds.service_objects.values_list("code", flat=True)) if ds.pk else []
    if with_fields:
        snap["fields"] = [_field_dict(f) for f in ds.fields.all()] if ds.pk else []
    return snap


def _field_dict(f: Field) -> dict[str, Any]:
    return {
        "name": f.name,
        "name_en": f.name_en,
        "data_type": f.data_type,
        "length": f.length,
        "is_primary_key": f.is_primary_key,
        "value_range": f.value_range,
        "share_type": f.share_type,
        "open_attribute": f.open_attribute,
        "sensitivity_grade": f.sensitivity_grade,
    }


def _concept(scheme_name: str, code: str, key: str, *, required: bool) -> Concept | None:
    if not code:
        if required:
            raise ValidationFailed(
                details={key: _("请选择%(label)s。") % {"label": Concept.Scheme(scheme_name).label}}
            )
        return None
    c = Concept.objects.filter(scheme=scheme_name, code=code).first()
    if c is None:
        raise ValidationFailed(
            details={
                key: _("%(label)s“%(v)s”不存在。") % {"label": Concept.Scheme(scheme_name).label, "v": code}
            }
        )
    return c


def _resolve_vocabulary(cleaned: dict[str, Any]) -> dict[str, Any]:
    objects = {
        "domain": _concept(Concept.Scheme.DOMAIN, cleaned["domain"], "domain", required=True),
        "theme": _concept(Concept.Scheme.THEME, cleaned["theme"], "theme", required=False),
        "genre": _concept(Concept.Scheme.GENRE, cleaned["genre"], "genre", required=False),
    }
    services = []
    for code in cleaned["service_objects"]:
        services.append(_concept(Concept.Scheme.SERVICE_OBJECT, code, "service_objects", required=True))
    objects["service_objects"] = services
    return objects


def _apply(ds: Dataset, cleaned: dict[str, Any], vocab: dict[str, Any]) -> None:
    for key in SCALAR_KEYS:
        setattr(ds, key, cleaned[key])
    ds.domain = vocab["domain"]
    ds.theme = vocab["theme"]
    ds.genre = vocab["genre"]


def _write_fields(ds: Dataset, fields: list[dict[str, Any]]) -> None:
    """Replace the fields; codes of surviving names are kept, new names get fresh, never-reused numbers."""
    existing = {f.name: f for f in ds.fields.all()}
    used = [scheme().validate_field(f.code)[1] for f in existing.values()]
    next_item = max(used, default=0)
    keep_codes: dict[str, str] = {}
    for item in fields:
        if item["name"] in existing:
            keep_codes[item["name"]] = existing[item["name"]].code
    ds.fields.all().delete()
    rows = []
    for seq, item in enumerate(fields, start=1):
        code = keep_codes.get(item["name"])
        if code is None:
            next_item += 1
            code = scheme().format_field(ds.code, next_item)
        rows.append(Field(dataset=ds, seq=seq, code=code, **item))
    Field.objects.bulk_create(rows)


def _classification_for(department: Department, category: str) -> str:
    s = scheme()
    item = next(iter(s.categories[category]["items"]))
    return s.classification_code(
        category=category,
        item=item,
        subitem=department.business_code,
        region=department.region.catalog_code,
        department_seq=department.seq,
    )


@transaction.atomic
def dataset_register(
    *, actor: Any, department: Department, data: dict[str, Any], is_sample: bool = False
) -> Dataset:
    """Register a new catalog entry as a draft and give it its permanent code."""
    _require(perm.can_dataset_register(actor, department))
    return _create(actor=actor, department=department, data=data, is_sample=is_sample)


def _create(
    *, actor: Any, department: Department, data: dict[str, Any], is_sample: bool = False, reason: str = ""
) -> Dataset:
    cleaned = validate_dataset_input(data)
    _refuse_same_title(department, cleaned["title"])
    vocab = _resolve_vocabulary(cleaned)
    classification = _classification_for(department, cleaned["resource_category"])
    code = scheme().format_resource(classification, next_sequence(classification))
    ds = Dataset(
        code=code,
        department=department,
        region=department.region,
        classification_code=classification,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        is_sample=is_sample,
        state=State.DRAFT,
    )
    _apply(ds, cleaned, vocab)
    ds.save()
    ds.service_objects.set(vocab["service_objects"])
    _write_fields(ds, cleaned["fields"])
    _link_responsibility(ds)
    audit_record(actor=actor, action="dataset_register", target=ds, reason=reason, after=dataset_snapshot(ds))
    return ds


def _refuse_same_title(department: Department, title: str, exclude: int | None = None) -> None:
    """A double-submitted form or a repeated import row must not create a second entry."""
    key = normalize_item_key(title)
    same = Dataset.objects.filter(department=department, title__icontains=title[:2]).exclude(
        state=State.WITHDRAWN
    )
    if exclude is not None:
        same = same.exclude(pk=exclude)
    for other in same.only("id", "title", "code"):
        if normalize_item_key(other.title) == key:
            raise ValidationFailed(
                details={
                    "title": _("本部门已登记同名数据资源（%(code)s），请勿重复登记。") % {"code": other.code}
                }
            )


def _link_responsibility(ds: Dataset) -> None:
    key = normalize_item_key(ds.title)
    for item in ResponsibilityItem.objects.filter(department=ds.department, dataset__isnull=True):
        if normalize_item_key(item.title) == key:
            item.dataset = ds
            item.save(update_fields=["dataset"])
            return


@transaction.atomic
def dataset_update(
    *, actor: Any, dataset: Dataset, data: dict[str, Any], lock_version: int | None, reason: str = ""
) -> Dataset:
    """Edit an entry. On a published entry, changes to openness, sharing or fields go back to review."""
    _require(perm.can_dataset_update(actor, dataset))
    ds = _lock(dataset)
    _check_version(ds, lock_version)
    if ds.state not in (State.DRAFT, State.RETURNED, State.PUBLISHED):
        raise InvalidTransition(_("审核中或已撤回的数据资源不能修改。"))
    cleaned = validate_dataset_input(data)
    _refuse_same_title(ds.department, cleaned["title"], exclude=ds.pk)
    vocab = _resolve_vocabulary(cleaned)
    before = dataset_snapshot(ds)
    if ds.state == State.PUBLISHED:
        reviewed = {k: cleaned[k] for k in REVIEWED_KEYS}
        current = {k: before[k] for k in REVIEWED_KEYS}
        changed = reviewed != current
        # The public keeps seeing the published openness and fields until a reviewer approves.
        for k in REVIEWED_KEYS:
            if k != "fields":
                cleaned[k] = current[k]
        cleaned["sensitivity_grade"] = ds.sensitivity_grade
        if changed:
            ds.pending_changes = reviewed
            ds.state = State.REVISION_IN_REVIEW
            ds.submitted_by = actor
        _apply(ds, cleaned, vocab)
    else:
        _apply(ds, cleaned, vocab)
        _write_fields(ds, cleaned["fields"])
    ds.lock_version += 1
    ds.save()
    ds.service_objects.set(vocab["service_objects"])
    if ds.state in CATALOGED_STATES:
        dataset_changed(ds)  # the search index follows in this transaction's outbox
    if before["state"] in CATALOGED_STATES:
        signals.dataset_changed.send(sender=Dataset, dataset=ds, change="updated", actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="dataset_update",
        target=ds,
        reason=reason,
        before=before,
        after=dataset_snapshot(ds) | ({"pending_changes": ds.pending_changes} if ds.pending_changes else {}),
    )
    return ds


def _transition(
    *,
    actor: Any,
    dataset: Dataset,
    action: str,
    allowed_from: tuple[str, ...],
    to: str,
    reason: str = "",
    lock_version: int | None = None,
    mutate: Any = None,
) -> Dataset:
    ds = _lock(dataset)
    _check_version(ds, lock_version)
    if ds.state not in allowed_from:
        raise InvalidTransition(
            _("“%(state)s”状态的数据资源不能执行此操作。") % {"state": State(ds.state).label}
        )
    before = {"state": ds.state}
    ds.state = to
    if mutate:
        mutate(ds)
    ds.lock_version += 1
    ds.save()
    if before["state"] in CATALOGED_STATES or ds.state in CATALOGED_STATES:
        dataset_changed(ds)  # the search index follows in this transaction's outbox
    audit_record(
        actor=actor, action=action, target=ds, reason=reason, before=before, after={"state": ds.state}
    )
    change = _public_change(action, before["state"], ds.state)
    if change:
        signals.dataset_changed.send(sender=Dataset, dataset=ds, change=change, actor=actor, reason=reason)
    return ds


def _public_change(action: str, before: str, after: str) -> str | None:
    """What the public saw change, for catalog.signals.dataset_changed (None: nothing public changed)."""
    if action == "dataset_publish":
        return "updated" if before in CATALOGED_STATES else "published"
    if action == "dataset_withdraw" and before in CATALOGED_STATES:
        return "withdrawn"
    return None


@transaction.atomic
def dataset_submit(
    *, actor: Any, dataset: Dataset, lock_version: int | None = None, reason: str = ""
) -> Dataset:
    _require(perm.can_dataset_submit(actor, dataset))

    def mutate(ds: Dataset) -> None:
        ds.submitted_by = actor
        ds.return_reason = ""

    ds = _transition(
        actor=actor,
        dataset=dataset,
        action="dataset_submit",
        allowed_from=(State.DRAFT, State.RETURNED),
        to=State.SUBMITTED,
        reason=reason,
        lock_version=lock_version,
        mutate=mutate,
    )
    _flag_duplicates(ds)
    return ds


def _flag_duplicates(ds: Dataset) -> None:
    key = normalize_item_key(ds.title)
    candidates = (
        Dataset.objects.filter(region=ds.region)
        .exclude(department=ds.department)
        .exclude(state=State.WITHDRAWN)
        .only("id", "title")
    )
    for other in candidates.filter(title__icontains=ds.title[:4]) if len(ds.title) >= 4 else candidates:
        if normalize_item_key(other.title) == key:
            DuplicateFlag.objects.get_or_create(dataset=ds, other=other, item_key=key)


@transaction.atomic
def dataset_review_start(*, actor: Any, dataset: Dataset) -> Dataset:
    _require(perm.can_dataset_review_start(actor, dataset))
    return _transition(
        actor=actor,
        dataset=dataset,
        action="dataset_review_start",
        allowed_from=(State.SUBMITTED,),
        to=State.IN_REVIEW,
    )


@transaction.atomic
def dataset_publish(
    *, actor: Any, dataset: Dataset, reason: str = "", lock_version: int | None = None
) -> Dataset:
    """Approve: a new entry enters the catalogs; a revision's pending changes take effect."""
    _require(perm.can_dataset_publish(actor, dataset))
    if DuplicateFlag.objects.filter(dataset=dataset, status=DuplicateFlag.Status.OPEN).exists():
        raise InvalidTransition(_("该数据资源与其他部门的数据重复（一数一源），请先裁定权威来源。"))

    def mutate(ds: Dataset) -> None:
        if ds.pending_changes:
            pending = ds.pending_changes
            fields = pending.pop("fields")
            for k, v in pending.items():
                setattr(ds, k, v)
            from kaifang.catalog.rules import max_grade

            ds.sensitivity_grade = max_grade([f["sensitivity_grade"] for f in fields])
            _write_fields(ds, fields)
            ds.pending_changes = None
        if ds.publish_date is None:
            ds.publish_date = timezone.localdate()
        ds.return_reason = ""

    return _transition(
        actor=actor,
        dataset=dataset,
        action="dataset_publish",
        allowed_from=(State.SUBMITTED, State.IN_REVIEW, State.REVISION_IN_REVIEW),
        to=State.PUBLISHED,
        reason=reason,
        lock_version=lock_version,
        mutate=mutate,
    )


@transaction.atomic
def dataset_return(*, actor: Any, dataset: Dataset, reason: str, lock_version: int | None = None) -> Dataset:
    """Send back with reasons. A returned revision leaves the published entry as it was."""
    _require(perm.can_dataset_return(actor, dataset))
    if not (reason or "").strip():
        raise ValidationFailed(details={"reason": _("退回时必须说明理由。")})
    revision = dataset.state == State.REVISION_IN_REVIEW

    def mutate(ds: Dataset) -> None:
        ds.return_reason = reason.strip()
        if revision:
            ds.pending_changes = None

    ds = _transition(
        actor=actor,
        dataset=dataset,
        action="dataset_return",
        allowed_from=(State.SUBMITTED, State.IN_REVIEW, State.REVISION_IN_REVIEW),
        to=State.PUBLISHED if revision else State.RETURNED,
        reason=reason,
        lock_version=lock_version,
        mutate=mutate,
    )
    _tell_returned(actor, ds, reason.strip(), revision)
    return ds


def _tell_returned(actor: Any, ds: Dataset, reason: str, revision: bool) -> None:
    from django.urls import reverse

    from kaifang.catalog.codes import slug_for_code
    from kaifang.notifications import events
    from kaifang.notifications.dispatch import notify
    from kaifang.notifications.recipients import officers_of_department

    notify(
        recipients=officers_of_department(ds.department_id),
        event=events.DATASET_RETURNED,
        subject=(_("数据资源变更被退回：%(t)s") if revision else _("数据资源被退回：%(t)s"))
        % {"t": ds.title},
        body=_("退回理由：%(r)s") % {"r": reason},
        url=reverse("portal:dataset_edit", kwargs={"slug": slug_for_code(ds.code)}),
        visible=lambda user: perm.can_dataset_update(user, ds),
        exclude=actor,
    )


@transaction.atomic
def dataset_withdraw(
    *, actor: Any, dataset: Dataset, reason: str, lock_version: int | None = None
) -> Dataset:
    _require(perm.can_dataset_withdraw(actor, dataset))
    if not (reason or "").strip():
        raise ValidationFailed(details={"reason": _("撤回时必须说明理由。")})

    def mutate(ds: Dataset) -> None:
        ds.pending_changes = None

    return _transition(
        actor=actor,
        dataset=dataset,
        action="dataset_withdraw",
        allowed_from=CATALOGED_STATES,
        to=State.WITHDRAWN,
        reason=reason,
        lock_version=lock_version,
        mutate=mutate,
    )


@transaction.atomic
def dataset_reopen(*, actor: Any, dataset: Dataset, reason: str = "") -> Dataset:
    """Bring a withdrawn entry back as a draft; it keeps its code."""
    _require(perm.can_dataset_reopen(actor, dataset))
    return _transition(
        actor=actor,
        dataset=dataset,
        action="dataset_reopen",
        allowed_from=(State.WITHDRAWN,),
        to=State.DRAFT,
        reason=reason,
    )


@transaction.atomic
def duplicate_settle(
    *, actor: Any, flag: DuplicateFlag, authoritative: Dataset, reason: str
) -> DuplicateFlag:
    """A reviewer decides which department is the authoritative source of a data item."""
    _require(perm.can_duplicate_settle(actor, flag))
    flag = DuplicateFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != DuplicateFlag.Status.OPEN:
        raise InvalidTransition(_("该重复标记已裁定。"))
    if authoritative.pk not in (flag.dataset_id, flag.other_id):
        raise ValidationFailed(details={"authoritative": _("权威来源必须是重复双方之一。")})
    if not (reason or "").strip():
        raise ValidationFailed(details={"reason": _("裁定时必须说明理由。")})
    flag.status = DuplicateFlag.Status.SETTLED
    flag.authoritative = authoritative
    flag.settled_by = actor
    flag.reason = reason.strip()
    flag.save()
    audit_record(
        actor=actor,
        action="duplicate_settle",
        target=flag,
        reason=reason,
        after={"authoritative": authoritative.code, "dataset": flag.dataset.code, "other": flag.other.code},
    )
    return flag


@transaction.atomic
def catalog_import(*, actor: Any, rows: list[dict[str, Any]], publish: bool = False) -> list[Dataset]:
    """Import catalog entries all-or-nothing. Rows are already parsed (catalog.importing)."""
    from kaifang.catalog.importing import ImportFailed, resolve_department

    errors: list[dict[str, Any]] = []
    created: list[Dataset] = []
    for i, row in enumerate(rows, start=1):
        try:
            department = resolve_department(row.get("department"))
            if not perm.can_catalog_import(actor, department, publish):
                raise Forbidden(_("您无权为“%(d)s”导入目录。") % {"d": department.name})
            with transaction.atomic():
                ds = _create(actor=actor, department=department, data=row, reason="catalog_import")
                if publish:
                    ds = _publish_imported(actor, ds)
            created.append(ds)
        except (ValidationFailed, Forbidden, NotFound, InvalidTransition) as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            if details:
                for column, message in details.items():
                    errors.append({"row": i, "column": column, "message": str(message)})
            else:
                errors.append({"row": i, "column": "", "message": str(exc.message)})
    if errors:
        raise ImportFailed(details=errors)
    audit_record(
        actor=actor,
        action="catalog_import",
        target=("catalog.import", timezone.now().strftime("%Y%m%d%H%M%S")),
        after={"count": len(created), "publish": publish, "codes": [d.code for d in created][:1000]},
    )
    return created


def _publish_imported(actor: Any, ds: Dataset) -> Dataset:
    _flag_duplicates(ds)
    if DuplicateFlag.objects.filter(dataset=ds, status=DuplicateFlag.Status.OPEN).exists():
        raise InvalidTransition(_("该数据资源与其他部门的数据重复（一数一源），请先裁定权威来源。"))
    ds.state = State.PUBLISHED
    ds.publish_date = ds.publish_date or timezone.localdate()
    ds.lock_version += 1
    ds.save()
    dataset_changed(ds)
    audit_record(
        actor=actor,
        action="dataset_publish",
        target=ds,
        reason="catalog_import --publish",
        before={"state": State.SUBMITTED},
        after={"state": State.PUBLISHED},
    )
    signals.dataset_changed.send(
        sender=Dataset, dataset=ds, change="published", actor=actor, reason="catalog_import --publish"
    )
    return ds
