"""Recording growth events from services.

    from analytics.events import event_record
    event_record(user=user, kind="checked_in", ref=f"checkin:{checkin.pk}")

`event_record` is one INSERT in the caller's transaction (no lock, no read, no signal): if the
business action rolls back, so does its event. Batch jobs use `events_record_bulk`, one
`bulk_create` per batch.
"""

import datetime as dt
from dataclasses import dataclass

from core.clock import now

KINDS = frozenset(
    {"registered", "phone_verified", "signed_in", "joined", "checked_in", "won", "redeemed", "invited", "helped"}
)


def _user_id(user) -> int:
    return user if isinstance(user, int) else user.pk


def _event(*, user, kind: str, at, channel: str, amount: int, ref: str):
    from analytics.models import Event

    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")  # a caller bug, not user input
    return Event(
        user_id=_user_id(user),
        kind=kind,
        at=at or now(),
        channel=(channel or "")[:32],
        amount=int(amount or 0),
        ref=(ref or "")[:64],
    )


def event_record(*, user, kind: str, at=None, channel: str = "", amount: int = 0, ref: str = "") -> None:
    """Record one event for `user` (a User or a user id) in the caller's transaction."""
    _event(user=user, kind=kind, at=at, channel=channel, amount=amount, ref=ref).save(force_insert=True)


@dataclass(frozen=True)
class EventSpec:
    user: object
    kind: str
    at: dt.datetime | None = None
    channel: str = ""
    amount: int = 0
    ref: str = ""


def events_record_bulk(events) -> int:
    """Record many events with one INSERT. `events` are EventSpec or dicts of event_record's arguments."""
    from analytics.models import Event

    rows = []
    for spec in events:
        fields = spec if isinstance(spec, dict) else spec.__dict__
        rows.append(_event(**{"at": None, "channel": "", "amount": 0, "ref": "", **fields}))
    if rows:
        Event.objects.bulk_create(rows)
    return len(rows)
