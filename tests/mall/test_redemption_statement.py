"""On PostgreSQL a plain redemption is placed by a few statements (the member lock, one read of
what the checks need, the ledger's two, one write of the order, its vouchers, its event and the
stock); every other one, and every redemption on the other databases, by `order_place` step by
step. For any run of redemptions the two must answer the same and write the same rows."""

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core.exceptions import ApplicationError
from events.models import Event
from mall.models import Coupon, Order, Product
from mall.services import redemptions as redemptions_module
from mall.services.redemptions import redemption_create
from points.models import Entry, Growth, Level, Lot
from points.services.ledger import account_for_user, account_sink
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, give_points
from tests.reliability.helpers import statements_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

products = st.lists(
    st.fixed_dictionaries(
        {
            "price": st.integers(1, 60),
            "stock": st.one_of(st.none(), st.integers(0, 6)),
            "per_user_limit": st.integers(0, 3),
            "kind": st.sampled_from([Product.Kind.VOUCHER, Product.Kind.COUPON, Product.Kind.PHYSICAL]),
        }
    ),
    min_size=1,
    max_size=3,
)
# (buyer, product, quantity, address, Idempotency-Key)
redemptions = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.integers(0, 2),
        st.integers(1, 3),
        st.sampled_from(["", "长安街 1 号"]),
        st.sampled_from(["", "k1", "k2"]),
    ),
    min_size=1,
    max_size=8,
)


def _run(specs, plan, funds, growth) -> tuple[list, dict]:
    """Make the buyers and products, redeem `plan`; (what each redemption answered, what was written)."""
    buyers = [UserFactory() for _ in funds]
    for buyer, points, total in zip(buyers, funds, growth, strict=True):
        account_for_user(buyer), account_sink(shard_of=buyer.pk)  # accounts exist, as after a first use
        if points:
            give_points(buyer, points)
        Growth.objects.create(user=buyer, total=total)
    items = [ProductFactory(**spec) for spec in specs]
    answers = []
    for buyer, item, quantity, address, key in plan:
        product = items[item % len(items)]
        try:
            order = redemption_create(
                user=buyers[buyer], product_id=product.pk, quantity=quantity, address=address, idempotency_key=key
            )
            coupons = list(order.coupons.all())
            answers.append(
                (
                    "replayed" if getattr(order, "replayed", False) else "placed",
                    order.status,
                    order.points,
                    order.discount_percent,
                    order.discount_points,
                    len(coupons),
                    len({c.code for c in coupons}),
                )
            )
        except ApplicationError as exc:
            answers.append(exc.code)
    return answers, _written(buyers, items)


def _written(buyers, items) -> dict:
    """The rows of the run, without ids and moments, which differ between the runs."""
    number = {buyer.pk: n for n, buyer in enumerate(buyers)}
    orders = Order.objects.filter(user__in=buyers).order_by("pk")
    return {
        "orders": [
            (
                number[o.user_id],
                items.index(o.product),
                o.quantity,
                o.points,
                o.discount_percent,
                o.discount_points,
                o.status,
                o.address,
                o.idempotency_key,
                o.transaction.key == f"redeem:{o.pk}" if o.transaction else None,
                o.transaction.metadata
                == {"order": o.pk, "product": o.product_id, "quantity": o.quantity}
                | ({"discount_points": o.discount_points} if o.discount_points else {})
                if o.transaction
                else None,
                sorted(
                    (c.status, c.user_id == o.user_id, c.product_id == o.product_id, (c.expires_at - o.created_at).days)
                    for c in o.coupons.all()
                ),
                o.fulfilled_at is not None,
            )
            for o in orders
        ],
        "balances": [account_for_user(buyer).balance for buyer in buyers],
        "entries": [
            list(Entry.objects.filter(account__user=buyer).order_by("pk").values_list("amount", "balance_after"))
            for buyer in buyers
        ],
        "lots": [
            list(Lot.objects.filter(account__user=buyer).order_by("pk").values_list("remaining")) for buyer in buyers
        ],
        "stock": [Product.objects.get(pk=item.pk).stock for item in items],
        "events": [
            list(Event.objects.filter(user=buyer, kind="redeemed").order_by("pk").values_list("amount"))
            for buyer in buyers
        ],
        "event_refs": [
            Event.objects.filter(user=buyer, kind="redeemed").values_list("ref", flat=True).count()
            == Event.objects.filter(user=buyer, ref__in=[f"order:{o.pk}" for o in orders]).count()
            for buyer in buyers
        ],
        "coupons": Coupon.objects.filter(user__in=buyers).count(),
    }


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=products,
    plan=redemptions,
    funds=st.tuples(st.sampled_from([0, 30, 200]), st.sampled_from([0, 30, 200])),
    growth=st.tuples(st.sampled_from([0, 50]), st.sampled_from([0, 50])),
    discount=st.integers(0, 60),
)
@example(  # a limit, a replay, a physical good without an address, a level discount, stock running out
    specs=[
        {"price": 10, "stock": 3, "per_user_limit": 2, "kind": Product.Kind.VOUCHER},
        {"price": 7, "stock": None, "per_user_limit": 0, "kind": Product.Kind.PHYSICAL},
    ],
    plan=[
        (0, 0, 1, "", "k1"),
        (0, 0, 1, "", "k1"),
        (0, 0, 2, "", ""),
        (1, 0, 2, "", ""),
        (1, 0, 1, "", ""),
        (0, 1, 1, "", ""),
        (0, 1, 2, "长安街 1 号", "k2"),
    ],
    funds=(200, 200),
    growth=(50, 0),
    discount=30,
)
def test_the_statements_place_what_order_place_places(specs, plan, funds, growth, discount, monkeypatch):
    Level.objects.update_or_create(threshold=40, defaults={"name": "金卡", "discount_percent": discount})
    placed_by_statement = []
    statement = redemptions_module._redemption_place_statement

    def spied(**kwargs):
        order = statement(**kwargs)
        placed_by_statement.append(order is not None and not getattr(order, "replayed", False))
        return order

    with monkeypatch.context() as patched:
        patched.setattr(redemptions_module, "_redemption_place_statement", spied)
        statement_answers, statement_written = _run(specs, plan, funds, growth)
    with monkeypatch.context() as patched:
        patched.setattr(redemptions_module, "on_postgresql", lambda model: False)
        portable_answers, portable_written = _run(specs, plan, funds, growth)

    assert statement_answers == portable_answers
    assert statement_written == portable_written
    # Every order the statements' run placed, the statements placed: the twin compared is theirs.
    assert sum(placed_by_statement) == sum(isinstance(a, tuple) and a[0] == "placed" for a in statement_answers)


def test_a_plain_redemption_is_eight_statements_from_the_product_read_to_commit(user):
    """The product, BEGIN, the member lock, the context, the accounts' lock, the posting, the write
    of the order, its voucher, its event and the stock, COMMIT. (Counting psycopg's executions:
    the binary cursor's statements are not in Django's query log.)"""
    account_for_user(user), account_sink(shard_of=user.pk)
    give_points(user, 100)
    product = ProductFactory(price=30, stock=5)

    order, statements = statements_of(lambda: redemption_create(user=user, product_id=product.pk))

    assert len(statements) == 6, statements  # BEGIN and COMMIT are the test's, too
    assert (order.status, order.points, order.coupons.count()) == (Order.Status.FULFILLED, 30, 1)
    assert Product.objects.get(pk=product.pk).stock == 4
    assert account_for_user(user).balance == 70
