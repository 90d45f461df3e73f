"""Reads of check-in challenges for the API. No writes here: a round that does not exist yet is
described from the rules (its id is null until someone joins)."""

import datetime as dt

from django.db import router
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from checkin import rules
from checkin.models import Challenge, CheckIn, Entry, Round, Settlement, Visit
from checkin.services.challenges import (
    challenge_day_start,
    challenge_today,
    challenge_window,
    enrollment_dates,
)
from checkin.services.leaderboards import EARLY, Board
from core.clock import now
from core.db import fetch_prepared
from core.faces import user_faces


def _entries_running(user) -> QuerySet[Entry]:
    """The user's entries in rounds not yet finished (open, or settling: payouts under way)."""
    return Entry.objects.filter(user=user, round__status__in=(Round.Status.OPEN, Round.Status.SETTLING))


def challenges_listed(*, user) -> QuerySet[Challenge]:
    """The challenges a user's list shows: the active ones, and a switched-off one while the user
    is in a round of it that has not finished (`is_active` stops new entries only)."""
    return Challenge.objects.filter(Q(is_active=True) | Q(pk__in=_entries_running(user).values("round__challenge_id")))


def _challenge_read(challenge_id: int, columns: tuple[str, ...]) -> Challenge:
    """One challenge row, read prepared (the check-in and the leaderboard read it on every
    request, and the ORM took longer to build this one-row query than PostgreSQL took to run it);
    the fields not in `columns` are deferred, as `only()` would leave them. 404 when missing."""
    rows = fetch_prepared(
        Challenge, f"SELECT {', '.join(columns)} FROM checkin_challenge WHERE id = %s", [challenge_id]
    )
    if not rows:
        raise Http404
    return Challenge.from_db(router.db_for_read(Challenge), columns, rows[0])


_ALL_FIELDS = tuple(field.column for field in Challenge._meta.concrete_fields)


def challenge_get(*, challenge_id: int, visible_to=None) -> Challenge:
    """The challenge, active or not: a switched-off challenge stops new entries (the join says
    so), not the check-ins and makeups of a round already staked. With `visible_to` (its page),
    a switched-off challenge is shown only to a user in a round of it that has not finished.
    404 when missing or not shown."""
    challenge = _challenge_read(challenge_id, _ALL_FIELDS)
    hidden = visible_to is not None and not challenge.is_active
    if hidden and not _entries_running(visible_to).filter(round__challenge=challenge).exists():
        raise Http404
    return challenge


# What a leaderboard needs of its challenge (the early board's business day and window).
_BOARD_FIELDS = ("id", "timezone", "day_cutoff", "window_start", "window_end")


def challenge_for_board(*, challenge_id: int) -> Challenge:
    """The challenge of a leaderboard, active or not, with only the fields a board reads: the
    leaderboard is the most read endpoint, and a challenge row carries its rules text."""
    return _challenge_read(challenge_id, _BOARD_FIELDS)


def entry_summary(entry: Entry | None) -> dict | None:
    if entry is None:
        return None
    return {
        "id": entry.pk,
        "round": entry.round_id,
        "stake": entry.stake,
        "checkins": entry.checkins,
        "makeups_used": entry.makeups_used,
        "status": entry.status,
        "payout": entry.payout if entry.paid_at is not None else None,
        "start_date": entry.round.start_date,
        "end_date": entry.round.end_date,
    }


def _current_round(challenge: Challenge, today: dt.date) -> tuple[dict | None, Round | None]:
    dates = enrollment_dates(challenge, today)
    if dates is None:
        return None, None
    round_ = Round.objects.filter(challenge=challenge, start_date=dates[0]).first()
    if round_ is not None and round_.status != Round.Status.OPEN:
        return None, None
    body = {
        "id": round_.pk if round_ else None,
        "start_date": dates[0],
        "end_date": dates[1],
        "pool": round_.pool if round_ else challenge.bonus,
        "participants": round_.participants if round_ else 0,
        "enroll_closes_at": challenge_day_start(challenge, dates[0]),
    }
    return body, round_


def challenge_overview(*, challenge: Challenge, user) -> dict:
    """A challenge as the list and detail show it: its rules, the round open for enrolment, the
    caller's entry in it, and today's window with the caller's entry for today."""
    at = now()
    today = challenge_today(challenge, at)
    current, round_ = _current_round(challenge, today)
    my_entry = None
    if round_ is not None:
        my_entry = Entry.objects.select_related("round").filter(round=round_, user=user).first()
    today_entry = (
        Entry.objects.select_related("round")
        .filter(user=user, round__challenge=challenge, round__start_date__lte=today, round__end_date__gte=today)
        .first()
    )
    opens, closes = challenge_window(challenge, today)
    checked_in = today_entry is not None and CheckIn.objects.filter(entry=today_entry, local_date=today).exists()
    return {
        "challenge": challenge,
        "current_round": current,
        "my_entry": entry_summary(my_entry),
        "today": {
            "date": today,
            "window_opens_at": opens,
            "window_closes_at": closes,
            "window_open": opens <= at < closes,
            "entry": entry_summary(today_entry),
            "checked_in": checked_in,
        },
    }


def leaderboard_body(board: Board) -> dict:
    """A board with each user's public face: nickname and avatar, never a phone or an openid."""
    faces = board.faces if board.faces is not None else user_faces(user_ids=[u for _, u, _ in board.rows])
    entries = []
    for rank, user_id, raw in board.rows:
        nickname, avatar_url = faces.get(user_id, ("", ""))
        row = {
            "rank": rank,
            "user": {"id": user_id, "nickname": nickname, "avatar_url": avatar_url},
            "score": board_display_score(board, raw),
        }
        if board.board == EARLY:
            row["checked_in_at"] = board.opens_at + dt.timedelta(microseconds=raw)
        entries.append(row)
    me = {"rank": None, "score": None}
    if board.me is not None:
        me = {"rank": board.me[0], "score": board_display_score(board, board.me[1])}
    return {"board": board.board, "date": board.day, "entries": entries, "me": me}


def board_display_score(board: Board, raw: int) -> int:
    if board.board == EARLY:
        return raw // 1_000_000
    return rules.board_value(raw)


def rounds_past(*, challenge: Challenge, user) -> QuerySet[Round]:
    """Settled and cancelled rounds, newest first, each with its settlement and the caller's entry
    (`my_entry_list`)."""
    mine = Entry.objects.filter(user=user)
    return (
        Round.objects.filter(challenge=challenge, settlement__isnull=False)
        .select_related("settlement")
        .prefetch_related(Prefetch("entries", queryset=mine, to_attr="my_entry_list"))
        .order_by("-start_date", "-pk")
    )


def round_report(round_: Round) -> dict:
    settlement: Settlement = round_.settlement
    mine = round_.my_entry_list[0] if round_.my_entry_list else None
    return {
        "id": round_.pk,
        "start_date": round_.start_date,
        "end_date": round_.end_date,
        "status": round_.status,
        "outcome": settlement.outcome,
        "pool": settlement.pool,
        "participants": settlement.participants,
        "winners": settlement.winners,
        "winners_stake": settlement.winners_stake,
        "paid_total": settlement.paid_total,
        "rollover_total": settlement.rollover_total,
        "settled_at": settlement.finished_at,
        "my_stake": mine.stake if mine else None,
        "my_status": mine.status if mine else None,
        "my_payout": mine.payout if mine is not None and mine.paid_at is not None else None,
    }


def entries_of_user(*, user) -> QuerySet[Entry]:
    settlement_outcome = Settlement.objects.filter(round_id=OuterRef("round_id")).values("outcome")[:1]
    return (
        Entry.objects.filter(user=user)
        .select_related("round__challenge")
        .annotate(outcome=Subquery(settlement_outcome))
        .order_by("-pk")
    )


def visits_on(*, day: dt.date, stores) -> QuerySet[Visit]:
    """Visits recorded on the local `day` at `stores`, newest first (the front desk's list)."""
    visits = Visit.objects.filter(local_date=day, store__in=stores)
    return visits.select_related("user", "staff").order_by("-created_at")


def visits_of_user(*, user) -> QuerySet[Visit]:
    """A member's visits, newest first (the customer profile)."""
    return Visit.objects.filter(user=user).select_related("store", "staff").order_by("-local_date")
