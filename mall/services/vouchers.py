"""Vouchers (券码) and their verification at the front desk (核销): codes staff can read aloud,
issuing an order's vouchers, verifying one once at the staff member's own store, nightly expiry."""

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.clock import now
from core.exceptions import ApplicationError
from core.locks import lock_shared
from core.qr import qr_data_url
from mall.models import Coupon, Order, Product
from mall.services.commissions import order_commission_queue
from mall.services.orders import order_lock
from mall.services.roles import VERIFY_PERMISSION, staff_store

# No 0/O, 1/I/L: staff read codes aloud and type them.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def coupon_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def coupon_code_normalise(code: str) -> str:
    """What a person types or a scanner reads: spaces, dashes and case do not matter."""
    return "".join(code.split()).replace("-", "").upper()


def coupon_qr_data_url(*, code: str) -> str:
    """A PNG QR of the voucher code, as a data URL the mini-program shows directly."""
    return qr_data_url(code)


def coupon_expiry(*, product: Product, at: dt.datetime) -> dt.datetime:
    """When a voucher of `product` issued at `at` expires."""
    return at + dt.timedelta(days=product.voucher_valid_days)


def coupon_known(*, pk: int, order: Order, code: str, expires_at: dt.datetime, at: dt.datetime) -> Coupon:
    """A voucher of `order` just written by a statement, as a read of it would give it."""
    coupon = Coupon(
        pk=pk,
        order=order,
        user=order.user,
        product=order.product,
        code=code,
        status=Coupon.Status.UNUSED,
        expires_at=expires_at,
        created_at=at,
    )
    coupon._state.adding, coupon._state.db = False, "default"
    return coupon


def coupons_issue(*, order: Order, product: Product, count: int | None = None) -> list[Coupon]:
    """One voucher per unit of `order` (or `count` more), each with its own code; returns them."""
    expires_at = coupon_expiry(product=product, at=now())
    coupons = []
    for _n in range(order.quantity if count is None else count):
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    coupon = Coupon.objects.create(
                        order=order,
                        user=order.user,
                        product=product,
                        code=coupon_code_generate(),
                        expires_at=expires_at,
                    )
                coupons.append(coupon)
                break
            except IntegrityError:  # a code collision: draw again
                continue
        else:  # pragma: no cover - 31^10 codes
            raise RuntimeError("could not draw a unique voucher code")
    return coupons


def coupon_verify(*, code: str, staff, store_id: int | None = None) -> Coupon:
    """Store staff verify (核销) a voucher: once, before it expires, recording who and where."""
    if not staff.has_perm(VERIFY_PERMISSION):
        raise ApplicationError("permission_denied", _("Only store staff may verify vouchers."), 403)
    store = staff_store(staff=staff, store_id=store_id)  # before the code: no probing codes from nowhere
    code = coupon_code_normalise(code)
    found = Coupon.objects.filter(code=code).values_list("order_id", flat=True).first()
    if found is None:
        raise ApplicationError("not_found", _("No voucher has this code."), 404)
    with transaction.atomic():
        order = order_lock(found)
        coupon = lock_shared(Coupon.objects.select_related("product").filter(code=code))[0]
        if coupon.status == Coupon.Status.USED:
            raise ApplicationError("already_used", _("This voucher was already used."), 409)
        if coupon.status == Coupon.Status.CANCELLED:
            raise ApplicationError("coupon_cancelled", _("This voucher was cancelled."), 409)
        moment = now()
        if coupon.status == Coupon.Status.EXPIRED or coupon.expires_at <= moment:
            raise ApplicationError("coupon_expired", _("This voucher has expired."), 409)
        coupon.status, coupon.used_at, coupon.verified_by, coupon.store = Coupon.Status.USED, moment, staff, store
        coupon.save(update_fields=["status", "used_at", "verified_by", "store"])
        if not order.coupons.exclude(status=Coupon.Status.USED).exists():
            order.status, order.completed_at = Order.Status.COMPLETED, moment
            order.save(update_fields=["status", "completed_at"])
            order_commission_queue(order=order)  # completion pays the inviter's held commission
    return coupon


def coupons_expire(*, at: dt.datetime | None = None) -> int:
    """The nightly job: unused vouchers past their expiry become expired. Returns how many."""
    return Coupon.objects.filter(status=Coupon.Status.UNUSED, expires_at__lte=at or now()).update(
        status=Coupon.Status.EXPIRED
    )
