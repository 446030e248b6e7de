"""The first snapshot of every real-time item of the demo that the feed simulator moves by its daily rhythm
(feeds.simulator.GENERIC): rows made from the entry's own fields by demo.synthetic, as plausible as its
static tables, pushed through feed_push like a department's own first push."""

from __future__ import annotations

import random
import uuid
from typing import Any

from django.utils import timezone

from kaifang.demo import synthetic
from kaifang.demo.builder import ANCHOR, LOADER, SEED


def seed_realtime_feeds(stdout: Any = None) -> int:
    """Push a snapshot to each of the demo's generic real-time feeds that has none; the number seeded."""
    from kaifang.accounts.models import User
    from kaifang.feeds.models import Feed
    from kaifang.feeds.services import feed_push
    from kaifang.feeds.simulator import generic_feed_datasets

    loader = User.objects.get(username=LOADER)
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    seeded = 0
    for ds in generic_feed_datasets():
        if Feed.objects.filter(dataset=ds, records__deleted=False).exists():
            continue  # a rebuilt demo keeps what its feed already holds
        fields = [f for f in ds.fields.all() if f.open_attribute != "closed"]
        keys = [f.name for f in fields if f.is_primary_key]
        rng = random.Random(f"{SEED}:live:{ds.code}")
        ctx = synthetic.Context(
            rng, ds.title, ds.region.code if ds.region_id else "421200", ANCHOR.year, ANCHOR
        )
        rows = synthetic.generate_rows(
            [{"name": f.name, "data_type": f.data_type} for f in fields],
            rng.randint(12, 40),
            ctx,
            unique_first=False,
        )
        unique: dict[tuple[str, ...], dict[str, Any]] = {}
        for values in rows:
            row = dict(zip([f.name for f in fields], values, strict=True))
            for name in row:
                if name.endswith("时间") and not name.startswith("预计"):
                    row[name] = now
            unique.setdefault(tuple(str(row[k]) for k in keys), row)
        feed_push(
            actor=loader,
            dataset=ds,
            rows=list(unique.values()),
            mode="upsert",
            idempotency_key=f"demo-live-{uuid.uuid4().hex}",
        )
        seeded += 1
    if stdout is not None:
        stdout.write(f"实时数据流（按日节律变化）：{seeded} 个\n")
    return seeded


def publish_samples(stdout: Any = None) -> dict[str, int]:
    """Every conditionally open entry of the demo with a published table gets its public sample (样本数据集),
    made by the department's officer through the service, so it passes the same privacy gate."""
    from kaifang.accounts.models import User
    from kaifang.catalog.choices import CATALOGED_STATES, OpenAttribute
    from kaifang.catalog.models import Dataset
    from kaifang.core.errors import DomainError
    from kaifang.tabular.models import TableSample, TableVersion
    from kaifang.tabular.services import table_sample_publish

    loader = User.objects.get(username=LOADER)
    with_table = TableVersion.objects.filter(is_current=True).values_list("dataset_id", flat=True)
    made = refused = 0
    conditional = Dataset.objects.filter(
        is_sample=True,
        state__in=CATALOGED_STATES,
        open_attribute=OpenAttribute.CONDITIONAL,
        pk__in=with_table,
    ).exclude(pk__in=TableSample.objects.values_list("dataset_id", flat=True))
    for ds in conditional.order_by("id"):
        try:
            table_sample_publish(actor=loader, dataset=ds)
        except DomainError:
            refused += 1
            continue
        made += 1
    if stdout is not None:
        stdout.write(f"样本数据集：{made} 个（隐私审查未通过 {refused} 个）\n")
    return {"samples": made, "refused": refused}
