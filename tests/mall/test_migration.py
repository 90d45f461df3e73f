"""The mall moved from `points` to an app of its own: a database built by the old migrations, with
data in it, migrates to the new layout keeping every row, relation, permission and constraint."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [
    ("points", "0007_lot_indexes"),
    ("referral", "0004_frozen_cuts_reward_source"),
    ("analytics", "0002_summaries_segments_automations"),
    ("mall", None),
]

# Constraints that later migrations add to these tables (not the move's doing): mall 0005's
# discount of an order (docs/membership.md), mall 0006's product cost (docs/liability.md).
ADDED_AFTER_THE_MOVE = {
    "points_order_discount_percent_check",
    "points_order_discount_valid",
    "points_product_cost_check",
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state([t for t in targets if t[1] is not None]).apps


def _constraints(table: str) -> set[str]:
    """Constraints, indexes (partial unique ones included) and storage options of `table`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass", [table])
        names = {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        names |= {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = %s::regclass", [table])
        names |= {f"option:{option}" for option in cursor.fetchone()[0]}
    return names


def test_a_database_with_mall_data_migrates_to_the_mall_app_keeping_everything():
    # Given a database as today's main built it, with a store, its staff, a product, an order, a
    # voucher, a stock change, a group-buy offer and the store-staff group's permission.
    old = _migrate(BEFORE)
    constraints_before = _constraints("points_product") | _constraints("points_order")
    User = old.get_model("core", "User")
    Group = old.get_model("auth", "Group")
    Permission = old.get_model("auth", "Permission")
    ContentType = old.get_model("contenttypes", "ContentType")
    clerk = User.objects.create(username="clerk")
    buyer = User.objects.create(username="buyer")
    store = old.get_model("points", "Store").objects.create(name="门店")
    store.staff.add(clerk)
    product = old.get_model("points", "Product").objects.create(name="洗牙体验券", price=80, stock=4)
    order = old.get_model("points", "Order").objects.create(user=buyer, product=product, quantity=1, points=80)
    old.get_model("points", "Coupon").objects.create(
        order=order, user=buyer, product=product, code="ABCDEFGHJK", expires_at="2030-01-01T00:00:00Z"
    )
    old.get_model("points", "StockLog").objects.create(product=product, before=5, after=4, change=-1)
    old.get_model("referral", "GroupBuyOffer").objects.create(product=product, group_size=3, price=30)
    coupon_type, _ = ContentType.objects.get_or_create(app_label="points", model="coupon")
    verify, _ = Permission.objects.get_or_create(
        content_type=coupon_type, codename="verify_coupon", defaults={"name": "verify"}
    )
    staff_group = Group.objects.create(name="门店核销员-migration")
    staff_group.permissions.add(verify)

    # When it migrates to the new layout
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # Then the current models read the same rows, through the same tables
    from django.contrib.auth.models import Group as CurrentGroup

    from campaigns.groupbuy.models import GroupBuyOffer
    from core.models import User as CurrentUser
    from mall.models import Coupon, Order, Product, StockLog, Store

    assert Product.objects.get().name == "洗牙体验券" and Product.objects.get().stock == 4
    assert Order.objects.get().product_id == Product.objects.get().pk
    assert Coupon.objects.get().order_id == Order.objects.get().pk
    assert StockLog.objects.get().change == -1
    assert list(Store.objects.get().staff.values_list("username", flat=True)) == ["clerk"]
    assert GroupBuyOffer.objects.get().product == Product.objects.get()
    # the permission granted before the move still holds, under its new name
    group = CurrentGroup.objects.get(name="门店核销员-migration")
    assert group.permissions.get().content_type.app_label == "mall"
    clerk_now = CurrentUser.objects.get(username="clerk")
    clerk_now.groups.add(group)
    assert CurrentUser.objects.get(pk=clerk_now.pk).has_perm("mall.verify_coupon")
    # and the hand-made parts of the schema are untouched
    after = _constraints("points_product") | _constraints("points_order")
    assert after - ADDED_AFTER_THE_MOVE == constraints_before
    assert {"points_product_price_positive", "points_order_one_per_request_key"} <= constraints_before
