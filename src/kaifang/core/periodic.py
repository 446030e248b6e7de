"""Periodic jobs (mail delivery, digests, work-order reminders and escalation, grant expiry notices) on one
scheduler that survives restarts and runs each job once across workers and servers.

An app registers a job with `@periodic("name", every=timedelta(...))` in a module its AppConfig.ready()
imports. `kaifang worker` calls `run_due()` every few seconds; a job is claimed by a conditional UPDATE of its
`PeriodicJob.due_at` (compare-and-set), so two workers never start the same run, and a worker killed mid-run
only delays the job to its next period.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: datetime.timedelta
    run: Callable[[], object]


JOBS: dict[str, Job] = {}


def periodic(
    name: str, *, every: datetime.timedelta
) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def register(func: Callable[[], object]) -> Callable[[], object]:
        JOBS[name] = Job(name=name, every=every, run=func)
        return func

    return register


def _claim(job: Job, now: datetime.datetime) -> bool:
    from kaifang.core.models import PeriodicJob

    row, created = PeriodicJob.objects.get_or_create(name=job.name, defaults={"due_at": now})
    if row.due_at > now:
        return False
    # Compare-and-set on the due time read: only one worker moves it forward.
    return bool(
        PeriodicJob.objects.filter(pk=row.pk, due_at=row.due_at).update(
            due_at=now + job.every, last_started_at=now
        )
    )


def run_due(now: datetime.datetime | None = None, *, only: list[str] | None = None) -> list[str]:
    """Run every registered job that is due; return the names run. Failures are recorded, never raised."""
    from django.db.models import F

    from kaifang.core.models import PeriodicJob

    ran = []
    for job in list(JOBS.values()):
        if only is not None and job.name not in only:
            continue
        moment = now or timezone.now()
        if not _claim(job, moment):
            continue
        error = ""
        try:
            job.run()
        except Exception as exc:  # one failing job must not stop the others
            logger.warning("periodic job %s failed", job.name, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"[:2000]
            close_old_connections()
        PeriodicJob.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(),
            last_error=error,
            runs=F("runs") + 1,
            failures=F("failures") + (1 if error else 0),
        )
        ran.append(job.name)
    return ran
