"""Check-in challenge services: every write of the app. See each module."""

from checkin.services.challenges import round_for_enrollment
from checkin.services.checkins import challenge_join, checkin_create, checkin_makeup
from checkin.services.leaderboards import leaderboard_read, leaderboards_rebuild
from checkin.services.reminders import reminders_send, subscribe_credit_add
from checkin.services.settlement import round_cancel, round_settle, rounds_settle_due, settlement_preview
from checkin.services.visits import VisitRecorded, visit_record

__all__ = [
    "VisitRecorded",
    "challenge_join",
    "checkin_create",
    "checkin_makeup",
    "leaderboard_read",
    "leaderboards_rebuild",
    "reminders_send",
    "round_cancel",
    "round_for_enrollment",
    "round_settle",
    "rounds_settle_due",
    "settlement_preview",
    "subscribe_credit_add",
    "visit_record",
]
