"""Account changes: public registration, staff accounts, API keys. Each audited."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from kaifang.accounts import permissions as perm
from kaifang.accounts.models import ApiKey, LoginAttempt, RoleAssignment, TotpDevice, TotpEnrolmentCode, User
from kaifang.accounts.security import new_totp_secret, totp_match
from kaifang.accounts.selectors import needs_enrolment_code
from kaifang.accounts.staffing import grant_admin_access
from kaifang.core.actors import held_roles_of, second_factor_passed
from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, InvalidTransition, ValidationFailed

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")


def _check_new_user(username: str, password: str, *, say_taken: bool = True) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        errors["username"] = _("用户名须为1到64位字母、数字或 _ . - @。")
    elif say_taken and User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("该用户名已被使用。")
    try:
        validate_password(password)
    except DjangoValidationError as exc:
        errors["password"] = " ".join(str(m) for m in exc.messages)
    return errors


@transaction.atomic
def user_register(
    *,
    actor: Any,
    username: str,
    password: str,
    kind: str = User.Kind.CITIZEN,
    display_name: str = "",
    organization_name: str = "",
    organization_uscc: str = "",
    email: str = "",
) -> User | None:
    """Public self-registration of a citizen, enterprise or institution; an e-mail gets a verification link.

    A name that is already taken gives None, not an error, and costs the same password hash: the caller
    answers both alike, so registration cannot be used to learn which user names exist."""
    if not perm.can_user_register(actor):
        raise Forbidden(_("您已登录，无需再次注册。"))
    username = (username or "").strip()
    errors = _check_new_user(username, password, say_taken=False)
    if kind not in (User.Kind.CITIZEN, User.Kind.ENTERPRISE, User.Kind.INSTITUTION):
        errors["kind"] = _("请选择有效的用户类型。")
    if kind != User.Kind.CITIZEN and not organization_name.strip():
        errors["organization_name"] = _("企业或机构用户须填写单位名称。")
    organization_uscc = (organization_uscc or "").strip().upper()
    if kind == User.Kind.ENTERPRISE and not uscc.is_valid(organization_uscc):
        errors["organization_uscc"] = _("请填写有效的18位统一社会信用代码（校验位不符或格式错误）。")
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = _("邮箱格式不正确。")
    if errors:
        raise ValidationFailed(details=errors)
    if User.objects.filter(username__iexact=username).exists():
        make_password(password)
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                kind=kind,
                display_name=display_name[:64],
                organization_name=organization_name[:128],
                organization_uscc=organization_uscc if kind == User.Kind.ENTERPRISE else "",
                email=email,
            )
    except IntegrityError:  # two submissions racing for one name
        return None
    audit_record(actor=user, action="user_register", target=user, after={"username": username, "kind": kind})
    if email:
        _send_verification(user)
    return user


EMAIL_TOKEN_SALT = "kaifang.accounts.email"
EMAIL_TOKEN_MAX_AGE = 3 * 24 * 3600


def _email_verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_TOKEN_SALT)


def _send_verification(user: User) -> None:
    link = f"{settings.KAIFANG_BASE_URL}/accounts/verify-email/{_email_verification_token(user)}/"
    subject = _("请验证您的邮箱 — %(name)s") % {"name": settings.KAIFANG_PLATFORM_NAME}
    body = _(
        "您好，%(user)s：\n\n请在三天内打开以下链接完成邮箱验证：\n%(link)s\n\n如非本人操作，请忽略本邮件。"
    ) % {
        "user": user.display_name or user.username,
        "link": link,
    }
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


@transaction.atomic
def user_email_verification_send(*, actor: Any, user: User) -> None:
    if not perm.can_user_email_verification_send(actor, user):
        raise Forbidden()
    if not user.email:
        raise ValidationFailed(details={"email": _("请先填写邮箱。")})
    _send_verification(user)
    audit_record(actor=actor, action="user_email_verification_send", target=user)


@transaction.atomic
def user_email_verify(*, actor: Any, token: str) -> User:
    """Anyone holding the link may verify: the signed token names the account and the address."""
    if not perm.can_user_email_verify(actor):
        raise Forbidden()
    try:
        data = signing.loads(token, salt=EMAIL_TOKEN_SALT, max_age=EMAIL_TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationFailed(_("验证链接已过期，请登录后重新发送。")) from exc
    except signing.BadSignature as exc:
        raise ValidationFailed(_("验证链接无效。")) from exc
    user = User.objects.select_for_update().filter(pk=data.get("u")).first()
    if user is None or user.email != data.get("e"):
        raise ValidationFailed(_("验证链接无效。"))
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(actor=user, action="user_email_verify", target=user, after={"email": user.email})
    return user


def login_attempt_record(*, actor: Any, username: str, ip: str | None, success: bool) -> None:
    """Record a password check (kept even when the surrounding request fails)."""
    if not perm.can_login_attempt_record(actor):
        raise Forbidden()
    LoginAttempt.objects.create(username=(username or "")[:150], ip=ip or None, success=success)


ENROLMENT_CODE_HOURS = 72
ENROLMENT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


@transaction.atomic
def totp_enrolment_code_issue(*, actor: Any, user: User, hours: int = ENROLMENT_CODE_HOURS) -> str:
    """A one-time code for binding the user's first device; earlier unused codes stop working."""
    if not perm.can_totp_enrolment_code_issue(actor, user):
        raise Forbidden()
    if not 1 <= int(hours) <= 24 * 30:
        raise ValidationFailed(details={"hours": _("有效期须为1到720小时。")})
    now = timezone.now()
    TotpEnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    raw = "".join(secrets.choice(ENROLMENT_CODE_ALPHABET) for _i in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    issued_by = getattr(actor, "username", "") or str(actor)
    TotpEnrolmentCode.objects.create(
        user=user,
        digest=TotpEnrolmentCode.hash_code(code),
        issued_by=issued_by[:150],
        expires_at=now + datetime.timedelta(hours=int(hours)),
    )
    audit_record(
        actor=actor,
        action="totp_enrolment_code_issue",
        target=user,
        after={"by": issued_by, "hours": int(hours)},
        changes_catalog=False,
    )
    return code


def _usable_enrolment_code(user: Any, code: str) -> TotpEnrolmentCode | None:
    if not (code or "").strip():
        return None
    return (
        TotpEnrolmentCode.objects.select_for_update()
        .filter(
            user=user,
            digest=TotpEnrolmentCode.hash_code(code),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


@transaction.atomic
def totp_enroll_start(*, actor: Any, enrolment_code: str = "") -> TotpDevice:
    """Give the user a new, unconfirmed secret; an existing confirmed one stays until the new one is confirmed."""
    if not perm.can_totp_enroll_start(actor):
        raise Forbidden()
    device = TotpDevice.objects.filter(user=actor).first()
    if device is not None and device.confirmed_at is not None:
        raise ValidationFailed(_("已启用动态口令；如需更换，请先停用。"))
    grant = None
    if needs_enrolment_code(actor):
        grant = _usable_enrolment_code(actor, enrolment_code)
        if grant is None:
            raise ValidationFailed(details={"enrolment_code": _enrolment_code_refused()})
    if device is None:
        device = TotpDevice(user=actor)
    device.secret = new_totp_secret()
    device.enrolment_code = grant
    device.save()
    return device


def _enrolment_code_refused() -> str:
    return _("绑定码不正确、已使用或已过期。工作人员绑定动态口令须使用平台管理员签发的绑定码。")


@transaction.atomic
def totp_enroll_confirm(*, actor: Any, code: str) -> TotpDevice:
    if not perm.can_totp_enroll_confirm(actor):
        raise Forbidden()
    device = TotpDevice.objects.select_for_update().filter(user=actor).first()
    if device is None:
        raise ValidationFailed(_("请先开始绑定动态口令。"))
    grant = None
    if needs_enrolment_code(actor):
        # The code is spent only when a device is bound, so a lost QR code can be started again with it.
        grant = (
            TotpEnrolmentCode.objects.select_for_update()
            .filter(pk=device.enrolment_code_id, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if grant is None:
            raise ValidationFailed(details={"enrolment_code": _enrolment_code_refused()})
    step = totp_match(device.secret, code, last_step=device.last_step)
    if step is None:
        raise ValidationFailed(details={"code": _("动态口令不正确或已使用，请输入验证器中当前的6位数字。")})
    device.last_step = step
    device.confirmed_at = timezone.now()
    device.save()
    if grant is not None:
        grant.used_at = device.confirmed_at
        grant.save(update_fields=["used_at"])
    audit_record(actor=actor, action="totp_enroll_confirm", target=actor)
    return device


@transaction.atomic
def totp_verify(*, actor: Any, user: User, code: str) -> None:
    """The second login step: a code is accepted once (replays of the same step fail)."""
    if not perm.can_totp_verify(actor, user):
        raise Forbidden()
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    step = totp_match(device.secret, code, last_step=device.last_step) if device else None
    if step is None:
        raise ValidationFailed(details={"code": _("动态口令不正确或已使用。")})
    device.last_step = step
    device.save(update_fields=["last_step"])


@transaction.atomic
def totp_disable(*, actor: Any, code: str) -> None:
    if not perm.can_totp_disable(actor):
        raise Forbidden()
    device = TotpDevice.objects.select_for_update().filter(user=actor, confirmed_at__isnull=False).first()
    if device is None or totp_match(device.secret, code, last_step=device.last_step) is None:
        raise ValidationFailed(details={"code": _("动态口令不正确，未停用。")})
    device.delete()
    audit_record(actor=actor, action="totp_disable", target=actor)


@transaction.atomic
def staff_user_create(
    *, actor: Any, username: str, password: str, display_name: str, roles: list[dict[str, Any]]
) -> User:
    """An operator creates a staff account with its scoped roles."""
    if not perm.can_staff_user_create(actor):
        raise Forbidden()
    username = (username or "").strip()
    errors = _check_new_user(username, password)
    valid_roles = {r.value for r in RoleAssignment.Role}
    for r in roles:
        if r.get("role") not in valid_roles:
            errors["roles"] = _("角色“%(r)s”无效。") % {"r": r.get("role")}
        elif r["role"] == RoleAssignment.Role.OFFICER and not r.get("department"):
            errors["roles"] = _("部门数据管理员必须指定部门。")
        elif r["role"] == RoleAssignment.Role.COUNTY_ADMIN and not r.get("region"):
            errors["roles"] = _("县市区管理员必须指定区划。")
    if errors:
        raise ValidationFailed(details=errors)
    user = User.objects.create_user(
        username=username, password=password, kind=User.Kind.STAFF, display_name=display_name[:64]
    )
    for r in roles:
        RoleAssignment.objects.create(
            user=user, role=r["role"], department=r.get("department"), region=r.get("region")
        )
    if any(r["role"] == RoleAssignment.Role.OPERATOR for r in roles):
        grant_admin_access(user)
    audit_record(
        actor=actor,
        action="staff_user_create",
        target=user,
        after={
            "username": username,
            "roles": [
                {
                    "role": r["role"],
                    "department": getattr(r.get("department"), "uscc", None),
                    "region": getattr(r.get("region"), "code", None),
                }
                for r in roles
            ],
        },
    )
    return user


@transaction.atomic
def api_key_create(
    *,
    actor: Any,
    owner: User,
    name: str = "default",
    scopes: list[str] | None = None,
    expires_in_days: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its digest is stored."""
    if not perm.can_api_key_create(actor, owner):
        raise Forbidden()
    verified = second_factor_passed(actor)
    if not verified and held_roles_of(owner).needs_second_factor:
        # A staff key made with a password alone acts as a registered user (core.actors) and may only read.
        if "write" in (scopes or []):
            raise ValidationFailed(details={"scopes": _staff_write_key_refused()})
        scopes = ["read"]
    return _issue_key(
        actor=actor,
        owner=owner,
        name=name,
        scopes=scopes,
        expires_in_days=expires_in_days,
        second_factor=verified,
    )


def _staff_write_key_refused() -> str:
    return _("工作人员须先使用动态口令登录，才能创建具有写入权限的密钥。")


def _issue_key(
    *,
    actor: Any,
    owner: User,
    name: str,
    scopes: list[str] | None,
    expires_in_days: int | None,
    second_factor: bool,
    action: str = "api_key_create",
) -> tuple[ApiKey, str]:
    valid = {s for s, _label in ApiKey.SCOPES}
    scopes = sorted(set(scopes or ["read", "write"]))
    errors = {}
    if not set(scopes) <= valid:
        errors["scopes"] = _("权限范围只能是 read 或 write。")
    name = (name or "default").strip()
    if not name or len(name) > 64:
        errors["name"] = _("密钥名称须为1到64个字符。")
    if expires_in_days is not None and not 1 <= int(expires_in_days) <= 3650:
        errors["expires_in_days"] = _("有效期须为1到3650天。")
    if errors:
        raise ValidationFailed(details=errors)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    expires_at = timezone.now() + datetime.timedelta(days=int(expires_in_days)) if expires_in_days else None
    key = ApiKey.objects.create(
        user=owner,
        name=name,
        prefix=prefix,
        digest=ApiKey.hash_secret(secret),
        scopes=scopes,
        expires_at=expires_at,
        second_factor=second_factor,
    )
    audit_record(
        actor=actor,
        action=action,
        target=key,
        after={
            "user": owner.username,
            "prefix": prefix,
            "scopes": scopes,
            "expires_at": str(expires_at or ""),
            "second_factor": second_factor,
        },
    )
    return key, f"kf_{prefix}_{secret}"


@transaction.atomic
def api_key_rotate(*, actor: Any, key: ApiKey) -> tuple[ApiKey, str]:
    """Replace a key by a new one with the same name, scopes and remaining lifetime; the old one stops at once."""
    if not perm.can_api_key_rotate(actor, key):
        raise Forbidden()
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise InvalidTransition(_("已吊销的密钥不能轮换。"))
    verified = second_factor_passed(actor)
    if not verified and "write" in (key.scopes or []) and held_roles_of(key.user).needs_second_factor:
        # The new secret would go to whoever holds the password: the same rule as creating a write key.
        raise ValidationFailed(details={"scopes": _staff_write_key_refused()})
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    days = None
    if key.expires_at is not None:
        days = max(1, (key.expires_at - timezone.now()).days)
    return _issue_key(
        actor=actor,
        owner=key.user,
        name=key.name,
        scopes=key.scopes,
        expires_in_days=days,
        second_factor=key.second_factor and verified,
        action="api_key_rotate",
    )


@transaction.atomic
def api_key_revoke(*, actor: Any, key: ApiKey, reason: str = "") -> ApiKey:
    if not perm.can_api_key_revoke(actor, key):
        raise Forbidden()
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor, action="api_key_revoke", target=key, reason=reason, after={"prefix": key.prefix}
    )
    return key
