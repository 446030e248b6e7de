"""Who an API key is, what roles its user holds and which grants they have, cached per process by a
generation (decisions 0004 and 0010), so a keyed data call costs what an anonymous one does.

The generation is the newest catalog audit event plus the value of `AccessGeneration`, read in one
statement per call. Every service writes an audit event (revoking or rotating a key, deciding or revoking a
grant, a usage report); every save or delete of a user, key, role, region, grant or usage report moves the
row as well, in the same transaction (the signal receivers below), which also covers the admin. A change
therefore takes effect on the next call in every worker. What depends on the clock (a key's expiry, a
grant's period and its overdue report) is evaluated on every call from the cached rows. Changes made with
`QuerySet.update()` or raw SQL on those tables bypass both and are seen once the generation next moves.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from kaifang.core.memo import GenerationMemo

_KEYS = GenerationMemo(most=4096)
_GRANTS = GenerationMemo(most=8192)
GENERATION_ATTR = "_kaifang_access_generation"
TOUCH_SECONDS = 60


def _sql(template: str) -> str:
    from kaifang.access.models import AccessGeneration
    from kaifang.core.models import AuditEvent

    q = connection.ops.quote_name
    return template.format(audit=q(AuditEvent._meta.db_table), generation=q(AccessGeneration._meta.db_table))


def access_generation() -> int:
    """Moves with every committed catalog change and every saved key, user, role, grant or report."""
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(
                "SELECT COALESCE((SELECT MAX(id) FROM {audit} WHERE changes_catalog = %s), 0)"
                " + COALESCE((SELECT value FROM {generation} WHERE id = 1), 0)"
            ),
            [True],
        )
        return int(cursor.fetchone()[0])


def bump(**_kwargs: Any) -> None:
    """Move the generation (a signal receiver: runs in the saving transaction when there is one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(
                "INSERT INTO {generation} (id, value) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET value = {generation}.value + 1"
            )
        )


def _bump_unless_only(*fields: str) -> Any:
    """A receiver that ignores saves of nothing but bookkeeping fields (a login, a key's last use)."""

    def receiver(update_fields: Any = None, **kwargs: Any) -> None:
        if update_fields and set(update_fields) <= set(fields):
            return
        bump()

    return receiver


_RECEIVERS: list[Any] = []


def connect_signals() -> None:
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    watched = {
        "accounts.User": ("last_login",),
        "accounts.ApiKey": ("last_used_at",),
        "accounts.RoleAssignment": (),
        "tenancy.Region": (),
        "access.AccessGrant": (),
        "access.UsageReport": (),
    }
    for label, bookkeeping in watched.items():
        model = apps.get_model(label)
        receiver = _bump_unless_only(*bookkeeping)
        _RECEIVERS.append(receiver)  # signals keep weak references
        post_save.connect(receiver, sender=model, dispatch_uid=f"access-generation-save-{label}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"access-generation-delete-{label}")
    user = apps.get_model("accounts.User")
    for through in (user.groups.through, user.user_permissions.through):
        m2m_changed.connect(bump, sender=through, dispatch_uid=f"access-generation-m2m-{through.__name__}")


def key_for(token: str) -> Any:
    """The active API key for a bearer token, with its user (and the user's roles) read once per
    generation; each call gets its own copies, so nothing one request sets on them reaches another."""
    from kaifang.accounts.selectors import api_key_for

    generation = access_generation()
    digest = hashlib.sha256(token.encode()).hexdigest()  # never the secret itself as a dictionary key

    def resolve() -> Any:
        key = api_key_for(token)
        if key is not None:
            from kaifang.core.actors import roles_of

            roles_of(key.user)  # kept on the cached user for this generation
        return key

    cached = _KEYS.get(generation, digest, resolve, keep=lambda key: key is not None)
    if cached is None or not cached.is_active:  # expiry is a matter of the clock, not of a change
        return None
    now = timezone.now()
    if cached.last_used_at is None or (now - cached.last_used_at).total_seconds() > TOUCH_SECONDS:
        type(cached).objects.filter(pk=cached.pk).update(last_used_at=now)
        cached.last_used_at = now
    user = _copy(cached.user)
    setattr(user, GENERATION_ATTR, generation)
    key = _copy(cached)
    key._state.fields_cache["user"] = user
    return key


def _copy(instance: Any) -> Any:
    """A shallow copy of a model instance with its own state: what copy.copy() gives, without the pickling
    protocol it goes through (a fifth of what a keyed call added to an anonymous one)."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__.update(instance.__dict__)
    clone._state = copy.copy(instance._state)
    clone._state.fields_cache = dict(instance._state.fields_cache)
    return clone


def grants_of(actor: Any, user_id: int, dataset_id: int) -> list[Any]:
    """The user's unrevoked grants on a dataset, each with its last report time, for this generation."""
    from kaifang.access.models import AccessGrant

    generation = getattr(actor, GENERATION_ATTR, None) or access_generation()

    def read() -> list[Any]:
        return list(
            AccessGrant.objects.filter(grantee_id=user_id, dataset_id=dataset_id, revoked_at__isnull=True)
            .annotate(last_report_at=Max("reports__submitted_at"))
            .order_by("pk")
        )

    return _GRANTS.get(generation, (user_id, dataset_id), read)
