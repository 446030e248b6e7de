"""The demo feed simulator: first snapshots, rounds of changes through feed_push, restart, the command."""

from __future__ import annotations

from typing import Any

import pytest

from kaifang.core.models import AuditEvent
from kaifang.demo.synthetic import parse_field
from kaifang.feeds.models import Feed
from kaifang.feeds.simulator import DEMO_FEEDS, KEYS, Simulator
from kaifang.feeds.tests.conftest import url

pytestmark = pytest.mark.django_db
COLUMNS = {
    "beds": "医院名称 科室名称 核定床位数 空闲床位数 床位使用率 更新时间",
    "bus": "线路编号 站点名称 车辆编号 预计到站时间 距离站数 更新时间",
    "parking": "停车场编号 停车场名称 泊位总数 空闲泊位数 饱和度:N8 更新时间",
}


@pytest.fixture
def demo_feeds(feed_dataset: Any) -> list[tuple[Any, str]]:
    """The three demo feeds as the demo builder declares them (same topics, types and keys)."""
    out = []
    for title, kind in DEMO_FEEDS.items():
        fields = [parse_field(tok, i) for i, tok in enumerate(COLUMNS[kind].split(), start=1)]
        for f in fields:
            f["is_primary_key"] = f["name"] in KEYS[kind]
        out.append((feed_dataset(title=title, fields=fields), kind))
    return out


def test_seed_then_ticks_move_every_feed(client, personas, demo_feeds):
    sim = Simulator(personas["officer"], demo_feeds)
    assert sim.seed() == 3
    cursors = {}
    for ds, kind in demo_feeds:
        latest = client.get(url(ds, "latest"), {"limit": 1000}).json()
        assert latest["row_count"] == {"beds": 30, "bus": 20, "parking": 12}[kind]
        cursors[ds.code] = (latest["cursor"], latest["rows"])
    for _ in range(3):
        assert sim.tick() > 0
    for ds, _kind in demo_feeds:
        cursor, before = cursors[ds.code]
        changes = client.get(url(ds, "changes"), {"since": cursor}).json()
        assert changes["changes"], ds.title
        after = client.get(url(ds, "latest"), {"limit": 1000}).json()["rows"]
        assert after != before and len(after) == len(before)  # rows changed, none added or lost
    # One audit event per batch: a seed and three rounds for each of the three feeds.
    assert AuditEvent.objects.filter(action="feed.push").count() == 12


def test_bus_arrivals_count_down_and_wrap(personas, demo_feeds):
    sim = Simulator(personas["officer"], demo_feeds)
    sim.seed()
    bus = next(s for s in sim.feeds if s.kind == "bus")
    for _ in range(30):
        sim.tick()
    assert all(0 <= int(r["距离站数"]) <= 7 for r in bus.rows.values())
    assert all(r["车辆编号"].startswith("XN") for r in bus.rows.values())


def test_a_restarted_simulator_continues_from_the_feed(personas, demo_feeds):
    Simulator(personas["officer"], demo_feeds).seed()
    batches = Feed.objects.order_by("id").values_list("batch_count", flat=True)
    again = Simulator(personas["officer"], demo_feeds)
    assert again.seed() == 0 and list(batches) == [1, 1, 1]
    assert all(len(s.rows) > 0 for s in again.feeds)


def test_the_simulate_command_runs_a_few_rounds(demo_feeds, departments, capsys):
    from kaifang.accounts.models import RoleAssignment, User
    from kaifang.cli import main
    from kaifang.demo.builder import LOADER

    loader = User.objects.create(username=LOADER, kind="staff", is_active=False)
    RoleAssignment.objects.create(user=loader, role="officer", department=departments["transport"])
    assert main(["feeds", "simulate", "--ticks", "2", "--interval", "0"]) == 0
    assert "feed simulator" in capsys.readouterr().out
    assert sorted(Feed.objects.values_list("batch_count", flat=True)) == [3, 3, 3]


def test_the_simulate_command_without_demo_feeds_fails_clearly(personas, departments, capsys):
    from kaifang.accounts.models import User
    from kaifang.cli import main
    from kaifang.demo.builder import LOADER

    User.objects.create(username=LOADER, kind="staff", is_active=False)
    assert main(["feeds", "simulate", "--ticks", "1"]) == 1
    assert "no demo feeds" in capsys.readouterr().err


def test_feeds_with_other_keys_are_left_alone(feed_dataset):
    from kaifang.feeds.simulator import demo_feed_datasets

    fields = [parse_field(tok, i) for i, tok in enumerate(COLUMNS["bus"].split(), start=1)]
    fields[0]["is_primary_key"] = True  # keyed by line alone: one row per line, not per stop
    feed_dataset(title="公交车辆实时到站信息", fields=fields)
    assert demo_feed_datasets() == []


# --- every other real-time item: the daily rhythm ---------------------------------------------------------


def _at(day: str, hour: int, minute: int = 0):
    import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.fromisoformat(f"{day} {hour:02d}:{minute:02d}"))


def test_the_rhythm_has_rush_hours_on_working_days_and_a_swell_on_rest_days():
    from kaifang.feeds.simulator import rhythm

    monday, saturday = "2026-12-07", "2026-12-12"
    assert rhythm(_at(monday, 8)) > 0.95 and rhythm(_at(monday, 17, 45)) > 0.95
    assert rhythm(_at(monday, 3)) < 0.2 < rhythm(_at(monday, 12, 30)) < rhythm(_at(monday, 8))
    assert rhythm(_at(saturday, 8)) < 0.5 < rhythm(_at(saturday, 14, 30))
    # National Day is a rest day although a Thursday; Saturday 10 October is worked in its place (调休).
    assert rhythm(_at("2026-10-01", 8)) == rhythm(_at(saturday, 8))
    assert rhythm(_at("2026-10-10", 8)) == rhythm(_at(monday, 8))
    assert all(0.15 <= rhythm(_at(monday, h)) <= 1.0 for h in range(24))


CONGESTION = "路段编号 路段名称 拥堵指数:N6 平均车速:N6 车流量:I 路段容量:I 更新时间"


@pytest.fixture
def congestion(feed_dataset: Any, personas: Any) -> Any:
    from kaifang.catalog.models import Dataset
    from kaifang.feeds.services import feed_push

    fields = [parse_field(tok, i) for i, tok in enumerate(CONGESTION.split(), start=1)]
    fields[0]["is_primary_key"] = True
    ds = feed_dataset(title="城区道路实时拥堵指数", fields=fields)
    Dataset.objects.filter(pk=ds.pk).update(is_sample=True)
    rows = [
        {
            "路段编号": f"R{i:03d}",
            "路段名称": f"温泉路{i}段",
            "拥堵指数": 1.5,
            "平均车速": 30.0,
            "车流量": 1000,
            "路段容量": 1200,
            "更新时间": "2026-12-07 08:00:00",  # a Monday's morning rush
        }
        for i in range(1, 11)
    ]
    feed_push(actor=personas["officer"], dataset=ds, rows=rows, mode="upsert", idempotency_key="seed")
    return ds


def test_other_real_time_items_follow_the_rhythm(personas, congestion):
    from kaifang.core import clock
    from kaifang.feeds.simulator import GENERIC, demo_feed_datasets

    assert demo_feed_datasets() == [(congestion, GENERIC)]
    sim = Simulator(personas["officer"], demo_feed_datasets())
    assert sim.seed() == 0  # the demo build made its snapshot
    with clock.at(_at("2026-12-07", 3)):  # the same Monday at night: quieter, faster, fewer cars
        for _ in range(12):
            sim.tick()
    rows = list(sim.feeds[0].rows.values())
    moved = [r for r in rows if r["更新时间"] != "2026-12-07 08:00:00"]
    assert len(moved) >= 5
    for r in moved:
        assert float(r["拥堵指数"]) < 1.5 and float(r["平均车速"]) > 30.0 and int(r["车流量"]) < 1000
        assert int(r["路段容量"]) == 1200 and r["路段编号"].startswith("R")
    assert all(int(r["车流量"]) <= 1200 for r in rows)


def test_a_restarted_rhythm_continues_the_same_curve(personas, congestion):
    """The level a row was written at is read back from its update time: a new simulator does not compound."""
    from kaifang.core import clock
    from kaifang.feeds.simulator import demo_feed_datasets

    with clock.at(_at("2026-12-07", 3)):
        Simulator(personas["officer"], demo_feed_datasets()).tick()
        first = {
            r["路段编号"]: float(r["车流量"])
            for r in Simulator(personas["officer"], demo_feed_datasets()).feeds[0].rows.values()
        }
        for _ in range(5):
            Simulator(personas["officer"], demo_feed_datasets()).tick()
        again = Simulator(personas["officer"], demo_feed_datasets()).feeds[0].rows.values()
    # Within the noise alone (up to five more updates of at most ±6% each, and rounding); a simulator that
    # lost the level a row was written at would scale it by the night's level again at every restart (÷6).
    for r in again:
        if r["更新时间"] != "2026-12-07 08:00:00" and first[r["路段编号"]] != 1000:
            assert 0.7 < float(r["车流量"]) / first[r["路段编号"]] < 1.4
