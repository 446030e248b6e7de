"""Every template of the platform compiles in the server's parent process before the workers fork."""

from kaifang.core.warmup import template_names, warm_up


def test_every_template_of_ours_is_compiled():
    names = template_names()
    ours = [n for n in names if n.startswith(("portal/", "operations/", "interaction/", "notifications/"))]
    assert "base.html" in names and len(ours) > 20
    assert warm_up() >= len(ours)
