"""Check-in challenges in the customer profile: every entry, its round and how it ended; and the
visits staff recorded at the desk (到店打卡)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from checkin.selectors import entries_of_user, visits_of_user
from core.customer_profile import ProfileSection

LATEST = 20


def profile_sections(user) -> list[ProfileSection]:
    entries = list(entries_of_user(user=user)[:LATEST])
    return [
        ProfileSection(
            title=_("Challenge entries"),
            columns=[_("challenge"), _("round"), _("stake"), _("check-ins"), _("status"), _("payout")],
            rows=[
                [
                    e.round.challenge.title,
                    f"{e.round.start_date} ~ {e.round.end_date}",
                    e.stake,
                    e.checkins,
                    e.get_status_display(),
                    e.payout,
                ]
                for e in entries
            ],
            more_url=reverse("admin:checkin_checkin_changelist") + f"?q={user.pk}",
            empty=_("No challenge entries."),
        ),
        ProfileSection(
            title=_("Store visits"),
            columns=[_("date"), _("store"), _("recorded at"), _("recorded by")],
            rows=[[v.local_date, v.store.name, v.created_at, v.staff] for v in visits_of_user(user=user)[:LATEST]],
            more_url=reverse("admin:checkin_visit_changelist") + f"?q={user.pk}",
            empty=_("No store visits."),
        ),
    ]
