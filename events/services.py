"""Recording growth events from services.

    from events.services import event_record
    event_record(user=user, kind="checked_in", ref=f"checkin:{checkin.pk}")

`event_record` is one INSERT in the caller's transaction (no lock, no read, no signal): if the
business action rolls back, so does its event. Batch jobs use `events_record_bulk`, one
set-based INSERT per batch (core.db.insert_rows).
"""

import datetime as dt
from dataclasses import dataclass

from core.clock import now
from core.db import insert_rows
from events.models import Event

KINDS = frozenset(Event.Kind.values)


def _user_id(user) -> int:
    return user if isinstance(user, int) else user.pk


_COLUMNS = ["user_id", "kind", "at", "channel", "amount", "ref"]
# For statements that write their events themselves (a check-in's, a settlement batch's), followed
# by a SELECT of these columns in this order.
EVENT_INSERT_HEAD = f"INSERT INTO {Event._meta.db_table} ({', '.join(_COLUMNS)})"


def _event_row(*, user, kind: str, at, channel: str, amount: int, ref: str) -> tuple:
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")  # a caller bug, not user input
    return (_user_id(user), kind, at or now(), (channel or "")[:32], int(amount or 0), (ref or "")[:64])


def event_record(*, user, kind: str, at=None, channel: str = "", amount: int = 0, ref: str = "") -> None:
    """Record one event for `user` (a User or a user id) in the caller's transaction."""
    row = _event_row(user=user, kind=kind, at=at, channel=channel, amount=amount, ref=ref)
    Event(**dict(zip(_COLUMNS, row, strict=True))).save(force_insert=True)


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
    defaults = {"at": None, "channel": "", "amount": 0, "ref": ""}
    rows = [_event_row(**{**defaults, **(spec if isinstance(spec, dict) else spec.__dict__)}) for spec in events]
    insert_rows(Event, _COLUMNS, rows)
    return len(rows)
