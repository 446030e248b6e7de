"""Who is acting: a user and the scopes of their roles, computed once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Roles:
    authenticated: bool = False
    user_id: int | None = None
    officer_department_ids: frozenset[int] = field(default_factory=frozenset)
    reviewer_region_ids: frozenset[int] = field(default_factory=frozenset)
    county_admin_region_ids: frozenset[int] = field(default_factory=frozenset)
    city_reviewer: bool = False
    operator: bool = False
    auditor: bool = False
    evaluator: bool = False
    superuser: bool = False

    @property
    def is_staff_member(self) -> bool:
        """Government staff see the resource and sharing catalogs."""
        return bool(
            self.officer_department_ids
            or self.reviewer_region_ids
            or self.county_admin_region_ids
            or self.city_reviewer
            or self.operator
            or self.auditor
            or self.superuser
        )

    @property
    def needs_second_factor(self) -> bool:
        """Roles whose acts or reads go beyond a registered user's: in serve mode only with a second factor."""
        return self.is_staff_member or self.evaluator

    @property
    def review_region_ids(self) -> frozenset[int]:
        return self.reviewer_region_ids | self.county_admin_region_ids

    @property
    def is_reviewer(self) -> bool:
        return self.city_reviewer or bool(self.review_region_ids)


ANONYMOUS = Roles()

# How the acting user object was authenticated, set by whoever turned a request into a user:
#   True   a session that passed the one-time password, or an API key made from such a session;
#   False  a password alone (or a key made from such a session);
#   absent not from a request (command line, tasks, tests calling services): the caller vouches.
SECOND_FACTOR_ATTR = "_kaifang_second_factor"


def mark_second_factor(user: Any, passed: bool) -> None:
    """Record on a request's user object whether its authentication included the second factor."""
    if user is not None and getattr(user, "is_authenticated", False):
        setattr(user, SECOND_FACTOR_ATTR, bool(passed))


def second_factor_passed(user: Any) -> bool:
    """False only for a request's user known to hold a password alone."""
    return getattr(user, SECOND_FACTOR_ATTR, True) is not False


def roles_of(user: Any) -> Roles:
    """The roles every permission check goes by. With KAIFANG_STAFF_2FA_REQUIRED on, a staff account whose
    session (or key) did not pass the second factor holds none of its staff roles: it acts as a registered
    user, so no write, raw read or unpublished read can be reached with a password alone."""
    roles = held_roles_of(user)
    if (
        roles.needs_second_factor
        and not second_factor_passed(user)
        and getattr(settings, "KAIFANG_STAFF_2FA_REQUIRED", False)
    ):
        return Roles(authenticated=True, user_id=roles.user_id)
    return roles


def held_roles_of(user: Any) -> Roles:
    """The roles assigned to the account, whether or not this request may use them. Only the second-factor
    machinery itself (accounts) asks this; every permission asks roles_of."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_kaifang_roles", None)
    if cached is not None:
        return cached
    from kaifang.accounts.models import RoleAssignment
    from kaifang.tenancy.models import Region

    officer, reviewer_regions, admin_regions = set(), set(), set()
    city_reviewer = operator = auditor = evaluator = False
    city_code = settings.KAIFANG_CITY_REGION_CODE
    Role = RoleAssignment.Role
    for role, department_id, region_id, region_code in _role_rows(user.pk):
        if role == Role.OFFICER and department_id:
            officer.add(department_id)
        elif role == Role.REVIEWER:
            if region_id is None or region_code == city_code:
                city_reviewer = True
            else:
                reviewer_regions.add(region_id)
        elif role == Role.COUNTY_ADMIN and region_id:
            admin_regions.add(region_id)
        elif role == Role.OPERATOR:
            operator = True
        elif role == Role.AUDITOR:
            auditor = True
        elif role == Role.EVALUATOR:
            evaluator = True
    # A county's scope covers the zones that roll up into it.
    for scoped in (reviewer_regions, admin_regions):
        if scoped:
            scoped.update(Region.objects.filter(spatial_parent_id__in=scoped).values_list("id", flat=True))
    roles = Roles(
        authenticated=True,
        user_id=user.pk,
        officer_department_ids=frozenset(officer),
        reviewer_region_ids=frozenset(reviewer_regions),
        county_admin_region_ids=frozenset(admin_regions),
        city_reviewer=city_reviewer,
        operator=operator,
        auditor=auditor,
        evaluator=evaluator,
        superuser=bool(user.is_superuser),
    )
    user._kaifang_roles = roles
    return roles


def _role_rows(user_id: int) -> list[tuple[str, int | None, int | None, str | None]]:
    """(role, department id, region id, region code) of each of the user's role assignments.

    Every authenticated request (every keyed data API call) asks this once; a fixed statement skips the
    ORM's query compilation, which cost more than the query itself (bench/access_overhead.py)."""
    from django.db import connection

    sql = (
        "SELECT ra.role, ra.department_id, ra.region_id, r.code FROM accounts_roleassignment ra "
        "LEFT JOIN tenancy_region r ON r.id = ra.region_id WHERE ra.user_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        return cursor.fetchall()
