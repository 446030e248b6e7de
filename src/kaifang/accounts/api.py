from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kaifang.core.actors import roles_of
from kaifang.core.http import actor_for

router = Router(tags=["accounts"])


@router.get("/me", summary="当前用户与角色")
def me(request: HttpRequest) -> dict[str, Any]:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        return {"authenticated": False}
    roles = roles_of(actor)
    return {
        "authenticated": True,
        "username": actor.username,
        "display_name": actor.display_name,
        "kind": actor.kind,
        "roles": [
            {
                "role": r.role,
                "department": r.department.uscc if r.department_id else None,
                "region": r.region.code if r.region_id else None,
            }
            for r in actor.roles.select_related("department", "region")
        ],
        "is_staff_member": roles.is_staff_member,
    }
