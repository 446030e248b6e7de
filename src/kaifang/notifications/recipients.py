"""Whom a message about a piece of work is addressed to. These are candidates only: `notify(visible=...)`
then asks the permissions (core.actors.roles_of) whether each may read what the message names."""

from __future__ import annotations

from typing import Any


def officers_of_department(department_id: int) -> list[Any]:
    from kaifang.accounts.selectors import users_holding

    return list(users_holding("officer", department_id=department_id))


def reviewers() -> list[Any]:
    """Every city or county reviewer and county administrator (their scope is checked by `visible`)."""
    from kaifang.accounts.selectors import users_holding

    return list(users_holding("reviewer", "county_admin"))
