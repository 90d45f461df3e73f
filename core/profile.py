"""Tags in the customer profile (客户档案): the member's tags, manual and rule, and since when."""

from django.utils.translation import gettext as _

from core.customer_profile import ProfileSection
from core.models import Tag, UserTag


def profile_sections(user) -> list[ProfileSection]:
    rows = UserTag.objects.filter(user=user).select_related("tag", "added_by").order_by("tag__name")
    return [
        ProfileSection(
            title=_("Tags"),
            columns=[_("tag"), _("kind"), _("tagged at"), _("added by")],
            rows=[
                [
                    row.tag.name,
                    Tag.Kind(row.tag.kind).label,
                    row.created_at,
                    str(row.added_by) if row.added_by_id else _("nightly rule") if row.tag.kind == "rule" else "-",
                ]
                for row in rows
            ],
            empty=_("No tags."),
        )
    ]
