"""The facts the member gave in the customer profile (客户档案): birthday, gender, city (`PATCH me`,
docs/privacy.md). Read-only here, as the rest of the profile; staff edit them on the account page."""

from django.utils.translation import gettext as _

from core.customer_profile import ProfileSection


def profile_sections(user) -> list[ProfileSection]:
    if user.birthday is None and not user.gender and not user.city:
        return [ProfileSection(title=_("Personal details"), empty=_("The member has given none."))]
    return [
        ProfileSection(
            title=_("Personal details"),
            facts=[
                (_("birthday"), user.birthday or "-"),
                (_("gender"), user.get_gender_display() if user.gender else "-"),
                (_("city"), user.city or "-"),
            ],
        )
    ]
