"""Celery tasks: ids in, one service call. Each is idempotent: running it again changes nothing."""

from celery import shared_task

from checkin.services.leaderboards import leaderboards_rebuild
from checkin.services.reminders import reminders_send
from checkin.services.settlement import round_settle, rounds_settle_due


@shared_task(acks_late=True)
def settle_rounds_task() -> str:
    """Settle every round that is due (the nightly job). Fails, after settling the others, when one failed."""
    report = rounds_settle_due()
    if report.failed:
        raise RuntimeError(str(report))
    return str(report)


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
