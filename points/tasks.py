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
def expire_coupons_task() -> int:
    from points.services.mall import coupons_expire

    return coupons_expire()
