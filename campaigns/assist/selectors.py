"""Reads about assist and bargain: the campaigns open now, one task with its helpers, my tasks."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from campaigns.assist.models import AssistCampaign, AssistHelp, AssistTask
from core.clock import now
from core.exceptions import ApplicationError


def assist_campaigns_open() -> QuerySet[AssistCampaign]:
    """Campaigns a user may start a task of now. The campaign is the switch: its product need not
    be on sale in the mall (a reward-only product)."""
    moment = now()
    return (
        AssistCampaign.objects.select_related("product")
        .filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=moment), Q(ends_at__isnull=True) | Q(ends_at__gt=moment))
        .order_by("sort_order", "id")
    )


def assist_task_get(*, task_id: int) -> AssistTask:
    """A task as its share page shows it, to anyone logged in: the page is sent to friends."""
    task = (
        AssistTask.objects.select_related("campaign__product")
        .prefetch_related("helps__helper")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise ApplicationError("not_found", _("Not found."), 404)
    return task


def assist_tasks_of(*, user) -> QuerySet[AssistTask]:
    return (
        AssistTask.objects.filter(user=user)
        .select_related("campaign__product")
        .prefetch_related("helps__helper")
        .order_by("-id")
    )


def assist_helper_nicknames(*, task: AssistTask) -> list[str]:
    """Nicknames only, in help order: the task page is shared with strangers."""
    return [help_.helper.nickname for help_ in sorted(task.helps.all(), key=lambda h: h.pk)]


def assist_has_helped(*, task: AssistTask, user) -> bool:
    return any(help_.helper_id == user.pk for help_ in task.helps.all())


def assist_helps_today(*, helper, campaign: AssistCampaign, day) -> int:
    return AssistHelp.objects.filter(helper=helper, campaign=campaign, local_date=day).count()
