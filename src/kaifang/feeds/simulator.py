"""Keeps the demo city's feeds moving: hospital beds, bus arrivals and parking spaces by their own rules, and
every other real-time item of the demo (congestion, bus positions and crowding, scenic spots, air quality,
water levels, roadside parking, county hospitals' beds...) by one daily rhythm: rush hours on working days, a
midday swell at weekends and on public holidays (the official calendar, core.workdays), quiet nights.

Every change goes through `feed_push`, as the demo loader account (an officer of every department), so the
simulated data meets the same validation, privacy scan, audit and sequence as a department's own pushes.
State is read back from each feed at start, so a restarted simulator continues where the feed stands.
"""

from __future__ import annotations

import datetime
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from kaifang.catalog.choices import CATALOGED_STATES, OpenForm, State, UpdateFrequency
from kaifang.catalog.models import Dataset
from kaifang.feeds.models import Feed, FeedRecord
from kaifang.feeds.services import feed_push

HOSPITALS = ["咸宁市中心医院", "咸宁市第一人民医院", "咸宁市中医医院", "咸宁市妇幼保健院", "咸安区人民医院"]
WARDS = ["内科", "外科", "儿科", "妇产科", "急诊科", "重症医学科"]
LINES = {
    "1路": ["咸宁北站", "温泉路口", "市政府", "中心医院", "咸宁南站"],
    "3路": ["汽车客运站", "十六潭公园", "市政府", "咸宁职院", "贺胜路口"],
    "6路": ["温泉", "淦河大桥", "中心医院", "永安城", "高新区管委会"],
    "11路": ["咸宁北站", "潜山公园", "香城广场", "湖北科技学院", "汽车客运站"],
}
CAR_PARKS = [
    "温泉商业步行街停车场",
    "香城广场地下停车场",
    "咸宁北站停车场",
    "市中心医院停车场",
    "十六潭公园停车场",
    "潜山国家森林公园停车场",
    "市政务服务中心停车场",
    "咸宁南站停车场",
    "银泰城地下停车场",
    "体育中心停车场",
    "高新区管委会停车场",
    "湖北科技学院南门停车场",
]
# Demo dataset title → kind of simulation.
DEMO_FEEDS = {
    "医疗机构实时床位信息": "beds",
    "公交车辆实时到站信息": "bus",
    "停车场实时泊位监测信息": "parking",
}


def _now_text(now: datetime.datetime) -> str:
    return timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Simulated:
    dataset: Dataset
    kind: str
    rng: random.Random
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # by primary key text
    keys: tuple[str, ...] = ()  # the primary key's fields (a generic feed's own; the named kinds' in KEYS)

    def __post_init__(self) -> None:
        self.keys = self.keys or KEYS[self.kind]

    def key(self, row: dict[str, Any]) -> str:
        return "|".join(str(row[f]) for f in self.keys)


KEYS = {"beds": ("医院名称", "科室名称"), "bus": ("线路编号", "站点名称"), "parking": ("停车场编号",)}
GENERIC = "generic"


def _beds_initial(rng: random.Random, now: str) -> list[dict[str, Any]]:
    rows = []
    for h in HOSPITALS:
        for w in WARDS:
            total = rng.randrange(20, 90, 5)
            free = rng.randint(0, total // 3)
            rows.append(_bed(h, w, total, free, now))
    return rows


def _bed(h: str, w: str, total: int, free: int, now: str) -> dict[str, Any]:
    return {
        "医院名称": h,
        "科室名称": w,
        "核定床位数": total,
        "空闲床位数": free,
        "床位使用率": round(100 * (total - free) / total, 1),
        "更新时间": now,
    }


def _beds_step(sim: Simulated, now: str) -> list[dict[str, Any]]:
    out = []
    for key in sim.rng.sample(sorted(sim.rows), k=min(5, len(sim.rows))):
        r = sim.rows[key]
        free = max(0, min(r["核定床位数"], int(r["空闲床位数"]) + sim.rng.choice((-2, -1, -1, 1, 1, 2))))
        out.append(_bed(r["医院名称"], r["科室名称"], int(r["核定床位数"]), free, now))
    return out


def _vehicle(rng: random.Random, line: str) -> str:
    # Fleet numbers, not number plates: a plate is a personal identifier the privacy scan refuses.
    return f"XN{line.rstrip('路')}-{rng.randint(1, 24):02d}"


def _arrival(
    line: str, stop: str, vehicle: str, stops: int, at: datetime.datetime, now: str
) -> dict[str, Any]:
    return {
        "线路编号": line,
        "站点名称": stop,
        "车辆编号": vehicle,
        "预计到站时间": _now_text(at + datetime.timedelta(minutes=2 * stops + 1)),
        "距离站数": stops,
        "更新时间": now,
    }


def _bus_initial(rng: random.Random, now: str) -> list[dict[str, Any]]:
    at = timezone.now()
    return [
        _arrival(line, stop, _vehicle(rng, line), rng.randint(1, 6), at, now)
        for line, stops in LINES.items()
        for stop in stops
    ]


def _bus_step(sim: Simulated, now: str) -> list[dict[str, Any]]:
    """One line moves per tick: every stop's next bus comes a stop closer; an arrived bus is replaced."""
    at = timezone.now()
    line = sim.rng.choice(sorted(LINES))
    out = []
    for stop in LINES[line]:
        r = sim.rows.get(f"{line}|{stop}")
        if r is None:
            continue
        stops = int(r["距离站数"]) - 1
        vehicle = r["车辆编号"]
        if stops < 0:
            stops, vehicle = sim.rng.randint(3, 7), _vehicle(sim.rng, line)
        out.append(_arrival(line, stop, vehicle, stops, at, now))
    return out


def _park(i: int, name: str, total: int, free: int, now: str) -> dict[str, Any]:
    return {
        "停车场编号": f"P{i:03d}",
        "停车场名称": name,
        "泊位总数": total,
        "空闲泊位数": free,
        "饱和度": round((total - free) / total, 2),
        "更新时间": now,
    }


def _parking_initial(rng: random.Random, now: str) -> list[dict[str, Any]]:
    rows = []
    for i, name in enumerate(CAR_PARKS, start=1):
        total = rng.randrange(80, 800, 20)
        rows.append(_park(i, name, total, rng.randint(total // 10, total // 2), now))
    return rows


def _parking_step(sim: Simulated, now: str) -> list[dict[str, Any]]:
    out = []
    for key in sim.rng.sample(sorted(sim.rows), k=min(4, len(sim.rows))):
        r = sim.rows[key]
        total = int(r["泊位总数"])
        free = max(0, min(total, int(r["空闲泊位数"]) + sim.rng.randint(-12, 12)))
        out.append(_park(int(str(r["停车场编号"])[1:]), r["停车场名称"], total, free, now))
    return out


# --- every other real-time item: one daily rhythm --------------------------------------------------------

# Words in a field's name that say how it moves with the rhythm.
CAPACITY_WORDS = ("总数", "核定", "最大", "限值", "承载量", "容量")  # fixed
INVERSE_WORDS = ("空闲", "剩余", "车速", "速度", "舒适")  # fall when the city is busy
FIXED_WORDS = ("编号", "经度", "纬度", "代码", "预计")


def _bell(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2) / 2)


def rhythm(moment: datetime.datetime) -> float:
    """How busy the city is at `moment`, from 0.15 (night) to 1.0: morning and evening rush hours on working
    days (adjusted working days included), a midday and afternoon swell on rest days and public holidays."""
    from kaifang.core.workdays import is_workday

    local = timezone.localtime(moment)
    hour = local.hour + local.minute / 60
    if is_workday(local.date()):
        busy = max(_bell(hour, 8.0, 1.0), _bell(hour, 17.75, 1.2), 0.6 * _bell(hour, 12.5, 2.8))
    else:
        busy = 0.85 * _bell(hour, 14.5, 3.2)
    return round(0.15 + 0.85 * busy, 4)


def _level(name: str, busy: float) -> float:
    return 1.15 - busy if any(w in name for w in INVERSE_WORDS) else busy


def _moving(name: str, keys: tuple[str, ...]) -> bool:
    return name not in keys and not any(w in name for w in CAPACITY_WORDS + FIXED_WORDS)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _as_before(value: float, before: Any) -> int | float:
    text = str(before)
    return round(value, len(text.split(".", 1)[1])) if "." in text else int(round(value))


def _when(row: dict[str, Any]) -> datetime.datetime | None:
    for name, value in row.items():
        if name.endswith("时间") and not name.startswith("预计"):
            try:
                return timezone.make_aware(datetime.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S"))
            except ValueError:
                return None
    return None


def generic_row(sim: Simulated, row: dict[str, Any], at: datetime.datetime) -> dict[str, Any]:
    """The row as it stands at `at`: each moving number scaled from its level at the row's last update to
    the level now (so a restarted simulator continues the same curve), within a few percent of noise, never
    above the row's capacity; its update time set to now."""
    then = _when(row)
    before, now_level = rhythm(then or at), rhythm(at)
    capacity = next(
        (
            n
            for name, v in row.items()
            if any(w in name for w in CAPACITY_WORDS) and (n := _number(v)) is not None
        ),
        None,
    )
    out = dict(row)
    for name, value in row.items():
        if name.endswith("时间") and not name.startswith("预计"):
            out[name] = _now_text(at)
            continue
        number = _number(value)
        if number is None or not _moving(name, sim.keys):
            continue
        scaled = number * _level(name, now_level) / max(_level(name, before), 0.05)
        scaled *= sim.rng.uniform(0.94, 1.06)
        if capacity is not None and number <= capacity:
            scaled = min(scaled, capacity)
        out[name] = _as_before(max(0.0, scaled), value)
    return out


def _generic_step(sim: Simulated, now: str) -> list[dict[str, Any]]:
    at = timezone.now()
    picked = sim.rng.sample(sorted(sim.rows), k=min(max(3, len(sim.rows) // 5), len(sim.rows)))
    return [generic_row(sim, sim.rows[key], at) for key in picked]


INITIAL: dict[str, Callable[[random.Random, str], list[dict[str, Any]]]] = {
    "beds": _beds_initial,
    "bus": _bus_initial,
    "parking": _parking_initial,
}
STEP: dict[str, Callable[[Simulated, str], list[dict[str, Any]]]] = {
    "beds": _beds_step,
    "bus": _bus_step,
    "parking": _parking_step,
    GENERIC: _generic_step,
}


def demo_feed_datasets() -> list[tuple[Dataset, str]]:
    """The demo city's published feed datasets the simulator knows how to move (a demo built before the
    feeds were keyed by hospital and ward, or line and stop, is left alone rather than refused every round),
    then every other real-time feed of the demo's sample data, moved by the daily rhythm."""
    out = []
    qs = Dataset.objects.filter(title__in=list(DEMO_FEEDS), state__in=CATALOGED_STATES).order_by("id")
    for ds in qs:
        kind = DEMO_FEEDS[ds.title]
        keys = {f.name for f in ds.fields.all() if f.is_primary_key}
        if OpenForm.FEED in (ds.open_forms or []) and keys == set(KEYS[kind]):
            out.append((ds, kind))
    return out + [(ds, GENERIC) for ds in generic_feed_datasets()]


def generic_feed_datasets() -> list[Dataset]:
    """The demo's other published real-time feeds (sample data only: a department's own feed is its own)."""
    qs = (
        Dataset.objects.filter(
            state=State.PUBLISHED, is_sample=True, update_frequency=UpdateFrequency.REALTIME
        )
        .exclude(title__in=list(DEMO_FEEDS))
        .prefetch_related("fields")
        .order_by("id")
    )
    return [
        ds
        for ds in qs
        if OpenForm.FEED in (ds.open_forms or []) and any(f.is_primary_key for f in ds.fields.all())
    ]


class Simulator:
    def __init__(self, actor: Any, feeds: list[tuple[Dataset, str]], seed: int = 20261127) -> None:
        self.actor = actor
        self.feeds = [
            Simulated(ds, kind, random.Random(f"{seed}:{ds.code}"), keys=_keys_of(ds, kind))
            for ds, kind in feeds
        ]
        for sim in self.feeds:
            self._load(sim)

    @classmethod
    def for_demo(cls) -> Simulator:
        from kaifang.accounts.models import User
        from kaifang.demo.builder import LOADER

        return cls(User.objects.get(username=LOADER), demo_feed_datasets())

    def _load(self, sim: Simulated) -> None:
        feed = Feed.objects.filter(dataset=sim.dataset).first()
        if feed is None:
            return
        for data in FeedRecord.objects.filter(feed=feed, deleted=False).values_list("data", flat=True):
            if all(k in data for k in sim.keys):
                sim.rows[sim.key(data)] = data

    def _push(self, sim: Simulated, rows: list[dict[str, Any]]) -> dict[str, Any]:
        result = feed_push(
            actor=self.actor,
            dataset=sim.dataset,
            rows=rows,
            mode="upsert",
            idempotency_key=f"sim-{uuid.uuid4().hex}",
        )
        for r in rows:
            sim.rows[sim.key(r)] = r
        return result

    def seed(self) -> int:
        """Push a full first snapshot to every feed that has none; returns how many were seeded."""
        seeded = 0
        now = _now_text(timezone.now())
        for sim in self.feeds:
            if not sim.rows and sim.kind in INITIAL:  # a generic feed starts from the demo build's snapshot
                self._push(sim, INITIAL[sim.kind](sim.rng, now))
                seeded += 1
        return seeded

    def tick(self) -> int:
        """One round: every feed gets one small batch of changes. Returns the number of rows pushed."""
        self.seed()
        now = _now_text(timezone.now())
        pushed = 0
        for sim in self.feeds:
            if not sim.rows:
                continue
            rows = STEP[sim.kind](sim, now)
            if rows:
                self._push(sim, rows)
                pushed += len(rows)
        return pushed


def _keys_of(ds: Dataset, kind: str) -> tuple[str, ...]:
    if kind in KEYS:
        return KEYS[kind]
    return tuple(f.name for f in sorted(ds.fields.all(), key=lambda f: f.seq) if f.is_primary_key)


def seed_demo_feeds(stdout: Any = None) -> int:
    """Called by the demo build: every demo feed starts with a full snapshot."""
    from kaifang.feeds.validation import close

    sim = Simulator.for_demo()
    n = sim.seed()
    close()
    if stdout is not None:
        stdout.write(
            f"实时数据流：{len(sim.feeds)} 个（医院床位、公交到站、停车位及按日节律变化的其他实时数据）\n"
        )
    return n
