"""Users, their roles (scoped to a department or a region) and API keys."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaifang.accounts.fields import SealedCharField


class User(AbstractUser):
    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("个人")
        ENTERPRISE = "enterprise", _("企业")
        INSTITUTION = "institution", _("机构")
        STAFF = "staff", _("工作人员")

    kind = models.CharField(_("用户类型"), max_length=16, choices=Kind.choices, default=Kind.CITIZEN)
    display_name = models.CharField(_("显示名称"), max_length=64, blank=True)
    organization_name = models.CharField(_("单位名称"), max_length=128, blank=True)
    real_name_level = models.PositiveSmallIntegerField(_("实名等级"), default=0)
    organization_uscc = models.CharField(_("单位统一社会信用代码"), max_length=18, blank=True)
    email_verified_at = models.DateTimeField(_("邮箱验证时间"), null=True, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleAssignment(models.Model):
    class Role(models.TextChoices):
        OFFICER = "officer", _("部门数据管理员")
        REVIEWER = "reviewer", _("审核员")
        COUNTY_ADMIN = "county_admin", _("县市区管理员")
        OPERATOR = "operator", _("平台运营")
        AUDITOR = "auditor", _("安全审计员")
        EVALUATOR = "evaluator", _("第三方评估")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    department = models.ForeignKey(
        "tenancy.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "tenancy.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "department", "region"], name="role_assignment_unique"
            )
        ]
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self) -> str:
        scope = self.department or self.region or ""
        return f"{self.get_role_display()} {scope}".strip()


class ApiKey(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("名称"), max_length=64, default="default")
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    # "read": catalog and data reads; "write": catalog workflow actions on the owner's behalf.
    scopes = models.JSONField(_("权限范围"), default=list)
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=600)
    daily_quota = models.PositiveIntegerField(_("每日调用配额"), default=100_000)
    # Made by a session that passed the second factor (or by the command line). Only such keys of staff
    # accounts carry their staff roles (core.actors.roles_of); a key made with a password alone acts as a
    # plain registered user.
    second_factor = models.BooleanField(_("经动态口令验证后创建"), default=False)

    SCOPES = (("read", _("读取")), ("write", _("写入（目录登记与审核操作）")))

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")

    def __str__(self) -> str:
        return f"{self.prefix} ({self.user_id})"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class LoginAttempt(models.Model):
    """Every password check, kept for throttling, lockout and the auditors."""

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    success = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip", "at"])]
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")

    def __str__(self) -> str:
        return f"{self.username} {'ok' if self.success else 'fail'}"


class TotpDevice(models.Model):
    """A time-based one-time password (RFC 6238) second factor."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    # Sealed in the column (AES-GCM, key outside the database); plain base32 in Python.
    secret = SealedCharField(max_length=255, purpose="kaifang.accounts.totp")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is never accepted twice.
    last_step = models.BigIntegerField(default=0)
    # The administrator's enrolment code this device was started with (staff accounts need one).
    enrolment_code = models.ForeignKey(
        "TotpEnrolmentCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("动态口令")
        verbose_name_plural = _("动态口令")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class TotpEnrolmentCode(models.Model):
    """A one-time code an administrator hands to a staff member so that only they can bind the first device.

    A password alone must not be enough to enrol: whoever enrols first would own the account's second factor.
    Only the SHA-256 of the code is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="totp_enrolment_codes")
    digest = models.CharField(max_length=64, unique=True)
    issued_by = models.CharField(_("签发人"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("动态口令绑定码")
        verbose_name_plural = _("动态口令绑定码")

    def __str__(self) -> str:
        return f"enrolment code {self.user_id}"

    @staticmethod
    def hash_code(code: str) -> str:
        normalized = "".join(ch for ch in (code or "").upper() if ch.isalnum())
        return hashlib.sha256(normalized.encode()).hexdigest()
