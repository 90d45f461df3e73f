"""Celery tasks: ids in, one service call. Each is idempotent: running it again changes nothing."""

import logging

from celery import shared_task

from checkin.services.leaderboards import leaderboards_rebuild
from checkin.services.reminders import reminders_send
from checkin.services.settlement import round_settle, rounds_due

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def settle_rounds_task() -> str:
    """The nightly job: one `settle_round_task` per round that is due, oldest first, so the rounds
    settle side by side on as many worker processes as run (docs/benchmarks.md, "Scaling out").
    Without a broker (tasks run in-process) they settle here one after the other, and this fails,
    after settling the others, when one failed."""
    due, failed = rounds_due(), []
    for round_id in due:
        try:
            settle_round_task.delay(round_id)
        except Exception:  # in-process only: a queued task fails in its worker, not here
            logger.exception("settling round %s failed", round_id)
            failed.append(round_id)
    if failed:
        raise RuntimeError(f"{len(due) - len(failed)} round(s) settled, failed: {failed}")
    return f"{len(due)} round(s) settled or queued"


@shared_task(acks_late=True)
def settle_round_task(round_id: int) -> str:
    settlement = round_settle(round_id=round_id)
    return f"round {round_id}: {settlement.outcome} ({settlement.state})"


@shared_task(acks_late=True)
def rebuild_leaderboards_task() -> str:
    return f"rebuilt {leaderboards_rebuild()} board(s)"


@shared_task(acks_late=True)
def send_reminders_task() -> str:
    return f"sent {reminders_send()} reminder(s)"
