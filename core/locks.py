"""The one lock order (docs/concurrency.md), as helpers that make it hard to break.

Every transaction that takes row locks takes them in this order:

1. MEMBER: the acting member's per-user lock, the `core_user` row (FOR NO KEY UPDATE, so rows
   that merely reference the user can still be inserted meanwhile); where two members are
   involved (binding, helping, joining a friend's group), both, in id order, in one call.
2. SHARED: the shared object the action works on (round, group, task, order, referral...).
3. ACCOUNTS: ledger accounts, in ascending id across the whole transaction (the ledger takes
   these; a service that posts several times locks the union first with `ledger_lock`).
4. Stock and counters by conditional UPDATE, last (they hold their row only to commit).

Every check of a per-user invariant (limits, new-users-only, already joined or helped, binding
and cycles, a phone counted once) runs under (1). Rows that belong to one member alone (their
growth row, their referral row) are locked only under that member's lock, so they never wait.

Each helper records what the transaction holds (a few ids in memory). With `LOCK_ORDER_CHECK`
on (the default in DEBUG, hence in the test suite) a path that takes a lock out of order raises
`LockOrderError` at once, so a new path that could deadlock fails its tests instead of waiting
for production; off, it is logged as an error.

`retry_on_conflict` is the safety net at the service boundary: a deadlock or serialization
failure reruns the transaction a bounded number of times, then answers 503 `busy`.
"""

import contextlib
import contextvars
import functools
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, connection, transaction

try:  # the driver's own errors, raised bare by core.db's binary cursors
    from psycopg import Error as DatabaseErrorOfDriver
except ImportError:  # pragma: no cover - SQLite only
    DatabaseErrorOfDriver = OperationalError
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

MEMBER, SHARED, ACCOUNTS = 1, 2, 3
RETRY_ATTEMPTS = 3
RETRY_AFTER_SECONDS = 1


class LockOrderError(RuntimeError):
    """A path took a lock out of the order in docs/concurrency.md (raised only with the check on)."""


@dataclass
class _Trail:
    owner_sid: str | None  # the savepoint of the owning block (inside a test case's transaction)
    ended: list  # emptied when the owning transaction commits: see _trail
    members: set = field(default_factory=set)
    shared: bool = False
    accounts: set = field(default_factory=set)


def _trail() -> _Trail | None:
    """What the current transaction has locked so far (a few ids in memory); None outside one.

    A transaction is recognised by a marker callback registered on it (Django drops a
    transaction's callbacks when it commits or rolls back) and, inside a test case's own
    transaction (Django marks those blocks), by the savepoint of the code's outermost block."""
    if not connection.in_atomic_block:
        return None
    blocks = connection.atomic_blocks
    owner_index = next((i for i, block in enumerate(blocks) if not getattr(block, "_from_testcase", False)), None)
    if owner_index is None:
        return None
    owner_sid = connection.savepoint_ids[owner_index - 1] if owner_index > 0 else None
    trail = getattr(connection, "_lock_trail", None)
    if (
        trail is None
        or trail.owner_sid != owner_sid
        or not any(callback is trail.ended[0] for _sids, callback, *_rest in connection.run_on_commit)
    ):
        marker = _marker()
        trail = _Trail(owner_sid=owner_sid, ended=[marker])
        connection.on_commit(marker)
        connection._lock_trail = trail
    return trail


def _marker():
    def transaction_marker() -> None:  # runs at commit, does nothing: its presence is the point
        return None

    return transaction_marker


_alone = contextvars.ContextVar("lock_order_alone", default=False)


@contextlib.contextmanager
def writing_alone():
    """For a one-process script that runs many services in one transaction with no other writer
    (seed_demo): the order cannot be broken against anyone, so it is not checked."""
    token = _alone.set(True)
    try:
        yield
    finally:
        _alone.reset(token)


def _refuse(message: str) -> None:
    if _alone.get():
        return
    if settings.LOCK_ORDER_CHECK:
        raise LockOrderError(f"lock order (docs/concurrency.md): {message}")
    logger.error("lock order (docs/concurrency.md): %s", message)


def _ids(objects) -> list[int]:
    return sorted({obj if isinstance(obj, int) else obj.pk for obj in objects if obj is not None})


def _members_out_of_order(trail: _Trail | None, ids: list[int]) -> str:
    """Why locking the members `ids` now would break the order ("" when it would not): a member
    not yet held must come before any shared object or account, and after no higher member."""
    new = [pk for pk in ids if trail is not None and pk not in trail.members]
    if not new:
        return ""
    if trail.shared or trail.accounts:
        return f"member {new} locked after a shared object or an account"
    if trail.members and min(new) < max(trail.members):
        return f"member {new} locked after member {max(trail.members)}: lock both in one call"
    return ""


def lock_members(*users) -> None:
    """Take the per-user lock of each member (users or ids), in id order, in one statement.
    Locks already held are taken again at no cost (see _members_out_of_order for the rule)."""
    ids = _ids(users)
    if not ids:
        return
    trail = _trail()
    problem = _members_out_of_order(trail, ids)
    if problem:
        _refuse(problem)
    if trail is not None:
        trail.members.update(ids)
    from core.db import fetch_rows
    from core.models import User

    # Plain SQL on PostgreSQL: every write path starts here, and the ORM took longer to build the
    # statement than the database took to run it (docs/benchmarks.md). The same rows either way.
    if fetch_rows(User, _LOCK_MEMBERS, [ids]) is None:
        list(User.objects.filter(pk__in=ids).order_by("pk").select_for_update(no_key=True).values_list("pk", flat=True))


_LOCK_MEMBERS = "SELECT id FROM core_user WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE"


def can_lock_members(*users) -> bool:
    """Whether `lock_members(*users)` would keep the order."""
    return not _members_out_of_order(_trail(), _ids(users))


def lock_shared(queryset, *, exclusive: bool = False):
    """Lock the shared object(s) of `queryset` (level 2), ordered by primary key. Returns the rows.
    Only the queryset's own rows are locked, never those its select_related joins read (a reward's
    rule, a task's campaign: every path reads them, and locking them queued unrelated paths).

    NO KEY by default: it excludes every other lock_shared of the row, but not the key-share lock
    that inserting a row which refers to it takes (a group of a locked offer, a help of a locked
    task). `exclusive` waits for those key-share holders too (a settlement waits for the check-ins
    in flight on its round)."""
    note_shared()
    return list(queryset.order_by("pk").select_for_update(of=("self",), no_key=not exclusive))


def lock_one(queryset, *, exclusive: bool = False):
    """`lock_shared` for one object: the locked row, or None when there is none."""
    rows = lock_shared(queryset, exclusive=exclusive)
    return rows[0] if rows else None


def note_shared() -> None:
    """Record that the transaction is about to lock a shared object (a path that locks one with
    a conditional UPDATE or its own query calls this first)."""
    trail = _trail()
    if trail is not None:
        if trail.accounts:
            _refuse("a shared object locked after a ledger account")
        trail.shared = True


def require_member(user) -> None:
    """A check of `user`'s per-user invariant (a limit, new-users-only...) is about to run: it must
    run under the member's lock, or two requests at once would both pass it."""
    trail = _trail()
    if trail is not None and (user if isinstance(user, int) else user.pk) not in trail.members:
        _refuse(f"a per-user check of member {user if isinstance(user, int) else user.pk} without its member lock")


def note_accounts(account_ids) -> None:
    """Record ledger account locks (the ledger calls this before it locks): ascending id across the
    transaction, so two transactions that post several times never wait on each other in a circle."""
    trail = _trail()
    if trail is None:
        return
    new = [pk for pk in sorted(set(account_ids)) if pk not in trail.accounts]
    if new and trail.accounts and min(new) < max(trail.accounts):
        _refuse(
            f"account {min(new)} locked after account {max(trail.accounts)}: lock the accounts of every "
            "posting first (points.services.ledger.ledger_lock)"
        )
    trail.accounts.update(new)


# -- the safety net -----------------------------------------------------------------------------


CONFLICT_SQLSTATES = ("40P01", "40001")  # deadlock_detected, serialization_failure


def is_conflict(exc: BaseException) -> bool:
    """A deadlock or a serialization failure: the transaction lost a race and may simply be rerun.
    Django wraps the driver's error (the cause); core.db's binary cursors raise it bare."""
    return any(getattr(error, "sqlstate", None) in CONFLICT_SQLSTATES for error in (exc, exc.__cause__))


def busy() -> ApplicationError:
    return ApplicationError("busy", _("The service is busy; please try again in a moment."), 503)


def retry_on_conflict(func):
    """Run `func` (a service that opens its own transaction) again when its transaction is rolled
    back by a deadlock or serialization failure, up to RETRY_ATTEMPTS times, then answer 503 busy.

    Only an outermost call retries: inside someone else's transaction the whole transaction is lost,
    so the error goes up to the boundary that opened it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
            return func(*args, **kwargs)
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except (OperationalError, DatabaseErrorOfDriver) as exc:
                if not is_conflict(exc):
                    raise
                logger.warning("%s lost a lock race (attempt %s): %s", func.__qualname__, attempt, exc)
                if attempt == RETRY_ATTEMPTS:
                    raise busy() from exc
                # Rerun at once, no sleep: PostgreSQL aborted only this transaction, so the rerun
                # queues behind the winner's locks and proceeds when it commits.
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def atomic_with_retry(func):
    """`transaction.atomic` inside `retry_on_conflict`: the usual decorator of a write service."""
    return retry_on_conflict(transaction.atomic(func))
