"""The demo mall: three products, a store, the operator and store-staff groups, a home banner."""

DEMO_STORE = "示范门店"
DEMO_PRODUCTS = [
    # name, kind, price, stock (None: unlimited), per-user limit, category, description
    ("洗牙体验券", "voucher", 80, 5, 1, "到店体验", "到店洗牙一次，凭券码核销。"),
    ("电动牙刷", "physical", 2000, 10, 0, "实物", "声波电动牙刷一支，可邮寄或到店自提。"),
    ("口腔检查预约券", "voucher", 50, None, 0, "到店体验", "口腔检查一次，凭券码核销。"),
]
DEMO_SLOT_ITEMS = [
    # title, link type, target (a product name resolves to its id), sort order
    ("洗牙体验券限量兑换", "product", "洗牙体验券", 1),
    ("早起打卡挑战", "page", "/pages/challenges/index", 2),
]


def seed_mall(stdout=None) -> None:
    """The demo mall: three products, a store, the operator and store-staff groups, a home banner."""
    from core.models import Slot, SlotItem
    from core.slots import slot_cache_clear
    from mall.models import Product, Store
    from mall.services import roles_seed

    roles_seed()
    Store.objects.get_or_create(name=DEMO_STORE, defaults={"address": "上海市示范路 1 号"})
    products = {}
    for order, (name, kind, price, stock, limit, category, description) in enumerate(DEMO_PRODUCTS):
        products[name], _created = Product.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "price": price,
                "stock": stock,
                "per_user_limit": limit,
                "category": category,
                "description": description,
                "sort_order": order,
            },
        )
    slot, _created = Slot.objects.get_or_create(key="home_banner", defaults={"name": "首页轮播"})
    for title, link_type, target, order in DEMO_SLOT_ITEMS:
        if target in products:
            target = str(products[target].pk)
        SlotItem.objects.get_or_create(
            slot=slot, title=title, defaults={"link_type": link_type, "target": target, "sort_order": order}
        )
    slot_cache_clear(key=slot.key)
    if stdout is not None:
        stdout.write(f"mall: {len(DEMO_PRODUCTS)} products, a store, a home_banner slot, operator and staff groups")


def seed_staff_accounts(stdout=None) -> None:
    """The demo operator (the 运营 group, not a superuser) and the demo store clerk (门店核销员 at
    示范门店, who verifies vouchers on /staff/)."""
    from django.conf import settings
    from django.contrib.auth.models import Group

    from core.models import User
    from mall.models import Store
    from mall.services import OPERATOR_GROUP, store_staff_add

    operator, created = User.objects.get_or_create(
        username=settings.DEMO_OPERATOR_USERNAME, defaults={"nickname": "运营小周", "openid": None}
    )
    if created:
        operator.set_password(settings.DEMO_OPERATOR_PASSWORD)
    operator.is_staff, operator.is_superuser = True, False  # a demo from before had a superuser here
    operator.save()
    operator.groups.add(Group.objects.get(name=OPERATOR_GROUP))
    store = Store.objects.get(name=DEMO_STORE)
    clerk = User.objects.filter(username=settings.DEMO_CLERK_USERNAME).first()
    if clerk is None:
        store_staff_add(
            store=store,
            username=settings.DEMO_CLERK_USERNAME,
            password=settings.DEMO_CLERK_PASSWORD,
            nickname="前台小王",
        )
    if stdout is not None:
        operator_name, clerk_name = settings.DEMO_OPERATOR_USERNAME, settings.DEMO_CLERK_USERNAME
        stdout.write(f"mall: operator {operator_name} (运营), clerk {clerk_name} at {DEMO_STORE}")


def seed(stdout=None) -> None:
    seed_mall(stdout=stdout)
    seed_staff_accounts(stdout=stdout)
