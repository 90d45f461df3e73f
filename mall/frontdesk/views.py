"""The front desk (前台核销): store staff type or scan a voucher's code, see whose it is, confirm.

A page of its own, outside the admin, for a tablet at the counter. Staff log in on the page's own
login (the admin's admits only operators) and verify only at the stores they are on
(`coupon_verify` decides, as it does for the API). The page works without JavaScript; the camera
scan is an addition where the browser has one (BarcodeDetector)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.clock import local_today, now
from core.exceptions import ApplicationError
from core.privacy import masked_phone
from mall.models import Coupon, Store
from mall.selectors import coupon_for_front_desk, verifications_on
from mall.services import VERIFY_PERMISSION, coupon_verify


def staff_only(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("frontdesk-login"))
        if not request.user.has_perm(VERIFY_PERMISSION):
            return TemplateResponse(request, "mall/frontdesk/not_staff.html", status=403)
        return view(request, *args, **kwargs)

    return checked


def stores_of(user):
    stores = Store.objects.filter(is_active=True).order_by("pk")
    return stores if user.is_superuser else stores.filter(staff=user)


def store_chosen(request, stores):
    raw = request.GET.get("store") or request.POST.get("store") or ""
    chosen = stores.filter(pk=int(raw)).first() if raw.isdigit() else None
    return chosen or stores.first()


@require_GET
@staff_only
def front_desk(request):
    stores = stores_of(request.user)
    store = store_chosen(request, stores)
    code = request.GET.get("code", "").strip()
    coupon = coupon_for_front_desk(code=code) if code else None
    context = {
        "stores": stores,
        "store": store,
        "code": code,
        "coupon": coupon,
        "not_found": bool(code) and coupon is None,
        "masked_phone": masked_phone(coupon.user) if coupon else "",
        "expired": bool(coupon) and coupon.status == Coupon.Status.UNUSED and coupon.expires_at <= now(),
        "today": verifications_on(day=local_today(), stores=[store] if store else []),
    }
    return TemplateResponse(request, "mall/frontdesk/desk.html", context)


@require_POST
@staff_only
def front_desk_verify(request):
    code = request.POST.get("code", "").strip()
    store_id = request.POST.get("store", "")
    try:
        coupon = coupon_verify(code=code, staff=request.user, store_id=int(store_id) if store_id.isdigit() else None)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect(f"{reverse('frontdesk')}?store={store_id}&code={code}")
    messages.success(
        request,
        _("Verified: %(product)s for %(member)s.") % {"product": coupon.product.name, "member": coupon.user},
    )
    return redirect(f"{reverse('frontdesk')}?store={coupon.store_id}")
