from celery import shared_task

from referral.services import referral_flag_inactive_inviters


@shared_task(acks_late=True)
def flag_inactive_inviters_task() -> int:
    return referral_flag_inactive_inviters()
