"""Nightly jobs: one list (settings.NIGHTLY_JOBS) serves both `run_nightly` and Celery beat."""

import logging

from celery import current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def nightly_jobs() -> list[tuple[str, str, str]]:
    return list(settings.NIGHTLY_JOBS)


def nightly_run(*, only: list[str] | None = None, stdout=None) -> list[tuple[str, bool, str]]:
    """Run every nightly job in order, in this process. Returns (name, ok, message) per job.

    A failing job is reported and the next ones still run: expiring points must not wait on a
    broken report.
    """
    results = []
    for name, task_name, _schedule in nightly_jobs():
        if only and name not in only:
            continue
        task = current_app.tasks[task_name]
        try:
            outcome = task.apply(throw=True).get()
            results.append((name, True, str(outcome if outcome is not None else "done")))
        except Exception as exc:
            logger.exception("nightly job %s failed", name)
            results.append((name, False, f"{type(exc).__name__}: {exc}"))
        if stdout is not None:
            name_, ok, message = results[-1]
            stdout.write(f"{'ok  ' if ok else 'FAIL'} {name_}: {message}")
    return results


@transaction.atomic
def beat_schedule_install() -> list[str]:
    """Create the beat entries that are missing. Existing ones keep whatever operators set."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    created = []
    for name, task_name, schedule in nightly_jobs():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        minute, hour, day_of_month, month_of_year, day_of_week = schedule.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone=settings.CELERY_TIMEZONE,
        )
        PeriodicTask.objects.create(name=name, task=task_name, crontab=crontab)
        created.append(name)
    return created
