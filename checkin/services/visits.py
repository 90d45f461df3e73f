"""Store visits (到店打卡): staff scan a member's code at the desk; the visit is recorded once a day
and counts as the day's check-in of each attendance challenge the member is in."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from checkin.models import Challenge, CheckIn, Entry, Round, Visit
from checkin.services.checkins import (
    checkin_count,
    checkin_rewards,
    checkin_rewards_due,
    checkin_window_check,
)
from core.clock import now
from core.exceptions import ApplicationError
from core.locks import lock_members, retry_on_conflict
from core.member_codes import member_code_resolve
from events.services import event_record
from mall.services import VERIFY_PERMISSION, staff_store

CHECKED_IN = "checked_in"
ALREADY_CHECKED_IN = "already_checked_in"


@dataclass
class AttendanceResult:
    """What a visit did for one attendance challenge: `status` is checked_in, already_checked_in,
    or the code of the reason it did not count (checkin_window_closed, not_enrolled)."""

    challenge: Challenge
    status: str
    detail: str
    checkin: CheckIn | None = None  # None when the visit did not count
    checkins: int | None = None  # the entry's check-ins in its round, after this visit
    required: int | None = None


@dataclass
class VisitRecorded:
    visit: Visit
    member: object
    repeat: bool  # the member's visit of the day was already recorded (this scan counted nothing new)
    results: list[AttendanceResult] = field(default_factory=list)


def _attendance_challenges(member):
    """The attendance challenges in which the member has an entry in an open round, in id order
    (the order in which their rounds are held)."""
    return (
        Challenge.objects.filter(
            checkin_by=Challenge.CheckinBy.VISIT,
            rounds__status=Round.Status.OPEN,
            rounds__entries__user=member,
        )
        .distinct()
        .order_by("pk")
    )


def _attend(*, member, challenge: Challenge, at) -> AttendanceResult:
    try:
        day = checkin_window_check(challenge, at)
        with transaction.atomic():  # a refusal leaves the other challenges' check-ins standing
            checkin, created = checkin_count(user=member, challenge=challenge, day=day, at=at)
    except ApplicationError as refused:
        return AttendanceResult(challenge=challenge, status=refused.code, detail=str(refused.detail))
    entry = Entry.objects.select_related("round").get(pk=checkin.entry_id)
    if created:
        status, detail = CHECKED_IN, _("Checked in.")
    else:
        status, detail = ALREADY_CHECKED_IN, _("Already checked in today.")
    return AttendanceResult(
        challenge=challenge,
        status=status,
        detail=detail,
        checkin=checkin,
        checkins=entry.checkins,
        required=entry.round.required_days,
    )


@retry_on_conflict
def visit_record(*, code: str, staff, store_id: int | None = None) -> VisitRecorded:
    """Staff record the visit of the member whose code they scanned (or typed), at a store they
    are on, and check the member in to each attendance challenge whose round runs today. Once a
    day per member: a second scan records nothing new and says so (`repeat`), but still checks in
    a challenge joined since. Errors: 403 permission_denied, 403 no_store, 403 not_your_store,
    400 store_required, 404 member_code_invalid.

    Locks (docs/concurrency.md): the member, then each challenge's round (held open by its
    check-in, in challenge order), then, for a first check-in's one-off rewards, the accounts.
    """
    if not staff.has_perm(VERIFY_PERMISSION):
        raise ApplicationError("permission_denied", _("Only store staff may record visits."), 403)
    store = staff_store(staff=staff, store_id=store_id)  # before the code: no probing codes from nowhere
    member = member_code_resolve(code)
    if member is None:
        raise ApplicationError(
            "member_code_invalid",
            _("This member code is not valid or has expired: ask the member to refresh it."),
            404,
        )
    at = now()
    with transaction.atomic():
        lock_members(member)
        day = timezone.localdate(at)
        # Under the member's lock: no other visit of theirs is being recorded (the unique
        # constraint on (member, day) is the database's word on it).
        visit = Visit.objects.filter(user=member, local_date=day).first()
        repeat = visit is not None
        if visit is None:
            visit = Visit.objects.create(user=member, store=store, staff=staff, local_date=day, created_at=at)
            event_record(user=member, kind="visited", at=at, ref=f"visit:{visit.pk}")
        rewards_due = checkin_rewards_due(user=member)
        results = [_attend(member=member, challenge=c, at=at) for c in _attendance_challenges(member)]
        if rewards_due and any(result.status == CHECKED_IN for result in results):
            checkin_rewards(user=member)
    return VisitRecorded(visit=visit, member=member, repeat=repeat, results=results)
