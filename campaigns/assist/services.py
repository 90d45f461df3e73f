"""Assist (助力) and bargain (砍价): a user starts a task, friends help once each.

Assist: the help that brings the count to the campaign's `helpers_required` completes the task
and grants its reward once, in the same database transaction: points from issuance through the
ledger, or a mall product. A product reward is reserved when the task starts (an order in the
state `awaiting_assist`, taking one unit of stock and counting toward the per-user limit, for
zero points), so a task that completes always gets its product; an expired task cancels the
order and returns the stock.

Bargain: each help cuts the price by the next of a list of random cuts drawn, from the
campaign's seed and the task's id, when they are needed. The cuts add up to (price - floor), so
the help that completes the task reaches the floor exactly. The starter redeems once at the
current price, any time before the deadline.

Lock order (docs/concurrency.md): the member locks (a start the starter's, serialising their
starts and the product's per-user limit with the mall's; a help the helper's, serialising their
daily count, and with a share binding the starter's and the starter's inviter chain too), then
the task row, then the order row, then the accounts (all of them in one go), then the product row
(a conditional UPDATE). The task row lock makes helps, completion, redemption and expiry of one
task exclusive: exactly one outcome. A task's cut parameters (seed, a new helper's weight) are
frozen on the task when it starts.
"""

import datetime as dt
import logging
import random

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from campaigns.assist.models import AssistCampaign, AssistHelp, AssistTask
from core.celery import enqueue_on_commit
from core.clock import local_today, now, window_open
from core.exceptions import ApplicationError
from core.locks import lock_members, lock_one, lock_shared, retry_on_conflict
from events.services import event_record
from mall.models import Order, Product
from mall.services import (
    coupons_issue,
    order_place,
    out_of_stock,
    product_level_check,
    product_limit_check,
    product_tag_check,
)
from points.models import Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_lock, ledger_post
from referral.services.attribution import referral_bind_via_share, referral_share_members, user_is_new

logger = logging.getLogger(__name__)

# Random cuts are weights in this range, so no cut is more than ~100 times another.
CUT_WEIGHT_RANGE = (1, 100)


# -- errors -------------------------------------------------------------------------------------


def _not_found() -> ApplicationError:
    return ApplicationError("not_found", _("Not found."), 404)


def _task_closed() -> ApplicationError:
    return ApplicationError("task_closed", _("This task has finished or expired."), 409)


# -- helpers ------------------------------------------------------------------------------------


def campaign_open_now(campaign: AssistCampaign, *, at: dt.datetime | None = None) -> bool:
    return window_open(active=campaign.is_active, starts_at=campaign.starts_at, ends_at=campaign.ends_at, at=at)


def bargain_cuts(*, total: int, slots: int, seed: str) -> list[int]:
    """Split `total` points into `slots` random cuts that add up to `total` exactly.

    Each cut is at least 1 when there are enough points; the rest is shared in proportion to
    random weights, rounded down, with the leftover going one each to the largest remainders
    (ties: the earlier slot). The same seed always gives the same cuts.
    """
    if slots <= 0 or total <= 0:
        return [0] * max(slots, 0)
    rng = random.Random(seed)
    weights = [rng.randint(*CUT_WEIGHT_RANGE) for _slot in range(slots)]
    floor_each = 1 if total >= slots else 0
    shared = total - floor_each * slots
    weight_sum = sum(weights)
    cuts = [floor_each + shared * weight // weight_sum for weight in weights]
    leftover = total - sum(cuts)
    by_remainder = sorted(range(slots), key=lambda i: (-(shared * weights[i] % weight_sum), i))
    for i in by_remainder[:leftover]:
        cuts[i] += 1
    return cuts


def _task_seed(task: AssistTask) -> str:
    """The seed of the task's cuts: frozen on the task at its start (tasks from before that was
    done derive it from the campaign, as they always did)."""
    return task.cut_seed or f"{task.campaign.seed or task.campaign_id}:{task.pk}"


def _lock_task(task_id: int) -> AssistTask:
    task = lock_one(AssistTask.objects.select_related("campaign").filter(pk=task_id))
    if task is None:
        raise _not_found()
    return task


def _schedule_expiry(task: AssistTask) -> None:
    enqueue_on_commit("campaigns.tasks.assist_task_expire_task", task.pk, eta=task.expires_at)


def _reserve_reward(*, task: AssistTask, product: Product) -> Order:
    """An assist paid in a product: the order (zero points, awaiting helpers) and its unit of stock."""
    user = task.user
    product_limit_check(user=user, product=product, quantity=1)
    product_level_check(user=user, level=product.level_required)
    product_tag_check(user=user, product=product)
    if product.stock is not None:
        taken = Product.objects.filter(pk=product.pk, stock__gte=1).update(stock=F("stock") - 1)
        if taken != 1:
            raise out_of_stock()
    return Order.objects.create(user=user, product=product, quantity=1, points=0, status=Order.Status.AWAITING_ASSIST)


def _grant_reward(*, task: AssistTask) -> None:
    """The task is complete: pay its reward, once (the ledger key and the order's state see to it)."""
    campaign = task.campaign
    if campaign.reward_kind == AssistCampaign.RewardKind.POINTS:
        task.reward_transaction = ledger_post(
            kind=Transaction.Kind.ASSIST_REWARD,
            key=f"assist:reward:{task.pk}",
            legs=[(account_issuance(), -campaign.reward_points), (account_for_user(task.user), campaign.reward_points)],
            memo=campaign.title,
            metadata={"assist_task": task.pk, "campaign": campaign.pk},
        )
        return
    order = Order.objects.select_related("product").get(pk=task.order_id)  # locked by the caller
    if order.status != Order.Status.AWAITING_ASSIST:
        return
    if order.product.kind in (Product.Kind.VOUCHER, Product.Kind.COUPON):
        coupons_issue(order=order, product=order.product)
        order.status, order.fulfilled_at = Order.Status.FULFILLED, now()  # the codes are the goods
    else:
        order.status = Order.Status.CREATED  # physical goods: operators send them as any order
    order.save(update_fields=["status", "fulfilled_at"])


def _release_reward(*, task: AssistTask) -> None:
    """The task expired: cancel its reserved order and return the stock."""
    if task.order_id is None:
        return
    order = lock_shared(Order.objects.filter(pk=task.order_id))[0]
    if order.status != Order.Status.AWAITING_ASSIST:
        return
    order.status, order.cancelled_at = Order.Status.CANCELLED, now()
    order.save(update_fields=["status", "cancelled_at"])
    Product.objects.filter(pk=order.product_id, stock__isnull=False).update(stock=F("stock") + order.quantity)


def _expire(task: AssistTask) -> None:
    """Inside the caller's transaction, with the task row locked."""
    _release_reward(task=task)
    task.status, task.closed_at = AssistTask.Status.EXPIRED, now()
    task.save(update_fields=["status", "closed_at"])


# -- services -----------------------------------------------------------------------------------


@retry_on_conflict
def assist_task_start(*, user, campaign_id: int) -> tuple[AssistTask, bool]:
    """Start a task of a campaign, or return the user's task of it that is still open.

    Returns (task, created). A second tap, even at the same instant, finds the first task.
    """
    try:
        return _assist_task_start(user=user, campaign_id=campaign_id)
    except IntegrityError:
        # Two starts at once: the one-open-task constraint let the other one win.
        task = AssistTask.objects.filter(campaign_id=campaign_id, user=user, status=AssistTask.Status.OPEN).first()
        if task is None:
            raise
        return task, False


@transaction.atomic
def _assist_task_start(*, user, campaign_id: int) -> tuple[AssistTask, bool]:
    campaign = AssistCampaign.objects.select_related("product__level_required").filter(pk=campaign_id).first()
    if campaign is None or not campaign.is_active:
        raise _not_found()
    lock_members(user)  # a second tap waits here, then finds the first tap's task
    existing = lock_one(AssistTask.objects.filter(campaign=campaign, user=user, status=AssistTask.Status.OPEN))
    if existing is not None:
        if existing.expires_at > now():
            return existing, False
        _expire(existing)  # its deadline passed before the sweep came by
    product = campaign.product  # the campaign is the switch: a reward-only product need not be in the mall
    if not campaign_open_now(campaign):
        raise ApplicationError("campaign_closed", _("This campaign is not open now."), 409)
    if campaign.tasks_per_user:
        started = AssistTask.objects.filter(campaign=campaign, user=user).exclude(status=AssistTask.Status.EXPIRED)
        if started.count() >= campaign.tasks_per_user:
            raise ApplicationError("limit_reached", _("You have started as many tasks as this campaign allows."), 409)

    start_price = floor_price = 0
    if campaign.kind == AssistCampaign.Kind.BARGAIN:
        start_price, floor_price = product.price, min(campaign.floor_price, product.price)
    task = AssistTask.objects.create(
        campaign=campaign,
        user=user,
        required=campaign.helpers_required,
        start_price=start_price,
        floor_price=floor_price,
        current_price=start_price,
        new_user_weight=2 if campaign.new_user_counts_double else 1,
        expires_at=now() + dt.timedelta(hours=campaign.time_limit_hours),
    )
    task.cut_seed = f"{campaign.seed or campaign.pk}:{task.pk}"  # the seed tasks always used, now frozen
    task.save(update_fields=["cut_seed"])
    if campaign.kind == AssistCampaign.Kind.ASSIST and campaign.reward_kind == AssistCampaign.RewardKind.PRODUCT:
        task.order = _reserve_reward(task=task, product=product)
        task.save(update_fields=["order"])
    _schedule_expiry(task)
    return task, True


@retry_on_conflict
def assist_task_help(*, helper, task_id: int) -> AssistTask:
    """A friend helps, once. The help that reaches the required count completes the task."""
    with transaction.atomic():
        starter = AssistTask.objects.select_related("user").filter(pk=task_id).first()
        if starter is None:
            raise _not_found()
        lock_members(*referral_share_members(user=helper, sharer=starter.user))
        task = _lock_task(task_id)
        if task.user_id == helper.pk:
            raise ApplicationError("cannot_help_self", _("You cannot help your own task."), 409)
        if AssistHelp.objects.filter(task=task, helper=helper).exists():
            raise ApplicationError("already_helped", _("You have already helped this task."), 409)
        if task.status != AssistTask.Status.OPEN or task.expires_at <= now():
            raise _task_closed()  # past the deadline even if the expiry has not run yet
        campaign = task.campaign
        today = local_today()
        helped_today = AssistHelp.objects.filter(helper=helper, campaign=campaign, local_date=today).count()
        if helped_today >= campaign.helps_per_day:
            raise ApplicationError(
                "help_limit_reached", _("You have helped as many times today as this campaign allows."), 409
            )

        weight = task.new_user_weight if user_is_new(helper) else 1
        weight = min(weight, task.required - task.progress)
        completes = task.progress + weight == task.required
        rewards_points = campaign.reward_kind == AssistCampaign.RewardKind.POINTS
        grants = completes and campaign.kind == AssistCampaign.Kind.ASSIST
        if grants and not rewards_points and task.order_id:
            lock_shared(Order.objects.filter(pk=task.order_id))  # the reserved reward, before any account
        accounts = (account_for_user(helper), account_for_user(task.user))
        if grants and rewards_points:
            accounts += (account_issuance(),)
        cut = 0
        if campaign.kind == AssistCampaign.Kind.BARGAIN:
            cuts = bargain_cuts(total=task.start_price - task.floor_price, slots=task.required, seed=_task_seed(task))
            cut = sum(cuts[task.progress : task.progress + weight])
        try:
            with transaction.atomic():
                help_ = AssistHelp.objects.create(
                    task=task,
                    helper=helper,
                    starter_id=task.user_id,
                    campaign=campaign,
                    weight=weight,
                    cut=cut,
                    local_date=today,
                )
        except IntegrityError:
            raise ApplicationError("already_helped", _("You have already helped this task."), 409) from None
        referral = referral_bind_via_share(user=helper, sharer=task.user, also_lock=accounts)
        ledger_lock(*accounts)
        if referral is not None:
            help_.referral = referral
            help_.save(update_fields=["referral"])

        task.progress += weight
        task.current_price -= cut
        fields = ["progress", "current_price"]
        if task.progress == task.required:
            task.status, task.completed_at = AssistTask.Status.COMPLETED, now()
            fields += ["status", "completed_at"]
            if campaign.kind == AssistCampaign.Kind.ASSIST:
                _grant_reward(task=task)
                fields.append("reward_transaction")
        task.save(update_fields=fields)
        event_record(user=helper, kind="helped", ref=f"assist:{task.pk}")
    return task


@retry_on_conflict
def assist_bargain_redeem(*, user, task_id: int, address: str = "", store_id: int | None = None) -> Order:
    """The starter buys a bargain's product at its current price, once. A second call returns the order."""
    with transaction.atomic():
        lock_members(user)
        task = _lock_task(task_id)
        if task.user_id != user.pk or task.campaign.kind != AssistCampaign.Kind.BARGAIN:
            raise _not_found()
        if task.status == AssistTask.Status.REDEEMED:
            order = Order.objects.get(pk=task.order_id)
            order.replayed = True
            return order
        if task.status not in (AssistTask.Status.OPEN, AssistTask.Status.COMPLETED) or task.expires_at <= now():
            raise _task_closed()
        order = order_place(
            user=user,
            product=Product.objects.select_related("level_required").get(pk=task.campaign.product_id),
            quantity=1,
            points=task.current_price,
            address=address.strip(),
            store_id=store_id,
            ledger_key=f"bargain:{task.pk}",
            metadata={"assist_task": task.pk},
        )
        task.status, task.order, task.closed_at = AssistTask.Status.REDEEMED, order, now()
        task.save(update_fields=["status", "order", "closed_at"])
    return order


def assist_task_expire(*, task_id: int, force: bool = False, actor=None) -> bool:
    """Expire a task whose deadline has passed (any unfinished task with `force`, the operators'
    manual close): an open task, or a bargain not yet bought. A reserved product goes back to
    stock. Anything else is left alone, so a task delivered twice or late changes nothing.
    Returns whether this call expired the task."""
    with transaction.atomic():
        task = lock_one(AssistTask.objects.select_related("campaign").filter(pk=task_id))
        if task is None or not _expirable(task):
            return False
        if not force and task.expires_at > now():
            return False
        _expire(task)
    logger.info("assist task %s expired (by %s)", task_id, actor or "deadline")
    return True


def _expirable(task: AssistTask) -> bool:
    if task.status == AssistTask.Status.OPEN:
        return True
    return task.status == AssistTask.Status.COMPLETED and task.campaign.kind == AssistCampaign.Kind.BARGAIN


def assists_expire_due(*, at: dt.datetime | None = None) -> int:
    """The sweep: expire every unfinished task past its deadline, one transaction each. Returns how many."""
    unfinished = Q(status=AssistTask.Status.OPEN) | Q(
        status=AssistTask.Status.COMPLETED, campaign__kind=AssistCampaign.Kind.BARGAIN
    )
    due = AssistTask.objects.filter(unfinished, expires_at__lte=at or now()).order_by("pk")
    return sum(assist_task_expire(task_id=task_id) for task_id in due.values_list("pk", flat=True))
