from celery import shared_task
from django.core.management import call_command

from points.services.expiry import lots_expire


@shared_task(acks_late=True)
def expire_lots_task() -> int:
    return lots_expire()


@shared_task
def audit_ledger_task() -> str:
    # The command raises CommandError with the report when the ledger is off: the job fails loudly.
    call_command("audit_ledger")
    return "ok"


@shared_task(acks_late=True)
def task_complete_by_server_task(user_id: int, code: str) -> bool:
    """A member's task completed as the reaction to someone else's action (an invitee qualifying
    its inviter): in the member's own transaction, under their lock. Idempotent per period."""
    from core.models import User
    from points.services.tasks import task_complete_by_server

    user = User.objects.filter(pk=user_id).first()
    return user is not None and task_complete_by_server(user=user, code=code) is not None
