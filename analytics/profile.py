"""Growth analytics in the customer profile: the member's segment (RFM) and lifecycle stage, as
last night's run computed them."""

from django.utils.translation import gettext as _

from analytics.models import Segment, Stage, UserSegment
from core.customer_profile import ProfileSection


def profile_sections(user) -> list[ProfileSection]:
    row = UserSegment.objects.filter(user=user).first()
    if row is None:
        return [ProfileSection(title=_("Segment and stage"), empty=_("Not computed yet (the nightly run does it)."))]
    return [
        ProfileSection(
            title=_("Segment and stage"),
            facts=[
                (_("segment"), Segment(row.segment).label),
                (_("stage"), Stage(row.stage).label),
                (_("RFM scores"), f"R{row.r_score} F{row.f_score} M{row.m_score}"),
                (_("last active on"), row.last_active_on or "-"),
                (_("active days"), row.frequency),
                (_("points redeemed"), row.monetary),
                (_("computed on"), row.computed_on),
            ],
        )
    ]
