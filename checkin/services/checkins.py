"""Joining a round (the stake), checking in, and makeup check-ins."""

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from checkin import rules
from checkin.models import Challenge, CheckIn, Entry, Round, Standing
from checkin.services.challenges import (
    challenge_today,
    challenge_window,
    round_closes_at,
    round_enroll_closes_at,
    round_for_enrollment,
)
from checkin.services.leaderboards import (
    STANDING_INSERT_HEAD,
    STREAK_UPSERT_CONFLICT,
    board_push_checkin,
    standing_update_streak,
)
from checkin.services.makeup_cards import makeup_limit_for
from core.clock import now
from core.db import fetch_prepared
from core.exceptions import ApplicationError
from core.locks import lock_members, note_shared, retry_on_conflict
from events.services import EVENT_INSERT_HEAD, event_record
from points.models import Transaction
from points.services.ledger import (
    account_for_user,
    account_issuance,
    account_pool,
    account_sink,
    ledger_lock,
    ledger_post,
)


def _challenge_not_found() -> ApplicationError:
    return ApplicationError("not_found", _("No such challenge."), 404)


def _enrollment_closed() -> ApplicationError:
    return ApplicationError("enrollment_closed", _("Enrolment for this challenge is closed."), 409)


def _round_closed() -> ApplicationError:
    """The user's round for that day no longer takes check-ins: its settlement has begun (a tap
    that passed the window check at the last moment and reached the database after the decision),
    or it was cancelled."""
    return ApplicationError("checkin_window_closed", _("This round is closed for check-ins."), 409)


# -- join ---------------------------------------------------------------------------------------


@retry_on_conflict
def challenge_join(*, user, challenge: Challenge, stake: int) -> Entry:
    """Stake `stake` points on the round open for enrolment: wallet -> the round's pool.

    The first participant also brings in the operator's bonus (issuance -> pool). Errors: 400
    invalid_stake, 409 enrollment_closed, 409 already_joined, 409 round_full, 400 insufficient_points.

    Locks (docs/concurrency.md): the member (under it, "already joined" again), the round (the
    seat's conditional UPDATE), then the accounts of both postings at once.
    """
    if not challenge.stake_min <= stake <= challenge.stake_max:
        raise ApplicationError(
            "invalid_stake",
            _("The stake must be between %(min)s and %(max)s points.")
            % {"min": challenge.stake_min, "max": challenge.stake_max},
            400,
        )
    at = now()
    round_ = round_for_enrollment(challenge=challenge, at=at)
    if round_ is None or at >= round_enroll_closes_at(round_):
        raise _enrollment_closed()
    if Entry.objects.filter(round=round_, user=user).exists():
        raise _already_joined()

    with transaction.atomic():
        lock_members(user)
        if Entry.objects.filter(round=round_, user=user).exists():  # a second tap waited above
            raise _already_joined()
        # A conditional UPDATE takes the round's row lock and counts the seat in one statement.
        note_shared()
        seats = Round.objects.filter(pk=round_.pk, status=Round.Status.OPEN)
        if challenge.max_participants:
            seats = seats.filter(participants__lt=challenge.max_participants)
        if not seats.update(participants=F("participants") + 1, stake_total=F("stake_total") + stake):
            round_.refresh_from_db(fields=["status"])
            if round_.status != Round.Status.OPEN:
                raise _enrollment_closed()
            raise ApplicationError("round_full", _("This round is full."), 409)
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    round=round_, user=user, stake=stake, joined_date=challenge_today(challenge, at)
                )
        except IntegrityError:
            raise _already_joined() from None
        bonus_due = round_.bonus > 0 and bool(
            Round.objects.filter(pk=round_.pk, bonus_posted=False).update(bonus_posted=True)
        )
        pool, wallet = account_pool(round_.pk), account_for_user(user)
        issuance = account_issuance() if bonus_due else None
        ledger_lock(wallet, pool, issuance)  # both postings' accounts in one go, in id order
        entry.stake_txn = ledger_post(
            kind=Transaction.Kind.STAKE,
            key=f"checkin:stake:entry:{entry.pk}",
            legs=[(wallet, -stake), (pool, stake)],
            memo=f"挑战押金: {challenge.title}"[:200],
            actor=user,
            metadata={"challenge": challenge.pk, "round": round_.pk, "entry": entry.pk},
        )
        entry.save(update_fields=["stake_txn"])
        if bonus_due:
            ledger_post(
                kind=Transaction.Kind.BONUS,
                key=f"checkin:bonus:round:{round_.pk}",
                legs=[(issuance, -round_.bonus), (pool, round_.bonus)],
                memo=f"奖池加码: {challenge.title}"[:200],
                metadata={"challenge": challenge.pk, "round": round_.pk},
            )
        event_record(user=user, kind="joined", at=at, amount=stake, ref=f"entry:{entry.pk}")
    entry.round = round_
    return entry


def _already_joined() -> ApplicationError:
    return ApplicationError("already_joined", _("You have already joined this round."), 409)


# -- check-in -----------------------------------------------------------------------------------


def _entry_for_day(*, user, challenge: Challenge, day: dt.date) -> Entry | None:
    return (
        Entry.objects.select_related("round")
        .filter(
            user=user,
            round__challenge=challenge,
            round__start_date__lte=day,
            round__end_date__gte=day,
            round__status=Round.Status.OPEN,
        )
        .first()
    )


def _no_open_entry(*, user, challenge: Challenge, day: dt.date, not_enrolled: ApplicationError) -> ApplicationError:
    """Why the user has no open entry for `day`: the round closed, or no entry at all. Read only on
    that path, so the check-in itself stays one statement."""
    of_the_day = Entry.objects.filter(
        user=user, round__challenge=challenge, round__start_date__lte=day, round__end_date__gte=day
    )
    closed = of_the_day.exclude(round__status=Round.Status.OPEN).exists()
    return _round_closed() if closed else not_enrolled


# The round stays open for a check-in or makeup until it commits: each holds a share lock on the
# round's row, and the settlement's decision locks that row FOR UPDATE before it reads the totals,
# so it waits for the check-ins in flight, and a check-in arriving later finds the round settling.
# FOR KEY SHARE: the weakest share lock, which a join's seat UPDATE (FOR NO KEY UPDATE) does not
# wait for, nor any other check-in. SQLite has no row locks: a write takes its one write lock,
# which the decision needs too, so the status check and the check-in commit together.
_HOLD_ROUND_PG = "SELECT id FROM checkin_round WHERE id = %s AND status = %s FOR KEY SHARE"
_HOLD_ROUND_OTHER = "UPDATE checkin_round SET status = status WHERE id = %s AND status = %s"


def _round_hold(round_id: int) -> bool:
    """Hold round `round_id` open until the transaction ends; False when it is no longer open."""
    note_shared()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_HOLD_ROUND_PG, [round_id, Round.Status.OPEN])
            return cursor.fetchone() is not None
        cursor.execute(_HOLD_ROUND_OTHER, [round_id, Round.Status.OPEN])
        return cursor.rowcount == 1


# A check-in in its parts, for the portable path (SQLite) and makeups: plain SQL, since the ORM
# spent more time compiling the join and the CASE than the database spent running them.
_ENTRY_FOR_CHECKIN = """
SELECT e.id, r.required_days, r.id FROM checkin_entry e JOIN checkin_round r ON r.id = e.round_id
WHERE e.user_id = %s AND r.challenge_id = %s AND r.start_date <= %s AND r.end_date >= %s AND r.status = %s
ORDER BY e.id LIMIT 1
"""
_COUNT_CHECKIN = """
UPDATE checkin_entry SET checkins = checkins + 1,
    qualified_at = CASE WHEN checkins = %s THEN %s ELSE qualified_at END
WHERE id = %s
"""


def _entry_for_checkin(*, user, challenge: Challenge, day: dt.date) -> tuple[int, int, int] | None:
    """(entry id, the round's required check-ins, round id) of the user's open round on `day`, or None."""
    date = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(_ENTRY_FOR_CHECKIN, [user.pk, challenge.pk, date, date, Round.Status.OPEN])
        return cursor.fetchone()


def _count_checkin(entry_id: int, required: int, at: dt.datetime) -> None:
    """One more check-in on the entry; remember when it reached the required number."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_CHECKIN, [required - 1, connection.ops.adapt_datetimefield_value(at), entry_id])


_CHECKIN_INSERT = """
INSERT INTO checkin_checkin (entry_id, user_id, challenge_id, local_date, checked_in_at, makeup, note, image_url)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
RETURNING id
"""

# PostgreSQL: the whole check-in in one statement, since at the morning rush each round trip and
# each statement's parse is a real share of a check-in. Data-modifying CTEs all see the snapshot
# from before the statement, so the streak's days add today's explicitly; every write after the
# insert joins `inserted`, so a repeat (or a lost race: the unique constraints decide) writes
# nothing. The streak is computed as standing_update_streak computes it (gaps and islands: the
# days of one run share day - row_number), and the standing's upsert is the same. The entry's
# round is held open as _round_hold holds it: a share lock on its row, taken with the status
# check (a decision that locked the row first makes the check fail once it commits: no entry).
_CHECKIN_STATEMENT = f"""
WITH entry AS (
    SELECT e.id, r.required_days FROM checkin_entry e JOIN checkin_round r ON r.id = e.round_id
    WHERE e.user_id = %(user)s AND r.challenge_id = %(challenge)s AND r.start_date <= %(day)s
        AND r.end_date >= %(day)s AND r.status = %(open)s
    ORDER BY e.id LIMIT 1
    FOR KEY SHARE OF r
), inserted AS (
    INSERT INTO checkin_checkin (entry_id, user_id, challenge_id, local_date, checked_in_at, makeup, note, image_url)
    SELECT entry.id, %(user)s, %(challenge)s, %(day)s, %(at)s, false, %(note)s, %(image_url)s FROM entry
    ON CONFLICT DO NOTHING
    RETURNING id, entry_id
), counted AS (
    UPDATE checkin_entry e SET checkins = e.checkins + 1,
        qualified_at = CASE WHEN e.checkins = entry.required_days - 1 THEN %(at)s ELSE e.qualified_at END
    FROM inserted, entry WHERE e.id = inserted.entry_id
), days AS (
    SELECT local_date AS day FROM checkin_checkin WHERE challenge_id = %(challenge)s AND user_id = %(user)s
    UNION SELECT %(day)s::date
), runs AS (
    SELECT count(*) AS run_length, max(day) AS run_end
    FROM (SELECT day, day - (row_number() OVER (ORDER BY day))::int AS run FROM days) numbered GROUP BY run
), streak AS (
    SELECT (SELECT run_length FROM runs ORDER BY run_end DESC LIMIT 1) AS current, max(run_length) AS best,
        max(run_end) AS last
    FROM runs
), standing AS (
    {STANDING_INSERT_HEAD}
    SELECT %(challenge)s, %(user)s, 0, NULL, 0, streak.current, streak.best, streak.last, %(at)s,
        {rules.board_score_sql("streak.current", "%(at)s")}
    FROM streak, inserted
    {STREAK_UPSERT_CONFLICT}
    RETURNING s.streak, s.streak_score
), event AS (
    {EVENT_INSERT_HEAD}
    SELECT %(user)s, %(event)s, %(at)s, '', 0, 'checkin:' || inserted.id FROM inserted
)
SELECT entry.id, inserted.id, standing.streak, standing.streak_score
FROM entry LEFT JOIN inserted ON true LEFT JOIN standing ON true
"""


@dataclass
class _Written:
    entry_id: int
    checkin: CheckIn | None  # None: the day already had one
    standing: Standing | None


def _checkin_write(*, user, challenge: Challenge, day: dt.date, at: dt.datetime, note: str, image_url: str):
    """Write today's check-in with its count, streak and event; None when the user has no entry
    for today in an open round. One statement on PostgreSQL, the same writes one by one elsewhere."""
    if connection.vendor == "postgresql":
        return _checkin_write_statement(user=user, challenge=challenge, day=day, at=at, note=note, image_url=image_url)
    return _checkin_write_portable(user=user, challenge=challenge, day=day, at=at, note=note, image_url=image_url)


def _checkin_write_statement(*, user, challenge, day, at, note, image_url) -> _Written | None:
    params = {
        "user": user.pk,
        "challenge": challenge.pk,
        "day": day,
        "at": at,
        "open": Round.Status.OPEN,
        "note": note,
        "image_url": image_url,
        "event": "checked_in",
    }
    note_shared()  # the statement holds the round (level 2 of the lock order)
    rows = fetch_prepared(CheckIn, _CHECKIN_STATEMENT, params)  # PostgreSQL only: _checkin_write decides
    if not rows:
        return None
    entry_id, checkin_id, streak, streak_score = rows[0]
    if checkin_id is None:
        return _Written(entry_id, None, None)
    checkin = _written_checkin(checkin_id, entry_id, user, challenge, day, at, note, image_url)
    standing = Standing(challenge=challenge, user=user, streak=streak, streak_score=streak_score)
    return _Written(entry_id, checkin, standing)


def _written_checkin(pk, entry_id, user, challenge, day, at, note, image_url) -> CheckIn:
    """The check-in just inserted by plain SQL, as the instance the ORM would have saved."""
    checkin = CheckIn(
        pk=pk,
        entry_id=entry_id,
        user=user,
        challenge=challenge,
        local_date=day,
        checked_in_at=at,
        note=note,
        image_url=image_url,
    )
    checkin._state.adding = False
    return checkin


def _checkin_write_portable(*, user, challenge, day, at, note, image_url) -> _Written | None:
    found = _entry_for_checkin(user=user, challenge=challenge, day=day)
    if found is None:
        return None
    entry_id, required, round_id = found
    with transaction.atomic():
        if not _round_hold(round_id):
            return None
        date, moment = connection.ops.adapt_datefield_value(day), connection.ops.adapt_datetimefield_value(at)
        with connection.cursor() as cursor:
            cursor.execute(_CHECKIN_INSERT, [entry_id, user.pk, challenge.pk, date, moment, False, note, image_url])
            inserted = cursor.fetchone()
        if inserted is None:
            return _Written(entry_id, None, None)
        checkin = _written_checkin(inserted[0], entry_id, user, challenge, day, at, note, image_url)
        _count_checkin(entry_id, required, at)
        standing = standing_update_streak(challenge=challenge, user=user, at=at)
        event_record(user=user, kind="checked_in", at=at, ref=f"checkin:{checkin.pk}")
    return _Written(entry_id, checkin, standing)


def checkin_window_check(challenge: Challenge, at: dt.datetime) -> dt.date:
    """The business day a check-in at `at` counts for; 409 checkin_window_closed outside its window."""
    day = challenge_today(challenge, at)
    opens, closes = challenge_window(challenge, day)
    if not opens <= at < closes:
        raise ApplicationError(
            "checkin_window_closed",
            _("Check-in is open from %(start)s to %(end)s.")
            % {"start": challenge.window_start.strftime("%H:%M"), "end": challenge.window_end.strftime("%H:%M")},
            409,
        )
    return day


def checkin_count(*, user, challenge: Challenge, day: dt.date, at: dt.datetime, note: str = "", image_url: str = ""):
    """Write the check-in of `day` (already checked against the window) with its count, streak
    and event, and push it to the boards after commit. Returns (check-in, created); a repeat
    returns the day's existing check-in. No rewards and no member lock: the caller's (the app's
    check-in, or a visit at the desk) decide. Errors: 404 not_enrolled, 409 checkin_window_closed
    once the round's settlement has begun."""
    written = _checkin_write(user=user, challenge=challenge, day=day, at=at, note=note, image_url=image_url)
    if written is None:
        not_enrolled = ApplicationError("not_enrolled", _("You are not enrolled in today's round."), 404)
        raise _no_open_entry(user=user, challenge=challenge, day=day, not_enrolled=not_enrolled)
    if written.checkin is None:
        # A repeat, or another request for the same day won the race: answer with its check-in.
        return CheckIn.objects.get(entry_id=written.entry_id, local_date=day), False
    checkin, standing = written.checkin, written.standing
    transaction.on_commit(lambda: board_push_checkin(checkin=checkin, challenge=challenge, standing=standing))
    return checkin, True


def checkin_rewards_due(*, user) -> bool:
    """Whether a check-in may still earn the user a one-off reward (the first-check-in task, a
    referral rule), read without locks: nearly every check-in has none left."""
    from points.services.tasks import task_pending
    from referral.services import referral_rewards_pending

    return task_pending(user=user, code="first_checkin") or referral_rewards_pending(user=user, trigger="first_checkin")


def checkin_rewards(*, user) -> None:
    """The one-off rewards of a check-in, under the member's lock (taken by the caller); each
    checks again under its locks and rewards once. The referral first, naming the task's
    accounts, so every account is locked in one go."""
    from points.services.tasks import task_complete_by_server
    from referral.services import referral_trigger

    referral_trigger(user=user, trigger="first_checkin", also_lock=(account_issuance(), account_for_user(user)))
    task_complete_by_server(user=user, code="first_checkin")


def checkin_create(*, user, challenge: Challenge, note: str = "", image_url: str = "") -> tuple[CheckIn, bool]:
    """Check in from the app for today's business day. Returns (check-in, created).

    A repeat returns the existing check-in (created False) and never makes a second row, however
    many requests race: the unique (entry, day) constraint decides. Errors: 409 visit_required
    for a challenge checked in by visits at the desk, 409 checkin_window_closed outside the window
    or once the round's settlement has begun, 404 not_enrolled without an entry for today.
    """
    if challenge.checkin_by == Challenge.CheckinBy.VISIT:
        raise ApplicationError(
            "visit_required", _("This challenge is checked in at the store: show your member code at the desk."), 409
        )
    at = now()
    day = checkin_window_check(challenge, at)
    rewards_due = checkin_rewards_due(user=user)
    # Without a reward left to give, the check-in is its one statement, committed on its own.
    with transaction.atomic() if rewards_due else nullcontext():
        if rewards_due:
            lock_members(user)  # the lock order's first lock, for the rewards' per-user checks
        checkin, created = checkin_count(user=user, challenge=challenge, day=day, at=at, note=note, image_url=image_url)
        if created and rewards_due:
            checkin_rewards(user=user)
    return checkin, created


# -- makeup -------------------------------------------------------------------------------------


@retry_on_conflict
def checkin_makeup(*, user, challenge: Challenge, day: dt.date) -> CheckIn:
    """A makeup check-in (补签) for a missed day of a running multi-day round, for a points cost.

    Not for today or later, not for the round's last day, not for days before the user joined,
    at most `makeup_limit` per entry (plus the extra cards of the member's level, per month:
    services/makeup_cards.py). Errors: 409 makeup_not_allowed, 400 invalid_makeup_date,
    404 not_enrolled, 409 already_checked_in, 409 no_makeup_left, 400 insufficient_points, 409
    checkin_window_closed once the round's settlement has begun.

    Locks (docs/concurrency.md): the member (under it, "already checked in" again), the round
    (held open, as a check-in holds it), the entry's makeup counter, then the accounts.
    """
    if challenge.checkin_by == Challenge.CheckinBy.VISIT:  # a visit cannot be made up
        raise ApplicationError("makeup_not_allowed", _("This challenge has no makeup check-ins."), 409)
    if challenge.kind != Challenge.Kind.MULTI_DAY or challenge.makeup_limit == 0:
        raise ApplicationError("makeup_not_allowed", _("This challenge has no makeup check-ins."), 409)
    at = now()
    today = challenge_today(challenge, at)
    entry = _entry_for_day(user=user, challenge=challenge, day=day)
    if entry is None:
        not_enrolled = ApplicationError("not_enrolled", _("You are not enrolled in a round on that day."), 404)
        raise _no_open_entry(user=user, challenge=challenge, day=day, not_enrolled=not_enrolled)
    round_ = entry.round
    if at >= round_closes_at(round_):
        raise ApplicationError("makeup_not_allowed", _("This round has ended."), 409)
    if day >= today or day == round_.end_date or day < entry.joined_date:
        raise ApplicationError(
            "invalid_makeup_date",
            _("Only a past day of the round after you joined, and not its last day, can be made up."),
            400,
        )
    if CheckIn.objects.filter(entry=entry, local_date=day).exists():
        raise _already_checked_in()

    with transaction.atomic():
        lock_members(user)
        if not _round_hold(round_.pk):
            raise _round_closed()
        if CheckIn.objects.filter(entry=entry, local_date=day).exists():  # a second tap waited above
            raise _already_checked_in()
        used = Entry.objects.filter(pk=entry.pk).values_list("makeups_used", flat=True).get()
        limit = makeup_limit_for(user=user, challenge=challenge, used=used, at=at)  # a level's extra cards
        if not Entry.objects.filter(pk=entry.pk, makeups_used__lt=limit).update(makeups_used=F("makeups_used") + 1):
            raise ApplicationError("no_makeup_left", _("You have no makeup check-ins left."), 409)
        try:
            with transaction.atomic():
                checkin = CheckIn.objects.create(
                    entry=entry, user=user, challenge=challenge, local_date=day, checked_in_at=at, makeup=True
                )
        except IntegrityError:
            raise _already_checked_in() from None
        if challenge.makeup_cost > 0:
            checkin.makeup_txn = ledger_post(
                kind=Transaction.Kind.MAKEUP,
                key=f"checkin:makeup:entry:{entry.pk}:{day.isoformat()}",
                legs=[(account_for_user(user), -challenge.makeup_cost), (account_sink(), challenge.makeup_cost)],
                memo=f"补签: {challenge.title} {day.isoformat()}"[:200],
                actor=user,
                metadata={"challenge": challenge.pk, "entry": entry.pk, "date": day.isoformat()},
            )
            checkin.save(update_fields=["makeup_txn"])
        _count_checkin(entry.pk, round_.required_days, at)
        standing_update_streak(challenge=challenge, user=user, at=at)
        event_record(user=user, kind="checked_in", at=at, ref=f"checkin:{checkin.pk}")
    return checkin


def _already_checked_in() -> ApplicationError:
    return ApplicationError("already_checked_in", _("That day already has a check-in."), 409)
