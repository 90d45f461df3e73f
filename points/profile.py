"""Points in the customer profile: balance, level and growth, the latest ledger entries."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.customer_profile import ProfileSection
from points.models import Account
from points.selectors import growth_total, level_for, points_history, wallet_balance

LATEST = 20


def profile_sections(user) -> list[ProfileSection]:
    growth = growth_total(user=user)
    level = level_for(growth=growth)
    entries = list(points_history(user=user)[:LATEST])
    account_id = Account.objects.filter(user=user).values_list("pk", flat=True).first()
    return [
        ProfileSection(
            title=_("Points and level"),
            facts=[
                (_("balance"), wallet_balance(user=user)),
                (_("level"), level.name if level else "-"),
                (_("growth value"), growth),
            ],
            columns=[_("time"), _("kind"), _("memo"), _("amount"), _("balance after")],
            rows=[
                [e.created_at, e.transaction.get_kind_display(), e.transaction.memo, e.amount, e.balance_after]
                for e in entries
            ],
            more_url=reverse("admin:points_account_change", args=[account_id]) if account_id else "",
            empty=_("No points yet."),
        )
    ]
