from celery import shared_task

from accounts.services import accounts_deleted_sweep, birthday_gifts_run


@shared_task(acks_late=True)
def sweep_deleted_accounts_task() -> int:
    return accounts_deleted_sweep()


@shared_task(acks_late=True)
def birthday_gifts_task() -> str:
    return f"{birthday_gifts_run()} birthday gifts paid"
