"""The operator group 运营 and the store-staff group 门店核销员, what each may do, and putting
someone on a store's staff."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from mall.models import Store

OPERATOR_GROUP = "运营"
STORE_STAFF_GROUP = "门店核销员"
VERIFY_PERMISSION = "mall.verify_coupon"

OPERATOR_MODELS = {
    "points": ["pointstask", "level"],
    "mall": ["product", "order", "coupon", "store", "stocklog"],
    "core": ["slot", "slotitem", "tag", "usertag"],
    # Growth: the dashboard, segments, events and automations (the list pages that only services
    # write stay read-only whatever the permission).
    "analytics": ["dailymetric", "usersegment", "segmentconfig", "automationrule", "automationgrant", "tagrule"],
    "events": ["event"],
    "accounts": ["customer"],
}
OPERATOR_APPS = ["checkin", "referral", "campaigns"]  # every model of these apps
STORE_STAFF_PERMISSIONS = [
    ("mall", "verify_coupon"),
    ("mall", "view_coupon"),
    ("mall", "view_order"),
    ("mall", "view_store"),
]


def roles_seed() -> None:
    """Create (or top up) the operator group 运营 and the store-staff group 门店核销员."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    operators, _created = Group.objects.get_or_create(name=OPERATOR_GROUP)
    query = Q(content_type__app_label__in=OPERATOR_APPS)
    for app_label, models in OPERATOR_MODELS.items():
        query |= Q(content_type__app_label=app_label, content_type__model__in=models)
    operators.permissions.add(*Permission.objects.filter(query))
    staff, _created = Group.objects.get_or_create(name=STORE_STAFF_GROUP)
    query = Q(pk__in=[])
    for app_label, codename in STORE_STAFF_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    staff.permissions.add(*Permission.objects.filter(query))


def staff_may_log_in(user) -> bool:
    """Who may take staff tokens (`auth/staff/login`): operators and admins (is_staff), and store
    staff, who have no admin access but verify vouchers and record visits at the desk."""
    return user.is_active and (user.is_staff or user.has_perm(VERIFY_PERMISSION))


def staff_store(*, staff, store_id: int | None) -> Store:
    """Where a front-desk action (a voucher verified, a visit recorded) happens: a store the staff
    member is on (the one named, else their first); a superuser (an operator) may name any store,
    and must name one when on none."""
    mine = list(Store.objects.filter(staff=staff, is_active=True).order_by("pk").values_list("pk", flat=True))
    if not mine and not staff.is_superuser:
        raise ApplicationError("no_store", _("You are not on the staff of any store."), 403)
    if store_id is None:
        if not mine:
            raise ApplicationError("store_required", _("Name the store you are at."), 400)
        store_id = mine[0]
    elif store_id not in mine and not staff.is_superuser:
        raise ApplicationError("not_your_store", _("You are not on the staff of this store."), 403)
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        raise ApplicationError("invalid", _("No such store."), 400)
    return store


@transaction.atomic
def store_staff_add(*, store: Store, user=None, username: str = "", password: str = "", nickname: str = ""):
    """Put someone on a store's staff in one step: an existing account (`user`) or a new login
    (`username` and `password`), into the store-staff group 门店核销员, onto the store. Staff need no
    admin access: they verify on the front-desk page. Returns the staff member."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    if user is None:
        if not username or not password:
            raise ApplicationError("invalid", _("Choose an account or give a username and a password."), 400)
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise ApplicationError("username_taken", _("This username is already taken."), 409)
        user = User(username=username, nickname=nickname, openid=None)
        user.set_password(password)
        user.save()
    group, _created = Group.objects.get_or_create(name=STORE_STAFF_GROUP)
    if not group.permissions.exists():
        roles_seed()
    user.groups.add(group)
    store.staff.add(user)
    return user
