"""Conventions the code must keep: every service has its `can_*` and every `can_*` its service."""

import ast
import importlib
import inspect
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "src" / "kaifang"
APPS = sorted(p.parent.name for p in ROOT.glob("*/services.py"))
# Services that anyone may call and that therefore need no permission function.
NO_PERMISSION_NEEDED: set[str] = set()


def _public_functions(module) -> set[str]:
    return {
        name
        for name, obj in inspect.getmembers(module, inspect.isfunction)
        if obj.__module__ == module.__name__ and not name.startswith("_")
    }


@pytest.mark.parametrize("app", APPS)
def test_every_service_has_its_permission_and_back(app):
    services = importlib.import_module(f"kaifang.{app}.services")
    permissions = importlib.import_module(f"kaifang.{app}.permissions")
    service_names = {n for n in _public_functions(services) if n != "dataset_snapshot"}
    can_names = {n[4:] for n in _public_functions(permissions) if n.startswith("can_")}
    assert service_names - NO_PERMISSION_NEEDED - can_names == set(), "services without can_*"
    assert can_names - service_names == set(), "can_* without a service"


@pytest.mark.parametrize("app", APPS)
def test_every_service_calls_its_permission(app):
    path = ROOT / app / "services.py"
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if (
            isinstance(node, ast.FunctionDef)
            and not node.name.startswith("_")
            and node.name != "dataset_snapshot"
        ):
            source = ast.unparse(node)
            assert f"can_{node.name}(" in source, f"{app}.services.{node.name} does not call can_{node.name}"


def test_views_and_endpoints_do_not_fetch_guarded_models_directly():
    offenders = []
    for path in list(ROOT.glob("*/views.py")) + list(ROOT.glob("*/api.py")):
        text = path.read_text()
        for banned in ("Dataset.objects.get(", "Dataset.objects.filter("):
            if banned in text:
                offenders.append(f"{path.relative_to(ROOT)}: {banned}")
    assert offenders == [], "use selectors.get_dataset_for(actor, code) so missing and forbidden look alike"


def test_privilege_is_decided_by_roles_of_alone():
    """Every permission asks core.actors.roles_of, which drops a staff account's roles when its session or key
    did not pass the second factor (tests/test_second_factor_everywhere.py walks every endpoint for it). Code
    that read role assignments, superuser or staff flags itself, or asked held_roles_of (the roles whatever the
    session), would step around that rule."""
    own = ("accounts/", "core/actors.py", "core/testing.py", "demo/")
    banned = re.compile(
        r"RoleAssignment\.objects|\.roles\.|is_superuser|\.is_staff\b|held_roles_of|SECOND_FACTOR_ATTR"
    )
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or rel.startswith(own):
            continue
        offenders += [f"{rel}: {m.group(0)}" for m in banned.finditer(path.read_text())]
    assert offenders == [], "decide privilege with core.actors.roles_of(actor)"
