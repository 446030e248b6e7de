"""The demo city: personas log in, the D1-D5 data items exist, coverage targets are met, files are intact."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kaifang.accounts.models import User
from kaifang.catalog.choices import CATALOGED_STATES, OpenAttribute, State
from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Concept, Dataset, Distribution, DuplicateFlag
from kaifang.demo import synthetic
from kaifang.demo.builder import ANCHOR, PASSWORD, build_demo
from kaifang.demo.data.topics import D_ITEMS
from kaifang.tenancy.models import Department, Region, ResponsibilityItem
from kaifang.tenancy.selectors import departments_with_progress

PERSONAS = [
    "citizen",
    "enterprise",
    "officer",
    "county_officer",
    "reviewer",
    "county_admin",
    "operator",
    "auditor",
    "evaluator",
]


# S8: the fifteen city departments the work plan names as Chief Data Officer pilots (seed, line 16), as the
# plan words them -> the demo department's short name (two bodies renamed since the plan: 地方金融工作局 became
# 地方金融管理局; the 城管委 is the 城市管理执法委员会).
PLAN_CDO_PILOTS = {
    "市发改委": "市发改委",
    "市公安局": "市公安局",
    "市人社局": "市人社局",
    "市自然资源和规划局": "市自然资源和规划局",
    "市生态环境局": "市生态环境局",
    "市住建局": "市住建局",
    "市交通运输局": "市交通运输局",
    "市文旅局": "市文旅局",
    "市卫健委": "市卫健委",
    "市应急管理局": "市应急管理局",
    "市市场监管局": "市市场监管局",
    "市地方金融工作局": "市地方金融管理局",
    "市城管委": "市城管执法委",
    "市税务局": "市税务局",
    "市住房公积金中心": "市住房公积金中心",
}


def _open_catalog():
    return Dataset.objects.filter(state__in=CATALOGED_STATES).exclude(open_attribute=OpenAttribute.CLOSED)


@pytest.fixture
def demo_home(settings, tmp_path: Path) -> Path:
    settings.KAIFANG_HOME = tmp_path
    return tmp_path


def test_uscc_check_digit() -> None:
    assert synthetic.is_valid_uscc("91350100M000100Y43")  # a published example code
    code = synthetic.make_uscc("11", "421200", 31_007_919)
    assert len(code) == 18 and code.startswith("11421200") and synthetic.is_valid_uscc(code)
    assert not synthetic.is_valid_uscc(code[:17] + ("0" if code[17] != "0" else "1"))


@pytest.mark.django_db
def test_small_demo_city(client, demo_home: Path) -> None:
    result = build_demo(scale=0.1)
    assert result["created"] is True
    assert [a[0] for a in result["accounts"]] == PERSONAS

    # Every persona logs in with the printed password; the hidden helpers cannot.
    for username in PERSONAS:
        assert client.login(username=username, password=PASSWORD), username
        client.logout()
    assert not client.login(username="demo_loader", password=PASSWORD)

    # Regions, the zone's internal code, departments with valid credit codes and CDO pilots.
    zone = Region.objects.get(code="421200GX")
    assert zone.level == "zone" and zone.catalog_code == "421271" and not zone.is_standard_code
    assert zone.spatial_parent.code == "421202" and zone.parent.code == "421200"
    assert all(synthetic.is_valid_uscc(u) for u in Department.objects.values_list("uscc", flat=True))
    pilots = set(
        Department.objects.filter(region__code="421200", is_cdo_pilot=True).values_list(
            "short_name", flat=True
        )
    )
    assert pilots == set(PLAN_CDO_PILOTS.values())
    assert Department.objects.filter(region__code="421200").count() >= 40
    for region in Region.objects.exclude(code="421200"):
        assert region.departments.filter(is_cdo_pilot=True).count() == 1, region

    # The open catalog covers every D1-D5 data item, every key domain, every county and the zone.
    titles = list(_open_catalog().values_list("title", flat=True))
    for group, words in D_ITEMS.items():
        for word in words:
            assert any(word in t for t in titles), f"{group}: {word}"
    # ... and each of them that is opened as a file has data to download and query in at least one entry
    # (the real-time and API items wait for their feeds: issue 14 item 4).
    from kaifang.tabular.models import TableVersion

    with_table = set(TableVersion.objects.values_list("dataset_id", flat=True))
    filed = _open_catalog().filter(
        state=State.PUBLISHED,
        open_attribute=OpenAttribute.UNCONDITIONAL,
        format_type__in=["xlsx", "csv", "json", "geojson"],
    )
    for group, words in D_ITEMS.items():
        for word in words:
            entries = set(filed.filter(title__contains=word).values_list("pk", flat=True))
            assert not entries or entries & with_table, f"{group}: {word} has no entry with data"

    # Every open entry opened for download or through the API answers the data API; the unconditional ones
    # have their file, the conditional ones a public sample that passed the gate, and no rows for the public.
    from kaifang.tabular.models import TableSample

    current = set(
        TableVersion.objects.filter(is_current=True, state="published").values_list("dataset_id", flat=True)
    )
    served = _open_catalog().filter(
        state=State.PUBLISHED, format_type__in=["xlsx", "csv", "json", "geojson", "RESTful API"]
    )
    assert served.count() >= 50
    assert sorted(served.exclude(pk__in=current).values_list("title", flat=True)) == []
    conditional = served.filter(open_attribute=OpenAttribute.CONDITIONAL)
    assert conditional.exists()
    sampled = set(TableSample.objects.values_list("dataset_id", flat=True))
    assert sorted(conditional.exclude(pk__in=sampled).values_list("title", flat=True)) == []
    assert not Distribution.objects.filter(dataset__in=conditional, kind="file").exists()
    for ds in list(conditional[:3]) + list(served.filter(open_attribute=OpenAttribute.UNCONDITIONAL)[:3]):
        slug = slug_for_code(ds.code)
        rows = client.get(f"/api/v1/datasets/{slug}/data")
        if ds.open_attribute == OpenAttribute.CONDITIONAL:
            assert (
                rows.status_code in (401, 403)
                and client.get(f"/api/v1/datasets/{slug}/sample").status_code == 200
            )
        else:
            assert rows.status_code == 200 and rows.json()["rows"], ds.title

    # Every real-time item opened as a feed is live: it holds a first snapshot, and a round of the simulator
    # moves each of them (D6; issue 14 item 4).
    from kaifang.feeds.models import Feed
    from kaifang.feeds.simulator import Simulator

    realtime = [
        ds
        for ds in Dataset.objects.filter(state=State.PUBLISHED, update_frequency="realtime")
        if "feed" in (ds.open_forms or [])
    ]
    assert len(realtime) >= 10
    feeds = {f.dataset_id: f for f in Feed.objects.filter(records__deleted=False).distinct()}
    assert {ds.title for ds in realtime if ds.pk not in feeds} == set()
    batches = {pk: f.batch_count for pk, f in feeds.items()}
    assert Simulator.for_demo().tick() > 0
    moved = {f.dataset_id for f in Feed.objects.all() if f.batch_count > batches.get(f.dataset_id, 0)}
    assert {ds.title for ds in realtime if ds.pk not in moved} == set()
    key_domains = set(Concept.objects.filter(scheme="domain", group="key").values_list("code", flat=True))
    assert len(key_domains) == 15
    assert key_domains <= set(_open_catalog().values_list("domain__code", flat=True))
    covered = set(_open_catalog().values_list("region__code", flat=True))
    assert {"421202", "421221", "421222", "421223", "421224", "421281", "421200GX"} <= covered

    stats = client.get("/api/v1/stats").json()
    assert stats["domains_covered"] == 15
    assert stats["counties_covered"] == stats["counties"] == 7  # six counties and the high-tech zone
    assert stats["open_datasets"] == _open_catalog().count() > 150
    assert 0.85 < stats["cataloging_rate"] < 1.0

    # A mix of workflow states, with reasons where the services require them.
    states = set(Dataset.objects.values_list("state", flat=True))
    assert {State.DRAFT, State.SUBMITTED, State.RETURNED, State.PUBLISHED, State.WITHDRAWN} <= states
    assert all(Dataset.objects.filter(state=State.RETURNED).values_list("return_reason", flat=True))
    assert Dataset.objects.filter(state=State.PUBLISHED, open_attribute=OpenAttribute.CONDITIONAL).exists()
    closed = Dataset.objects.filter(state=State.PUBLISHED, open_attribute=OpenAttribute.CLOSED)
    assert closed.exists() and not closed.filter(legal_basis="").exists()
    assert DuplicateFlag.objects.filter(status="open").exists()
    assert all(d.publish_date < ANCHOR for d in Dataset.objects.exclude(publish_date=None))

    # Every entry with coordinates says in which coordinate system they are (issue 12 item 13).
    located = Dataset.objects.filter(fields__name="经度").filter(fields__name="纬度").distinct()
    assert located.exists()
    assert set(located.values_list("coordinate_system", flat=True)) == {"wgs84"}

    # The officer persona's department has something in every column of its pages.
    transport = Department.objects.get(name="咸宁市交通运输局")
    transport_states = set(transport.datasets.values_list("state", flat=True))
    assert {State.DRAFT, State.RETURNED, State.PUBLISHED} <= transport_states

    # Responsibility lists: some departments fall short, some items are overdue.
    progress = departments_with_progress()
    assert any(d.listed and d.cataloged < d.listed for d in progress)
    assert any(d.listed and d.cataloged == d.listed for d in progress)
    assert ResponsibilityItem.objects.filter(dataset__isnull=True, due_date__lt=ANCHOR).exists()

    # Tabular files exist, match their checksums, and carry no identity numbers.
    dists = list(Distribution.objects.filter(kind="file").select_related("dataset"))
    assert len(dists) >= 20
    for dist in dists:
        slug = slug_for_code(dist.dataset.code)
        path = demo_home / "files" / "demo" / f"{slug}.csv"
        data = path.read_bytes()
        assert dist.access_url == f"/files/demo/{slug}.csv"
        assert dist.byte_size == len(data)
        assert dist.checksum == "sha256:" + hashlib.sha256(data).hexdigest()
        assert dist.dataset.open_attribute == OpenAttribute.UNCONDITIONAL
        text = data.decode("utf-8-sig")
        lines = text.splitlines()
        assert 51 <= len(lines) <= 2001
        assert "身份证" not in lines[0]
        header = lines[0].split(",")
        if "经度" in header and "纬度" in header:
            lon, lat = header.index("经度"), header.index("纬度")
            for line in lines[1:20]:
                cells = line.split(",")
                assert 113.55 <= float(cells[lon]) <= 114.60 and 29.05 <= float(cells[lat]) <= 30.05

    # The demo feeds (hospital beds, bus arrivals, parking) start with a snapshot each; the simulator moves them.
    from kaifang.feeds.models import Feed
    from kaifang.feeds.simulator import DEMO_FEEDS

    live = set(Feed.objects.filter(row_count__gt=0).values_list("dataset__title", flat=True))
    assert set(DEMO_FEEDS) <= live  # and every other real-time item (checked above)

    # Building again changes nothing.
    datasets, users = Dataset.objects.count(), User.objects.count()
    again = build_demo(scale=0.1)
    assert again["created"] is False
    assert Dataset.objects.count() == datasets and User.objects.count() == users


@pytest.mark.django_db
def test_full_scale_demo_city_meets_targets(client, demo_home: Path) -> None:
    """The full build (about 25 s on SQLite) reaches the targets of T1 and T4."""
    result = build_demo()
    stats = client.get("/api/v1/stats").json()
    assert result["open_datasets"] == stats["open_datasets"] >= 1200
    assert stats["domains_covered"] == 15
    assert stats["counties_covered"] == 7
    assert 0.9 <= stats["cataloging_rate"] <= 0.97
    assert result["files"] >= 150
    resource = Dataset.objects.filter(state__in=CATALOGED_STATES)
    conditional = resource.filter(open_attribute=OpenAttribute.CONDITIONAL).count() / resource.count()
    closed = resource.filter(open_attribute=OpenAttribute.CLOSED).count() / resource.count()
    assert 0.12 < conditional < 0.28 and 0.02 < closed < 0.09
    total = sum(p.stat().st_size for p in (demo_home / "files" / "demo").glob("*.csv"))
    assert total < 50 * 1024 * 1024
