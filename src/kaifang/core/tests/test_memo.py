"""Per-process memos: a new generation empties them, an older one never stores, tests can clear them."""

from __future__ import annotations

import datetime
import json
import math

from kaifang.core.memo import GenerationMemo, ObjectMemo, clear_memos


def test_a_value_is_computed_once_per_generation():
    memo = GenerationMemo()
    calls = []

    def compute(value):
        return lambda: calls.append(value) or value

    assert memo.get(5, "k", compute("a")) == "a"
    assert memo.get(5, "k", compute("b")) == "a" and calls == ["a"]
    assert memo.get(6, "k", compute("c")) == "c"  # a newer generation: computed again
    # A request that read an older generation than the newest seen computes, and keeps nothing.
    assert memo.get(5, "k", compute("d")) == "d"
    assert memo.get(6, "k", compute("e")) == "c" and calls == ["a", "c", "d"]


def test_a_memo_is_bounded_and_cleared():
    memo = GenerationMemo(most=2)
    for i in range(3):
        memo.get(1, i, lambda i=i: i)
    assert memo.get(1, 2, lambda: "again") == 2  # the newest stays after the memo emptied itself
    assert memo.get(1, 0, lambda: "again") == "again"
    objects = ObjectMemo()
    assert objects.get(("object", "sql"), lambda: 7) == 7 and objects.get(("object", "sql"), lambda: 8) == 7
    clear_memos()
    assert objects.get(("object", "sql"), lambda: 8) == 8
    assert memo.get(1, 0, lambda: "fresh") == "fresh"


def test_api_json_is_utf8_and_keeps_django_formats():
    from kaifang.config.api import UnicodeJSONRenderer

    renderer = UnicodeJSONRenderer()
    at = datetime.datetime(2026, 11, 28, 4, 5, 6, 789123, tzinfo=datetime.UTC)
    body = renderer.render(
        None, {"名称": "咸宁", "at": at, "day": at.date(), 1: math.nan}, response_status=200
    )
    assert "咸宁".encode() in body
    data = json.loads(body)
    assert data == {"名称": "咸宁", "at": "2026-11-28T04:05:06.789Z", "day": "2026-11-28", "1": None}
    # What orjson refuses (an integer beyond 64 bits) is encoded by the json module instead.
    assert json.loads(renderer.render(None, {"n": 2**70}, response_status=200)) == {"n": 2**70}
