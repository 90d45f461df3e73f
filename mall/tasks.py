from celery import shared_task


@shared_task(acks_late=True)
def expire_coupons_task() -> int:
    from mall.services import coupons_expire

    return coupons_expire()


@shared_task(acks_late=True)
def redemption_referral_reward_task(order_id: int) -> None:
    """An order that came to stand as a redemption in someone else's transaction (a group-buy's
    success): its owner's first-redemption referral rules, under the owner's member lock."""
    from mall.services import redemption_referral_reward_apply

    redemption_referral_reward_apply(order_id=order_id)


@shared_task(acks_late=True)
def order_commission_task(order_id: int) -> None:
    """The inviter's commission on an order that was placed, came to stand or completed, settled
    in the inviter's own transaction (under their member lock)."""
    from mall.services import order_commission_apply

    order_commission_apply(order_id=order_id)
