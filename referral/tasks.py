from celery import shared_task

from referral.services import referral_flag_inactive_inviters


@shared_task(acks_late=True)
def flag_inactive_inviters_task() -> int:
    return referral_flag_inactive_inviters()


@shared_task(acks_late=True)
def group_expire_task(group_id: int) -> bool:
    from referral.services.groupbuy import groupbuy_group_expire

    return groupbuy_group_expire(group_id=group_id)


@shared_task(acks_late=True)
def groups_expire_due_task() -> int:
    from referral.services.groupbuy import groupbuys_expire_due

    return groupbuys_expire_due()


@shared_task(acks_late=True)
def assist_task_expire_task(task_id: int) -> bool:
    from referral.services.assist import assist_task_expire

    return assist_task_expire(task_id=task_id)


@shared_task(acks_late=True)
def assists_expire_due_task() -> int:
    from referral.services.assist import assists_expire_due

    return assists_expire_due()
