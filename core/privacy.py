"""What operators and other members may see of a member: a masked phone, a display name."""

from django.utils.translation import gettext as _


def mask_phone(phone: str | None) -> str:
    """138****5678: enough for the front desk to confirm with the patient, not enough to call them."""
    if not phone:
        return ""
    digits = str(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def masked_phone(user) -> str:
    """The member's verified phone, masked; "" when they have verified none."""
    return mask_phone(user.phone) if user.phone_verified else ""


def member_label(user) -> str:
    """How a member appears to operators: nickname and masked phone, never the internal username
    (`wx_5aa0...`) of a customer. Staff accounts keep their login name when they have no nickname."""
    if user is None:
        return ""
    name = (user.nickname or "").strip()
    phone = masked_phone(user)
    if name and phone:
        return f"{name} ({phone})"
    if name or phone:
        return name or phone
    if user.is_staff:
        return user.username
    return _("WeChat user #%(id)s") % {"id": user.pk}
