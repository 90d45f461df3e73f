"""Reads about group-buys: the offers open now and one group with its members."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyOffer
from core.clock import now
from core.exceptions import ApplicationError


def groupbuy_offers_open() -> QuerySet[GroupBuyOffer]:
    """Offers a user may open a group of now, whose product is on sale."""
    moment = now()
    return (
        GroupBuyOffer.objects.select_related("product")
        .filter(is_active=True, product__is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=moment), Q(ends_at__isnull=True) | Q(ends_at__gt=moment))
        .filter(Q(product__starts_at__isnull=True) | Q(product__starts_at__lte=moment))
        .filter(Q(product__ends_at__isnull=True) | Q(product__ends_at__gt=moment))
        .order_by("sort_order", "id")
    )


def groupbuy_group_get(*, group_id: int) -> GroupBuyGroup:
    group = (
        GroupBuyGroup.objects.select_related("offer__product")
        .prefetch_related("members__user")
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise ApplicationError("not_found", _("Not found."), 404)
    return group


def groupbuy_member_nicknames(*, group: GroupBuyGroup) -> list[str]:
    """Nicknames only, in join order: the group page is shared with strangers."""
    return [member.user.nickname for member in sorted(group.members.all(), key=lambda m: m.pk)]
