"""The operator group 运营 and the store-staff group 门店核销员, and what each may do."""

OPERATOR_GROUP = "运营"
STORE_STAFF_GROUP = "门店核销员"
VERIFY_PERMISSION = "mall.verify_coupon"

OPERATOR_MODELS = {
    "points": ["pointstask", "level"],
    "mall": ["product", "order", "coupon", "store", "stocklog"],
    "core": ["slot", "slotitem"],
    # Growth: the dashboard, segments, events and automations (the list pages that only services
    # write stay read-only whatever the permission).
    "analytics": ["dailymetric", "usersegment", "segmentconfig", "automationrule", "automationgrant"],
    "events": ["event"],
}
OPERATOR_APPS = ["checkin"]  # every model of the challenge app
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
