"""Deadlines of the plays. A group or task is expired by a task queued for its deadline; the sweeps
(every five minutes, and nightly) expire any whose task was lost, so no reserve is ever stranded.

The services queue these tasks by name (`campaigns.tasks.*`) after commit, so the plays do not
import this module and it imports them without a circle."""

from celery import shared_task

from campaigns.assist.services import assist_task_expire, assists_expire_due
from campaigns.groupbuy.services import groupbuy_group_expire, groupbuys_expire_due
from campaigns.redpacket.services import redpacket_expire, redpackets_expire_due


@shared_task(acks_late=True)
def group_expire_task(group_id: int) -> bool:
    return groupbuy_group_expire(group_id=group_id)


@shared_task(acks_late=True)
def groups_expire_due_task() -> int:
    return groupbuys_expire_due()


@shared_task(acks_late=True)
def assist_task_expire_task(task_id: int) -> bool:
    return assist_task_expire(task_id=task_id)


@shared_task(acks_late=True)
def assists_expire_due_task() -> int:
    return assists_expire_due()


@shared_task(acks_late=True)
def redpacket_expire_task(packet_id: int) -> bool:
    return redpacket_expire(packet_id=packet_id)


@shared_task(acks_late=True)
def redpackets_expire_due_task() -> int:
    return redpackets_expire_due()
