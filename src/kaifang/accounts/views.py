"""Account pages: public self-registration (login and logout use Django's views)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kaifang.accounts import services
from kaifang.accounts.models import User
from kaifang.core.errors import DomainError


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
            )
        except DomainError as exc:
            ctx.update(
                data=data, errors=exc.details if isinstance(exc.details, dict) else {}, message=exc.message
            )
            return render(request, "accounts/register.html", ctx, status=exc.status)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("注册成功，欢迎使用。"))
        return redirect("portal:home")
    return render(request, "accounts/register.html", ctx)
