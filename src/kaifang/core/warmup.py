"""What every worker process would otherwise do on its first requests, done once in the server's parent
process before it forks the workers (which then share it): compiling every template, loading both
languages' catalogs, the URL patterns (which import every view) and their reverse tables in both languages,
every app's selectors, services and permissions (imported inside functions to keep the apps' imports one-way),
the shared fragment cache's files, and the working-day counts of the years around today. Without it each new
worker spent its first few hundred milliseconds on these, showing up as the slowest requests after a start
(a cold officer's workbench at p95 547 ms against p50 51 ms, bench/workbench_bench.py)."""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def template_names() -> list[str]:
    from django.template import engines
    from django.template.loaders.app_directories import get_app_template_dirs

    engine = engines["django"]
    roots = [Path(d) for d in engine.engine.dirs] + [Path(d) for d in get_app_template_dirs("templates")]
    names = set()
    for root in roots:
        for path in root.rglob("*.html"):
            names.add(path.relative_to(root).as_posix())
    return sorted(names)


# Modules each app may have that views and tasks import lazily.
APP_MODULES = ("selectors", "services", "permissions", "views", "api", "tasks", "receivers", "signals")


def import_app_modules() -> int:
    """Import every installed Kaifang app's lazily imported modules; the number imported."""
    from django.apps import apps

    imported = 0
    for config in apps.get_app_configs():
        if not config.name.startswith("kaifang."):
            continue
        for module in APP_MODULES:
            if importlib.util.find_spec(f"{config.name}.{module}") is None:
                continue
            importlib.import_module(f"{config.name}.{module}")
            imported += 1
    return imported


def load_urls() -> None:
    """Import the URL configuration (and with it every view) and fill the reverse tables of each language."""
    from django.conf import settings
    from django.urls import get_resolver, reverse
    from django.utils import translation

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - the import is the point
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reverse("portal:home")
            for namespace in resolver.namespace_dict:
                resolver.namespace_dict[namespace][1].reverse_dict  # noqa: B018 - fills the namespace's table


def warm_up() -> int:
    """Compile every template and load what the first requests need; the number of templates compiled."""
    from django.conf import settings
    from django.template import TemplateSyntaxError, engines
    from django.utils import translation

    from kaifang.core import clock, workdays

    engine = engines["django"]
    compiled = 0
    for name in template_names():
        try:
            engine.get_template(name)
            compiled += 1
        except TemplateSyntaxError:
            # A template of an installed library meant for another engine; ours are checked by the tests.
            logger.debug("template %s not compiled", name)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("工作台")
    import_app_modules()
    load_urls()
    # Create the shared fragment cache's database before the workers race to create it, and empty it: what
    # an earlier start rendered may come from other templates or code (an upgrade).
    from kaifang.core.fragments import _shared

    _shared().clear()
    today = clock.today()
    for year in (today.year - 1, today.year, today.year + 1):
        workdays.workdays_between(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    return compiled
