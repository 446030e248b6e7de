"""Concurrent pushes to one feed (PostgreSQL: real row locks between connections)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kaifang.feeds.models import Feed, FeedRecord
from kaifang.feeds.tests.conftest import row


@pytest.mark.django_db(transaction=True)
def test_concurrent_pushes_get_distinct_ordered_sequence_numbers(feed_dataset, personas):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with one database lock; the row lock is PostgreSQL's concern")
    from django.db import close_old_connections

    from kaifang.feeds.services import feed_push

    ds = feed_dataset()
    officer = personas["officer"]
    errors: list[BaseException] = []
    changed: list[int] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                r = feed_push(
                    actor=officer, dataset=ds, rows=[row(f"T{n}-{i}", i), row(f"S{i}", n * 100 + i)]
                )
                changed.append(r["inserted"] + r["updated"])
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    feed = Feed.objects.get(dataset=ds)
    seqs = sorted(FeedRecord.objects.filter(feed=feed).values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs)) == 40 + 10  # 40 own keys, 10 shared keys S0..S9
    assert feed.row_count == 50 and feed.batch_count == 40 and seqs[-1] == feed.last_seq
    assert feed.last_seq == sum(changed)  # every change took exactly one number: none lost, none reused
