"""Who may change search: operators (and the command line, which is the operator's own channel)."""

from __future__ import annotations

from typing import Any

from kaifang.core.actors import roles_of


class _CommandLine:
    """The actor of `kaifang search …` commands: whoever may run the command owns the instance."""

    is_authenticated = False
    pk = None

    def __repr__(self) -> str:
        return "command-line"


COMMAND_LINE = _CommandLine()


def _operator(actor: Any) -> bool:
    if actor is COMMAND_LINE:
        return True
    roles = roles_of(actor)
    return roles.operator or roles.superuser


def can_search_index_rebuild(actor: Any) -> bool:
    return _operator(actor)


def can_search_index_repair(actor: Any) -> bool:
    return _operator(actor)


def can_synonym_add(actor: Any) -> bool:
    return _operator(actor)


def can_synonym_delete(actor: Any, synonym: Any) -> bool:
    return _operator(actor)


def can_search_settings_update(actor: Any) -> bool:
    return _operator(actor)


def can_search_usage_refresh(actor: Any) -> bool:
    return _operator(actor)
