"""`kaifang privacy destroy-expired [--dry-run]`: destroy table versions past their dataset's retention."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any, setup: Any) -> None:
    privacy = sub.add_parser("privacy", help="privacy tools (retention and destruction)")
    psub = privacy.add_subparsers(dest="privacy_command", required=True)
    expired = psub.add_parser("destroy-expired", help="destroy table versions past their retention period")
    expired.add_argument(
        "--dry-run", action="store_true", help="list what would be destroyed, change nothing"
    )
    expired.set_defaults(func=lambda args: run(args, setup))


def run(args: argparse.Namespace, setup: Any) -> int:
    setup()
    import datetime as dt

    from django.utils import timezone

    from kaifang.privacy.models import RetentionPolicy
    from kaifang.privacy.permissions import COMMAND_LINE
    from kaifang.privacy.services import versions_destroy_expired
    from kaifang.tabular.models import TableVersion

    if args.dry_run:
        latest: dict[int, Any] = {}
        for policy in RetentionPolicy.objects.order_by("dataset_id", "-id"):
            latest.setdefault(policy.dataset_id, policy)
        n = 0
        for dataset_id, policy in latest.items():
            cutoff = timezone.now() - dt.timedelta(days=policy.days)
            for v in TableVersion.objects.filter(
                dataset_id=dataset_id, created_at__lt=cutoff, destruction__isnull=True
            ):
                print(f"would destroy dataset {dataset_id} v{v.number} ({v.content_hash})")
                n += 1
        print(f"{n} version(s) past retention")
        return 0
    records = versions_destroy_expired(actor=COMMAND_LINE)
    for r in records:
        hashes = ", ".join(h["sha256"][:12] for h in r.destroyed_hashes)
        print(f"destroyed dataset {r.version.dataset_id} v{r.version.number}: {hashes}")
    print(f"{len(records)} version(s) destroyed")
    return 0
