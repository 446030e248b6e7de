"""Cached fragments are rendered again after any audited change, on another day and in another language."""

import datetime

import pytest
from django.utils import timezone, translation

from kaifang.core import clock
from kaifang.core.audit import audit_record
from kaifang.core.fragments import fragment

pytestmark = pytest.mark.django_db


def test_a_fragment_is_rendered_once_per_generation_day_and_language(personas):
    calls = []

    def render() -> str:
        calls.append(1)
        return f"<p>{len(calls)}</p>"

    assert fragment(("k", 1), render) == "<p>1</p>"
    assert fragment(("k", 1), render) == "<p>1</p>"  # kept
    assert fragment(("k", 2), render) == "<p>2</p>"  # another key
    audit_record(actor=personas["officer"], action="test", target=("test", "1"))
    assert fragment(("k", 1), render) == "<p>3</p>"  # an audited change: rendered again
    with clock.at(timezone.now() + datetime.timedelta(days=1)):
        assert fragment(("k", 1), render) == "<p>4</p>"  # waiting days move with the date
    with translation.override("en"):
        assert fragment(("k", 1), render) == "<p>5</p>"
    assert fragment(("k", 1), render) == "<p>3</p>"


def test_the_public_request_list_shows_a_new_request_at_once(client, login, personas):
    from kaifang.interaction.services import public_request_submit

    assert "新开的数据需求" not in client.get("/requests/").content.decode()
    public_request_submit(
        actor=personas["citizen"],
        kind="data_request",
        title="新开的数据需求",
        body="内容",
        purpose="用途",
    )
    assert "新开的数据需求" in client.get("/requests/").content.decode()


def test_statistics_job_runs_on_every_backend():
    from django.db import connection

    from kaifang.core.maintenance import refresh_statistics
    from kaifang.core.periodic import JOBS

    assert "core.database_statistics" in JOBS
    refresh_statistics()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1


def test_the_least_recently_used_fragment_leaves_the_process_but_not_the_machine(monkeypatch):
    from kaifang.core import fragments

    monkeypatch.setattr(fragments, "MOST", 2)
    fragment(("a",), lambda: "A")
    fragment(("b",), lambda: "B")
    fragment(("a",), lambda: "A2")  # a is used again: b is now the oldest
    fragment(("c",), lambda: "C")
    local = [key[0] for key in fragments._FRAGMENTS._values]
    assert local == ["a", "c"]
    # another worker process (an empty local level) is served what this one rendered
    fragments._FRAGMENTS._values.clear()
    assert fragment(("b",), lambda: "B2") == "B"
    assert fragment(("a",), lambda: "A3") == "A"
