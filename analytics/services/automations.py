"""Automations: rules that grant points or a voucher, or send a subscribe message, to a segment,
a stage or tagged members, once per period each."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from analytics.models import AutomationGrant, AutomationRule, UserSegment
from core.clock import local_today
from core.exceptions import ApplicationError
from core.tags import tagged

PERIOD_EPOCH = dt.date(2000, 1, 1)


def automation_period(*, rule: AutomationRule, on: dt.date) -> int:
    """The period `on` falls in: a user gets the rule's gift at most once in it."""
    if rule.period_days == 0:
        return 0
    return (on - PERIOD_EPOCH).days // rule.period_days


def automation_targets(*, rule: AutomationRule, on: dt.date | None = None):
    """Users the rule would reach now: in its segment or stage and carrying one of its target tags
    (either alone, or both), not yet reached in this period. Members are those the nightly run
    segmented. A rule with no target at all reaches nobody."""
    on = on or local_today()
    period = automation_period(rule=rule, on=on)
    tag_ids = list(rule.tags.values_list("pk", flat=True)) if rule.pk else []
    if rule.segment:
        target = Q(segment=rule.segment)
    elif rule.stage:
        target = Q(stage=rule.stage)
    elif tag_ids:
        target = Q()
    else:
        return UserSegment.objects.none()
    reached = AutomationGrant.objects.filter(rule=rule, period=period, user_id=OuterRef("user_id"))
    users = UserSegment.objects.filter(target, tagged(tag_ids), user__is_active=True).filter(~Exists(reached))
    if rule.action == AutomationRule.Action.MESSAGE:
        users = users.filter(user__openid__isnull=False)
    return users.select_related("user").order_by("user_id")


@dataclass
class AutomationResult:
    rule: AutomationRule
    period: int
    targets: list = field(default_factory=list)
    done: int = 0
    skipped: list = field(default_factory=list)  # (user_id, reason)


def _grant_points(*, rule: AutomationRule, user, period: int) -> None:
    from points.models import Transaction
    from points.services.ledger import account_for_user, account_issuance, ledger_post

    ledger_post(
        kind=Transaction.Kind.AUTOMATION,
        key=f"automation:{rule.pk}:{user.pk}:{period}",
        legs=[(account_issuance(), -rule.points), (account_for_user(user), rule.points)],
        memo=rule.name[:200],
        metadata={"automation": rule.pk, "period": period},
    )


def _grant_voucher(*, rule: AutomationRule, user, period: int) -> None:
    from core.locks import lock_members
    from mall.services import order_place

    lock_members(user)  # the gift counts toward the product's per-user limit
    order_place(
        user=user,
        product=rule.product,
        quantity=1,
        points=0,
        ledger_key=f"automation:{rule.pk}:{user.pk}:{period}",
        metadata={"automation": rule.pk},
    )


def _message_reserve(*, rule: AutomationRule, user) -> bool:
    """Spend one of the user's acceptances of the template (WeChat sends one message per acceptance)."""
    from checkin.models import SubscribeCredit

    return bool(
        SubscribeCredit.objects.filter(user=user, template_id=rule.template_id, credits__gt=0).update(
            credits=F("credits") - 1
        )
    )


def automation_run(*, rule: AutomationRule, dry_run: bool = False, on: dt.date | None = None) -> AutomationResult:
    """Reach every target of `rule` once in the current period. A dry run only lists them.

    Each user is one transaction: the grant row (unique per rule, user and period) and the points
    or voucher commit together, so a rerun, or two runs at once, never gives twice. A message is
    sent after its grant row commits (a failed send is recorded, not retried this period)."""
    from core.wechat import WeChatError, get_wechat_client

    on = on or local_today()
    period = automation_period(rule=rule, on=on)
    result = AutomationResult(rule=rule, period=period)
    targets = list(automation_targets(rule=rule, on=on))
    result.targets = [target.user for target in targets]
    if dry_run:
        return result
    if not rule.is_active:
        raise ApplicationError("automation_inactive", _("This automation is switched off."), 409)
    for target in targets:
        user = target.user
        try:
            with transaction.atomic():
                grant = AutomationGrant.objects.create(rule=rule, user=user, period=period)
                if rule.action == AutomationRule.Action.POINTS:
                    _grant_points(rule=rule, user=user, period=period)
                elif rule.action == AutomationRule.Action.VOUCHER:
                    _grant_voucher(rule=rule, user=user, period=period)
                elif not _message_reserve(rule=rule, user=user):
                    raise ApplicationError("no_subscription", _("The user has not accepted this message."), 409)
        except IntegrityError:
            result.skipped.append((user.pk, "already_granted"))  # a concurrent run reached them first
            continue
        except ApplicationError as exc:
            result.skipped.append((user.pk, exc.code))  # e.g. out_of_stock: tried again next run
            continue
        if rule.action == AutomationRule.Action.MESSAGE:
            try:
                get_wechat_client().send_subscribe_message(
                    openid=user.openid, template_id=rule.template_id, data={"thing1": rule.message}, page=rule.page
                )
            except WeChatError as exc:
                AutomationGrant.objects.filter(pk=grant.pk).update(
                    status=AutomationGrant.Status.FAILED, detail=str(exc)[:200]
                )
                result.skipped.append((user.pk, "wechat_error"))
                continue
        result.done += 1
    return result


def automations_run(*, on: dt.date | None = None) -> str:
    done = 0
    for rule in AutomationRule.objects.filter(is_active=True).select_related("product").order_by("pk"):
        done += automation_run(rule=rule, on=on).done
    return f"{done} automation grants"
