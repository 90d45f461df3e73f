"""Nightly jobs. Each app may list its own in `<app>/jobs.py` as

    NIGHTLY_JOBS = [Job(order=20, name="settle_rounds", task="checkin.tasks.settle_rounds_task", crontab="5 16 * * *")]

`run_nightly` runs all of them in `order`; `setup_beat` creates the same Celery beat entries.
Crontabs are in CELERY_TIMEZONE (UTC by default): "5 16 * * *" is 00:05 in Asia/Shanghai.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from core.demo import local_app_modules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    order: int
    name: str
    task: str
    crontab: str  # "minute hour day_of_month month_of_year day_of_week"
    nightly: bool = True  # False: a frequent beat entry that run_nightly skips


def all_jobs() -> list[Job]:
    jobs = [job for module in local_app_modules("jobs") for job in getattr(module, "NIGHTLY_JOBS", [])]
    return sorted(jobs, key=lambda job: (job.order, job.name))


def nightly_run(*, only: list[str] | None = None, stdout=None) -> list[tuple[str, bool, str]]:
    """Run every nightly job in order, in this process. Returns (name, ok, message) per job.

    A failing job is reported and the next ones still run: expiring points must not wait on a
    broken report.
    """
    results = []
    for job in all_jobs():
        if not job.nightly or (only and job.name not in only):
            continue
        task = import_string(job.task)  # imports the tasks module, registering its tasks
        try:
            outcome = task.apply(throw=True).get()
            results.append((job.name, True, str(outcome if outcome is not None else "done")))
        except Exception as exc:
            logger.exception("nightly job %s failed", job.name)
            results.append((job.name, False, f"{type(exc).__name__}: {exc}"))
        if stdout is not None:
            name, ok, message = results[-1]
            stdout.write(f"{'ok  ' if ok else 'FAIL'} {name}: {message}")
    return results


@transaction.atomic
def beat_schedule_install() -> list[str]:
    """Create the beat entries that are missing. Existing ones keep whatever operators set."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    created = []
    for job in all_jobs():
        if PeriodicTask.objects.filter(name=job.name).exists():
            continue
        minute, hour, day_of_month, month_of_year, day_of_week = job.crontab.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone=settings.CELERY_TIMEZONE,
        )
        PeriodicTask.objects.create(name=job.name, task=job.task, crontab=crontab)
        created.append(job.name)
    return created
