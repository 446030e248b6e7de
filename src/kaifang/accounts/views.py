"""Account pages: registration, login with lockout and an optional second factor, e-mail, security."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kaifang.accounts import services
from kaifang.accounts.models import TotpDevice, User
from kaifang.accounts.security import SESSION_2FA, client_address, lockout_remaining, provisioning_uri
from kaifang.accounts.selectors import needs_enrolment_code
from kaifang.core.actors import held_roles_of
from kaifang.core.errors import DomainError, NotFound, ValidationFailed

PENDING_2FA = "kaifang_pending_2fa"


class _Throttled(DomainError):
    status = 429
    code = "throttled"


BACKEND = "django.contrib.auth.backends.ModelBackend"


def register(request: HttpRequest) -> HttpResponse:
    kinds = [(k.value, k.label) for k in User.Kind if k != User.Kind.STAFF]
    ctx = {"kinds": kinds, "data": {}, "errors": {}}
    if request.method == "POST":
        data = request.POST
        try:
            user = services.user_register(
                actor=request.user,
                username=data.get("username", ""),
                password=data.get("password", ""),
                kind=data.get("kind", User.Kind.CITIZEN),
                display_name=data.get("display_name", ""),
                organization_name=data.get("organization_name", ""),
                organization_uscc=data.get("organization_uscc", ""),
                email=data.get("email", ""),
            )
        except DomainError as exc:
            ctx.update(
                data=data, errors=exc.details if isinstance(exc.details, dict) else {}, message=exc.message
            )
            return render(request, "accounts/register.html", ctx, status=exc.status)
        # The same answer whether or not the name was free (user is None when taken): registration must not
        # tell anyone which user names exist. The new account logs in like any other.
        del user
        messages.success(
            request,
            _(
                "注册申请已提交。请使用刚才填写的用户名和密码登录；如填写了邮箱，请查收验证邮件。"
                "如无法登录，说明该用户名不可用，请换一个用户名重新注册。"
            ),
        )
        return redirect("accounts:login")
    return render(request, "accounts/register.html", ctx)


def _client_ip(request: HttpRequest) -> str | None:
    return client_address(request)


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, {request.get_host()}, require_https=request.is_secure()
    ):
        return value
    # The workbench address sends staff to their queues and everyone else to their own page (/me/).
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def login_view(request: HttpRequest) -> HttpResponse:
    """Password step. Five failures in 15 minutes lock the name (and twenty the address) for a while."""
    ctx: dict = {"next": request.GET.get("next", request.POST.get("next", "")), "username": ""}
    if request.method != "POST":
        return render(request, "accounts/login.html", ctx)
    username = request.POST.get("username", "").strip()[:150]
    ctx["username"] = username
    ip = _client_ip(request)
    wait = lockout_remaining(username, ip)
    if wait:
        ctx["error"] = _("登录失败次数过多，账号已暂时锁定，请在%(m)s分钟后重试。") % {
            "m": max(1, (wait + 59) // 60)
        }
        return render(request, "accounts/login.html", ctx, status=429)
    user = authenticate(request, username=username, password=request.POST.get("password", ""))
    services.login_attempt_record(actor=request.user, username=username, ip=ip, success=user is not None)
    if user is None:
        ctx["error"] = _("用户名或密码不正确。")
        return render(request, "accounts/login.html", ctx, status=200)
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        request.session[PENDING_2FA] = {"user": user.pk, "next": ctx["next"]}
        return redirect("accounts:login_otp")
    login(request, user, backend=BACKEND)
    if settings.KAIFANG_STAFF_2FA_REQUIRED and held_roles_of(user).needs_second_factor:
        # Logged in, but as a registered user only, until a device is bound (core.actors.roles_of).
        messages.warning(
            request,
            _(
                "工作人员须使用动态口令登录。请输入平台管理员签发的绑定码，启用动态口令后即可使用工作人员功能。"
            ),
        )
        return redirect("accounts:security")
    return redirect(_safe_next(request, ctx["next"]))


def login_otp(request: HttpRequest) -> HttpResponse:
    """Second step for accounts with a one-time password."""
    pending = request.session.get(PENDING_2FA)
    user = User.objects.filter(pk=pending["user"]).first() if pending else None
    if user is None:
        return redirect("accounts:login")
    ctx: dict = {}
    if request.method == "POST":
        if lockout_remaining(user.username, _client_ip(request)):
            ctx["error"] = _("尝试次数过多，请稍后重试。")
            return render(request, "accounts/login_otp.html", ctx, status=429)
        try:
            services.totp_verify(actor=request.user, user=user, code=request.POST.get("code", ""))
        except DomainError as exc:
            services.login_attempt_record(
                actor=request.user, username=user.username, ip=_client_ip(request), success=False
            )
            ctx["error"] = (
                (exc.details or {}).get("code") if isinstance(exc.details, dict) else str(exc.message)
            )
            return render(request, "accounts/login_otp.html", ctx, status=exc.status)
        del request.session[PENDING_2FA]
        login(request, user, backend=BACKEND)
        request.session[SESSION_2FA] = user.pk
        return redirect(_safe_next(request, pending.get("next", "")))
    return render(request, "accounts/login_otp.html", ctx)


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        services.user_email_verify(actor=request.user, token=token)
    except DomainError as exc:
        return render(request, "accounts/verify_email.html", {"error": exc.message}, status=exc.status)
    return render(request, "accounts/verify_email.html", {"ok": True})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """E-mail status and the one-time password: start (staff with an enrolment code), confirm, disable."""
    user = request.user
    device = TotpDevice.objects.filter(user=user).first()
    ctx: dict = {"device": device, "errors": {}, "needs_enrolment_code": needs_enrolment_code(user)}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "totp_start":
                device = _enrol_start(request, user)
            elif action == "totp_confirm":
                device = services.totp_enroll_confirm(actor=user, code=request.POST.get("code", ""))
                # Binding with the administrator's code and a first one-time password is a second factor.
                request.session.cycle_key()
                request.session[SESSION_2FA] = user.pk
                messages.success(request, _("动态口令已启用，今后登录需输入验证器中的6位数字。"))
            elif action == "totp_disable":
                services.totp_disable(actor=user, code=request.POST.get("code", ""))
                device = None
                messages.success(request, _("动态口令已停用。"))
            elif action == "email_resend":
                services.user_email_verification_send(actor=user, user=user)
                messages.info(request, _("验证邮件已重新发送。"))
        except DomainError as exc:
            ctx["errors"] = exc.details if isinstance(exc.details, dict) else {"general": exc.message}
            ctx["device"] = TotpDevice.objects.filter(user=user).first()
            return render(request, "accounts/security.html", ctx, status=exc.status)
        ctx["device"] = device
    if ctx["device"] is not None and ctx["device"].confirmed_at is None:
        ctx["uri"] = provisioning_uri(ctx["device"].secret, user.username)
    return render(request, "accounts/security.html", ctx)


def _enrol_start(request: HttpRequest, user: User) -> TotpDevice:
    """Wrong enrolment codes count as failed logins of the account, so they cannot be guessed either."""
    if not needs_enrolment_code(user):
        return services.totp_enroll_start(actor=user)
    ip = _client_ip(request)
    if lockout_remaining(user.username, ip):
        raise _Throttled(_("尝试次数过多，请稍后重试。"))
    try:
        return services.totp_enroll_start(actor=user, enrolment_code=request.POST.get("enrolment_code", ""))
    except ValidationFailed:
        services.login_attempt_record(actor=user, username=user.username, ip=ip, success=False)
        raise


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """The developer's own keys: create (shown once), rotate, revoke."""
    from kaifang.accounts.models import ApiKey
    from kaifang.accounts.selectors import api_keys_of

    ctx: dict = {"scopes": ApiKey.SCOPES, "errors": {}, "new_secret": None}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        key = ApiKey.objects.filter(user=request.user, pk=request.POST.get("key") or 0).first()
        try:
            if action == "create":
                days = request.POST.get("expires_in_days") or None
                _key, ctx["new_secret"] = services.api_key_create(
                    actor=request.user,
                    owner=request.user,
                    name=request.POST.get("name", ""),
                    scopes=request.POST.getlist("scopes"),
                    expires_in_days=int(days) if days and days.isdigit() else days,
                )
            elif action in ("rotate", "revoke") and key is None:
                raise NotFound()
            elif action == "rotate":
                _key, ctx["new_secret"] = services.api_key_rotate(actor=request.user, key=key)
            elif action == "revoke":
                services.api_key_revoke(actor=request.user, key=key, reason=request.POST.get("reason", ""))
                messages.success(request, _("密钥已吊销。"))
        except (DomainError, ValueError) as exc:
            if isinstance(exc, ValueError):
                exc = ValidationFailed(details={"expires_in_days": _("有效期须为1到3650天。")})
            ctx["errors"] = exc.details if isinstance(exc.details, dict) else {"general": exc.message}
            status = exc.status
    ctx["keys"] = api_keys_of(request.user)
    return render(request, "accounts/api_keys.html", ctx, status=status)
