import factory

from mall.models import Product, Store
from points.services.ledger import account_for_user, account_issuance, ledger_post


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"商品{n}")
    kind = Product.Kind.VOUCHER
    price = 80
    stock = 5


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"门店{n}")


_grants = iter(range(10**9))


def give_points(user, amount: int):
    """Credit `amount` points to the user's wallet from issuance."""
    return ledger_post(
        kind="admin_adjust",
        key=f"test-grant:{user.pk}:{next(_grants)}",
        legs=[(account_issuance(), -amount), (account_for_user(user), amount)],
    )
