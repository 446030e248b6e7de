"""Work orders (工单): every error report, data request, consultation, suggestion and complaint, routed to the
department that answers it, with a deadline in working days, and every step recorded."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaifang.core import clock


class DomainLead(models.Model):
    """The lead department (牵头部门) of a data domain: where a request naming only the domain goes."""

    domain = models.OneToOneField("catalog.Concept", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("tenancy.Department", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("领域牵头部门")
        verbose_name_plural = _("领域牵头部门")

    def __str__(self) -> str:
        return f"{self.domain_id} → {self.department_id}"


class WorkOrder(models.Model):
    class Kind(models.TextChoices):
        ERROR_REPORT = "error_report", _("数据纠错")
        DATA_REQUEST = "data_request", _("数据需求")
        CONSULTATION = "consultation", _("咨询")
        SUGGESTION = "suggestion", _("建议")
        COMPLAINT = "complaint", _("投诉")

    class State(models.TextChoices):
        OPEN = "open", _("办理中")
        ANSWERED = "answered", _("已答复")
        CLOSED = "closed", _("已办结")
        WITHDRAWN = "withdrawn", _("已撤回")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.OPEN)
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"))
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    dataset = models.ForeignKey(
        "catalog.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    domain = models.ForeignKey(
        "catalog.Concept", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The department answering now; None is the big data bureau's desk (city reviewers and operators).
    department = models.ForeignKey(
        "tenancy.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    # The county whose overdue list counts it (the department's region, or the bureau's city).
    region = models.ForeignKey(
        "tenancy.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("办理期限"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    transfer_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    answer = models.TextField(_("答复"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A data request answered by a dataset links to it.
    answer_dataset = models.ForeignKey(
        "catalog.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "state", "deadline"], name="workorder_queue"),
            models.Index(fields=["region", "state", "deadline"], name="workorder_region_queue"),
            models.Index(fields=["state", "deadline"], name="workorder_due"),
            models.Index(fields=["requester", "-created_at"], name="workorder_requester"),
            # The public request list: filtered by state or kind, newest first, counted from the index alone.
            models.Index(fields=["state", "-created_at", "-id", "kind"], name="workorder_public_state"),
            models.Index(fields=["kind", "-created_at", "-id", "state"], name="workorder_public_kind"),
            # Overdue counts per department and county read only the index.
            models.Index(
                fields=["state", "deadline", "department", "region", "escalated_at"], name="workorder_overdue"
            ),
            # The work-order lists (all states), in deadline order: read in order from an index instead of
            # sorting every visible order for each page (25 ms for the bureau at 100,000 orders; 140 ms with a
            # kind filter; bench/workbench_bench.py).
            models.Index(fields=["deadline", "id"], name="workorder_by_deadline"),
            models.Index(fields=["kind", "deadline", "id"], name="workorder_kind_deadline"),
            models.Index(fields=["department", "deadline", "id"], name="workorder_department_deadline"),
            models.Index(fields=["region", "deadline", "id"], name="workorder_region_deadline"),
            # The public request list filtered by domain or department, newest first.
            models.Index(fields=["domain", "-created_at", "-id"], name="workorder_public_domain"),
            models.Index(fields=["department", "-created_at", "-id"], name="workorder_public_department"),
        ]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return f"GD{self.created_at:%Y%m%d}{self.pk:06d}" if self.created_at and self.pk else "GD"


class WorkOrderStep(models.Model):
    """One step of a work order's life, shown on its page (the audit trail keeps the same steps)."""

    class Action(models.TextChoices):
        OPENED = "opened", _("受理")
        ROUTED = "routed", _("分派")
        TRANSFERRED = "transferred", _("转办")
        REMINDED = "reminded", _("临期提醒")
        ESCALATED = "escalated", _("超期督办")
        ANSWERED = "answered", _("答复")
        REOPENED = "reopened", _("重新办理")
        CLOSED = "closed", _("办结")
        RATED = "rated", _("评价")
        WITHDRAWN = "withdrawn", _("撤回")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_department = models.ForeignKey(
        "tenancy.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_department = models.ForeignKey(
        "tenancy.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.action}"
