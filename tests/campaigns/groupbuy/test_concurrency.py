import pytest

from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember
from campaigns.groupbuy.services import groupbuy_group_expire, groupbuy_group_join, groupbuy_group_open
from mall.models import Order
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from points.services.ledger import account_escrow
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory, give_points
from tests.factories import UserFactory
from tests.reliability.helpers import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def rich_user():
    user = UserFactory()
    give_points(user, 100)
    return user


def test_ten_threads_race_for_the_last_seat():
    offer = GroupBuyOfferFactory(group_size=2)
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    users = [rich_user() for _ in range(10)]

    results = run_together(*[lambda u=u: groupbuy_group_join(user=u, group_id=group.pk) for u in users])

    winners = [r for r in results if isinstance(r, GroupBuyGroup)]
    assert len(winners) == 1
    assert sorted(r for r in results if not isinstance(r, GroupBuyGroup)) == ["group_full"] * 9
    group.refresh_from_db()
    assert group.status == GroupBuyGroup.Status.SUCCEEDED and group.member_count == 2
    assert sum(wallet_balance(user=u) for u in users) == 10 * 100 - 30
    assert account_escrow(group.pk).balance == 0
    assert ledger_audit().ok


def test_double_join_race_makes_one_member():
    offer = GroupBuyOfferFactory(group_size=3)
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    friend = rich_user()

    results = run_together(*[lambda: groupbuy_group_join(user=friend, group_id=group.pk)] * 2)

    assert sorted(isinstance(r, GroupBuyGroup) for r in results) == [False, True]
    assert [r for r in results if not isinstance(r, GroupBuyGroup)] == ["already_member"]
    assert GroupBuyMember.objects.filter(group=group, user=friend).count() == 1
    assert wallet_balance(user=friend) == 70
    assert ledger_audit().ok


@pytest.mark.parametrize("attempt", range(4))
def test_last_join_races_the_refund_one_outcome(attempt):
    offer = GroupBuyOfferFactory(group_size=2)
    leader, friend = rich_user(), rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)

    results = run_together(
        lambda: groupbuy_group_join(user=friend, group_id=group.pk),
        lambda: groupbuy_group_expire(group_id=group.pk, force=True),
    )

    group.refresh_from_db()
    refunds = Transaction.objects.filter(kind=Transaction.Kind.REFUND).count()
    settles = Transaction.objects.filter(key=f"groupbuy:settle:{group.pk}").count()
    if group.status == GroupBuyGroup.Status.SUCCEEDED:
        assert results == [results[0], False] and isinstance(results[0], GroupBuyGroup)
        assert (settles, refunds) == (1, 0)
        assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.FULFILLED}
        assert wallet_balance(user=leader) == wallet_balance(user=friend) == 70
    else:
        assert group.status == GroupBuyGroup.Status.FAILED
        assert results == ["group_closed", True]
        assert (settles, refunds) == (0, 1)
        assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CANCELLED}
        assert wallet_balance(user=leader) == wallet_balance(user=friend) == 100
    assert account_escrow(group.pk).balance == 0
    assert ledger_audit().ok
