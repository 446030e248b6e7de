"""Every template of the platform compiles in the server's parent process before the workers fork."""

from kaifang.core.warmup import template_names, warm_up


def test_every_template_of_ours_is_compiled():
    names = template_names()
    ours = [n for n in names if n.startswith(("portal/", "operations/", "interaction/", "notifications/"))]
    assert "base.html" in names and len(ours) > 20
    assert warm_up() >= len(ours)


def test_a_start_forgets_what_an_earlier_start_rendered():
    from kaifang.core import fragments

    fragments._shared_set("earlier", "<p>old template</p>")
    warm_up()
    assert fragments._shared_get("earlier") is None


def test_views_and_lazily_imported_modules_are_loaded_before_the_fork():
    import sys

    from django.urls import get_resolver

    from kaifang.core.warmup import import_app_modules, load_urls

    assert import_app_modules() >= 20
    for name in (
        "kaifang.operations.selectors",
        "kaifang.interaction.services",
        "kaifang.notifications.tasks",
    ):
        assert name in sys.modules
    load_urls()
    assert "operations" in get_resolver().namespace_dict
    assert "kaifang.portal.views" in sys.modules
