"""Referral in the customer profile: who invited the member, through which channel, and whom they
invited."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.customer_profile import ProfileSection
from referral.models import ReferralProfile
from referral.selectors import referral_invitees, referral_of

LATEST = 50


def profile_sections(user) -> list[ProfileSection]:
    profile = ReferralProfile.objects.select_related("channel").filter(user=user).first()
    referral = referral_of(user=user)
    invitees = list(referral_invitees(user=user)[:LATEST])
    return [
        ProfileSection(
            title=_("Referral"),
            facts=[
                (_("referral code"), profile.code if profile else "-"),
                (_("channel"), profile.channel.name if profile and profile.channel else "-"),
                (_("invited by"), referral.inviter if referral else "-"),
                (_("referral status"), referral.get_status_display() if referral else "-"),
                (_("qualified friends"), profile.qualified_count if profile else 0),
            ],
            columns=[_("invitee"), _("status"), _("joined at")],
            rows=[[r.invitee, r.get_status_display(), r.created_at] for r in invitees],
            more_url=reverse("admin:referral_referral_changelist") + f"?q={user.pk}",
            empty=_("No invitees."),
        )
    ]
