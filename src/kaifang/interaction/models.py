"""Public interaction (交流互动): comments and ratings on datasets, follows, error reports, and the requests
(数据需求, 咨询, 建议, 投诉) whose handling is a work order of the operations app."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaifang.core import clock

COMMENT_MAX = 2000
REQUEST_TITLE_MAX = 120
REQUEST_BODY_MAX = 4000


class Comment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        PUBLISHED = "published", _("已公开")
        REJECTED = "rejected", _("未通过")

    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(_("评论"), max_length=COMMENT_MAX)
    rating = models.PositiveSmallIntegerField(
        _("评分"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    moderation_reason = models.CharField(_("审核意见"), max_length=500, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    # The department's reply is public whenever the comment is.
    reply = models.TextField(_("部门回复"), max_length=COMMENT_MAX, blank=True)
    reply_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["dataset", "state", "-created_at"], name="comment_dataset"),
            models.Index(fields=["state", "created_at"], name="comment_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="comment_rating_1_5",
            )
        ]
        verbose_name = _("评论")
        verbose_name_plural = _("评论")

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.pk}"


class Follow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "dataset"], name="follow_once")]
        verbose_name = _("关注")
        verbose_name_plural = _("关注")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.dataset_id}"


class ErrorReport(models.Model):
    """纠错: which field or row of a dataset is wrong, and how. Its handling is the work order."""

    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="error_reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="error_reports"
    )
    field = models.ForeignKey(
        "catalog.Field", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The field's name as reported, kept when the field is later renamed or removed.
    field_name = models.CharField(_("信息项"), max_length=64, blank=True)
    row_reference = models.CharField(_("行（主键值或行号）"), max_length=200, blank=True)
    description = models.TextField(_("问题描述"), max_length=COMMENT_MAX)
    work_order = models.OneToOneField(
        "operations.WorkOrder", on_delete=models.PROTECT, related_name="error_report"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据纠错")
        verbose_name_plural = _("数据纠错")

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.pk}"


class PublicRequest(models.Model):
    """A data request, consultation, suggestion or complaint with a public page; its status and the answer
    are the work order's."""

    class Kind(models.TextChoices):
        DATA_REQUEST = "data_request", _("数据需求")
        CONSULTATION = "consultation", _("咨询")
        SUGGESTION = "suggestion", _("建议")
        COMPLAINT = "complaint", _("投诉")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="public_requests"
    )
    title = models.CharField(_("标题"), max_length=REQUEST_TITLE_MAX)
    body = models.TextField(_("内容"), max_length=REQUEST_BODY_MAX)
    purpose = models.TextField(_("用途"), max_length=COMMENT_MAX, blank=True)
    # What the requester named; the work order's department is who answers.
    department_hint = models.ForeignKey(
        "tenancy.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    domain = models.ForeignKey(
        "catalog.Concept", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Anonymous to the public unless the requester chose otherwise; staff always see who asked.
    show_name = models.BooleanField(_("公开署名"), default=False)
    work_order = models.OneToOneField(
        "operations.WorkOrder", on_delete=models.PROTECT, related_name="public_request"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="publicrequest_kind")]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")

    def __str__(self) -> str:
        return self.title
