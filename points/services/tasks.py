"""Points tasks (积分任务): completions, at most one per period, each paying points and growth once.

A period is "once", a local date (daily), an ISO week such as "2026-W47" (weekly), or
"<date>#<n>" (the n-th completion of an unlimited task that day). Completions of one user are
serialised by the user's member lock (core.locks), so twenty taps at once give one completion;
the unique (task, user, period) constraint backs it up.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.clock import local_today, now
from core.db import fetch_prepared
from core.exceptions import ApplicationError
from core.locks import lock_members
from points.models import PointsTask, TaskCompletion, Transaction
from points.services.growth import growth_add
from points.services.ledger import account_for_user, account_issuance, ledger_post


def active_tasks():
    """Tasks switched on and inside their active period now."""
    moment = now()
    return PointsTask.objects.filter(is_active=True).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=moment), Q(ends_at__isnull=True) | Q(ends_at__gt=moment)
    )


def task_period(task: PointsTask, day: dt.date) -> str:
    """The period key of `day` for once/daily/weekly tasks (unlimited tasks number their completions)."""
    if task.frequency == PointsTask.Frequency.ONCE:
        return "once"
    if task.frequency == PointsTask.Frequency.WEEKLY:
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def _refusal(task: PointsTask, user, day: dt.date) -> tuple[ApplicationError | None, str]:
    """(why the user cannot complete `task` now, or None; the period the next completion would take)."""
    if task.frequency == PointsTask.Frequency.UNLIMITED:
        done_today = TaskCompletion.objects.filter(task=task, user=user, local_date=day).count()
        if task.daily_cap and done_today >= task.daily_cap:
            return ApplicationError(
                "task_daily_cap_reached", _("You have reached today's limit for this task."), 409
            ), ""
        return None, f"{day.isoformat()}#{done_today + 1}"
    period = task_period(task, day)
    if TaskCompletion.objects.filter(task=task, user=user, period=period).exists():
        return ApplicationError("task_already_done", _("You have already completed this task."), 409), period
    return None, period


def _complete(*, task: PointsTask, user) -> TaskCompletion:
    """Complete `task` for `user` or raise the ApplicationError that says why not.

    Lock order: the member, then the accounts (the ledger), then the user's growth row.
    """
    with transaction.atomic():
        lock_members(user)
        day = local_today()
        refusal, period = _refusal(task, user, day)
        if refusal is not None:
            raise refusal
        try:
            with transaction.atomic():
                completion = TaskCompletion.objects.create(
                    task=task, user=user, period=period, local_date=day, points=task.points, growth=task.growth
                )
        except IntegrityError:
            raise ApplicationError("task_already_done", _("You have already completed this task."), 409) from None
        key = f"task:{task.pk}:{user.pk}:{period}"
        if task.points:
            completion.transaction = ledger_post(
                kind=Transaction.Kind.TASK_REWARD,
                key=key,
                legs=[(account_issuance(), -task.points), (account_for_user(user), task.points)],
                memo=task.title,
                metadata={"task": task.code, "period": period},
            )
            completion.save(update_fields=["transaction"])
        if task.growth:
            completion.growth = growth_add(user=user, amount=task.growth, key=key, reason=task.title)
            completion.save(update_fields=["growth"])
    return completion


# Read on every check-in, so plain SQL (the ORM took five times longer to build it than to run
# it): the task if it is active now (as active_tasks) and `_refusal` would not refuse it: not done
# in its period, or for an unlimited task, under its daily cap.
_PENDING_TASK = """
SELECT t.id FROM points_pointstask t
WHERE t.code = %(code)s AND t.is_active
    AND (t.starts_at IS NULL OR t.starts_at <= %(now)s) AND (t.ends_at IS NULL OR t.ends_at > %(now)s)
    AND CASE WHEN t.frequency = %(unlimited)s THEN t.daily_cap = 0 OR (
            SELECT count(*) FROM points_taskcompletion c
            WHERE c.task_id = t.id AND c.user_id = %(user)s AND c.local_date = %(today)s) < t.daily_cap
        ELSE NOT EXISTS (
            SELECT 1 FROM points_taskcompletion c WHERE c.task_id = t.id AND c.user_id = %(user)s AND c.period =
                CASE t.frequency WHEN %(once)s THEN %(once_period)s WHEN %(weekly)s THEN %(week)s ELSE %(day)s END)
    END
"""


def task_pending(*, user, code: str) -> int | None:
    """The id of the active task `code` if `user` may complete it now, read without locks (None
    when there is no such task, it is done this period or capped today). Completing checks again
    under its locks."""
    F = PointsTask.Frequency
    day = local_today()
    params = {
        "code": code,
        "now": now(),
        "user": user.pk,
        "today": day,
        "unlimited": F.UNLIMITED,
        "once": F.ONCE,
        "weekly": F.WEEKLY,
        "once_period": task_period(PointsTask(frequency=F.ONCE), day),
        "week": task_period(PointsTask(frequency=F.WEEKLY), day),
        "day": task_period(PointsTask(frequency=F.DAILY), day),
    }
    rows = fetch_prepared(PointsTask, _PENDING_TASK, params)
    # Already done is the usual case (the first check-in's task on every later check-in): answered
    # without locking issuance, which every completion locks and a rush would queue on.
    return rows[0][0] if rows else None


def task_complete_by_server(*, user, code: str) -> TaskCompletion | None:
    """Complete the task `code` on the server's word (registration, phone verified, first check-in...).

    Returns None when there is no such active task in its period or it is not available to this
    user now (already done this period, daily cap reached); never raises for that. Runs inside the
    caller's transaction; idempotent per period.
    """
    task_id = task_pending(user=user, code=code)
    if task_id is None:
        return None
    task = PointsTask.objects.get(pk=task_id)
    try:
        return _complete(task=task, user=user)
    except ApplicationError as exc:
        if exc.code in ("task_already_done", "task_daily_cap_reached"):
            return None
        raise


def task_complete_by_client(*, user, code: str) -> TaskCompletion:
    """Complete a task the mini-program may complete itself (share, read an article...)."""
    task = active_tasks().filter(code=code).first()
    if task is None:
        raise ApplicationError("task_not_found", _("No such task, or it is not active."), 404)
    if not task.client_completable:
        raise ApplicationError("task_server_only", _("This task is completed automatically, not by the app."), 403)
    return _complete(task=task, user=user)


def task_status(*, task: PointsTask, user, day: dt.date | None = None) -> tuple[bool, bool]:
    """(done, available): done = no more completions this period; available = the client may complete it now."""
    refusal, _period = _refusal(task, user, day or local_today())
    done = refusal is not None
    return done, task.client_completable and not done
