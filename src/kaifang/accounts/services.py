"""Account changes: public registration, staff accounts, API keys. Each audited."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.accounts import permissions as perm
from kaifang.accounts.models import ApiKey, RoleAssignment, User
from kaifang.accounts.staffing import grant_admin_access
from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, ValidationFailed

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")


def _check_new_user(username: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        errors["username"] = _("用户名须为1到64位字母、数字或 _ . - @。")
    elif User.objects.filter(username__iexact=username).exists():
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
) -> User:
    """Public self-registration of a citizen, enterprise or institution."""
    if not perm.can_user_register(actor):
        raise Forbidden(_("您已登录，无需再次注册。"))
    username = (username or "").strip()
    errors = _check_new_user(username, password)
    if kind not in (User.Kind.CITIZEN, User.Kind.ENTERPRISE, User.Kind.INSTITUTION):
        errors["kind"] = _("请选择有效的用户类型。")
    if kind != User.Kind.CITIZEN and not organization_name.strip():
        errors["organization_name"] = _("企业或机构用户须填写单位名称。")
    if errors:
        raise ValidationFailed(details=errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                kind=kind,
                display_name=display_name[:64],
                organization_name=organization_name[:128],
            )
    except IntegrityError as exc:  # two submissions racing for one name
        raise ValidationFailed(details={"username": _("该用户名已被使用。")}) from exc
    audit_record(actor=user, action="user_register", target=user, after={"username": username, "kind": kind})
    return user


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
def api_key_create(*, actor: Any, owner: User, name: str = "default") -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its digest is stored."""
    if not perm.can_api_key_create(actor, owner):
        raise Forbidden()
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=owner, name=(name or "default")[:64], prefix=prefix, digest=ApiKey.hash_secret(secret)
    )
    audit_record(
        actor=actor, action="api_key_create", target=key, after={"user": owner.username, "prefix": prefix}
    )
    return key, f"kf_{prefix}_{secret}"


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
