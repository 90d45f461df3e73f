"""Staff operations on points: a manual adjustment of one wallet and a bulk grant from a CSV.

Both post through the ledger with keys fixed before the operator submits (a UUID rendered into
the form), so a double submit posts once. The staff member is recorded as the transaction's actor.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import User
from points.models import Account, Transaction
from points.services.ledger import (
    Posting,
    account_for_user,
    account_issuance,
    account_sink,
    ledger_post,
    ledger_post_batch,
)

PHONE_RE = re.compile(r"^1\d{10}$")
BULK_GRANT_MAX_ROWS = 20000
BULK_GRANT_MAX_POINTS = 1_000_000


def user_resolve(ref: str) -> User | None:
    """A user by mainland phone number (11 digits starting with 1) or by id; None when unknown or ambiguous."""
    ref = ref.strip()
    if PHONE_RE.match(ref):
        users = list(User.objects.filter(phone=ref)[:2])
        return users[0] if len(users) == 1 else None
    if ref.isdigit() and len(ref) <= 18:
        return User.objects.filter(pk=int(ref)).first()
    return None


def points_adjust(*, user, amount: int, reason: str, actor, key: str) -> Transaction:
    """Add (amount > 0, minted by issuance) or remove (amount < 0, to the sink) points with a reason."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("reason_required", _("A reason is required."), 400)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise ApplicationError("invalid_amount", _("The amount must be a non-zero whole number."), 400)
    wallet = account_for_user(user)
    other = account_issuance() if amount > 0 else account_sink()
    return ledger_post(
        kind=Transaction.Kind.ADMIN_ADJUST,
        key=f"adjust:{key}",
        legs=[(other, -amount), (wallet, amount)],
        memo=reason,
        actor=actor,
        metadata={"reason": reason},
    )


@dataclass
class BulkRow:
    line: int
    ref: str
    points: int


@dataclass
class BulkProblem:
    line: int
    ref: str
    problem: str


@dataclass
class BulkPlan:
    """What a bulk grant would do: rows resolved to users, and the rows it refuses."""

    grants: list[tuple[BulkRow, User]] = field(default_factory=list)
    problems: list[BulkProblem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.points for row, _user in self.grants)


def bulk_grant_parse(text: str) -> tuple[list[BulkRow], list[BulkProblem]]:
    """CSV lines `<phone or user id>,<points>`; a first line that is a header is skipped."""
    rows, problems = [], []
    for line, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue
        ref = cells[0].lstrip("\ufeff")
        if line == 1 and len(cells) >= 2 and not cells[1].lstrip("-").isdigit():
            continue  # header
        if len(cells) < 2 or not cells[1].isdigit() or not 0 < int(cells[1]) <= BULK_GRANT_MAX_POINTS:
            problems.append(BulkProblem(line, ref, _("points must be a whole number from 1 to 1000000")))
            continue
        rows.append(BulkRow(line, ref, int(cells[1])))
        if len(rows) > BULK_GRANT_MAX_ROWS:
            raise ApplicationError(
                "too_many_rows", _("At most %(max)d rows per upload.") % {"max": BULK_GRANT_MAX_ROWS}, 400
            )
    return rows, problems


def bulk_grant_plan(*, rows: list[BulkRow]) -> BulkPlan:
    """Resolve rows to users; unknown, ambiguous and repeated users are reported, not granted."""
    phones = {row.ref for row in rows if PHONE_RE.match(row.ref)}
    ids = {int(row.ref) for row in rows if row.ref.isdigit() and row.ref not in phones and len(row.ref) <= 18}
    by_phone: dict[str, list[User]] = {}
    for user in User.objects.filter(phone__in=phones):
        by_phone.setdefault(user.phone, []).append(user)
    by_id = User.objects.in_bulk(ids)

    plan = BulkPlan()
    seen: set[int] = set()
    for row in rows:
        if row.ref in phones:
            matches = by_phone.get(row.ref, [])
            user = matches[0] if len(matches) == 1 else None
        else:
            user = by_id.get(int(row.ref)) if row.ref.isdigit() and len(row.ref) <= 18 else None
        if user is None:
            plan.problems.append(BulkProblem(row.line, row.ref, _("no such user (or several share this phone)")))
        elif user.pk in seen:
            plan.problems.append(BulkProblem(row.line, row.ref, _("this user is already in an earlier row")))
        else:
            seen.add(user.pk)
            plan.grants.append((row, user))
    return plan


def _wallets_for(user_ids: list[int]) -> dict[int, Account]:
    """Wallets of many users in two statements (account_for_user, in bulk: same kind and code)."""
    Account.objects.bulk_create(
        [Account(kind=Account.Kind.USER, code=f"user:{pk}", user_id=pk) for pk in user_ids], ignore_conflicts=True
    )
    return {a.user_id: a for a in Account.objects.filter(user_id__in=user_ids)}


@dataclass
class BulkResult:
    posted: int
    already_posted: int
    problems: list[BulkProblem]


def points_bulk_grant(*, rows: list[BulkRow], reason: str, actor, batch_id: str) -> BulkResult:
    """Grant points to many users at once (one ledger transaction each, keys bulk:<batch>:<user id>)."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("reason_required", _("A reason is required."), 400)
    plan = bulk_grant_plan(rows=rows)
    if not plan.grants:
        return BulkResult(posted=0, already_posted=0, problems=plan.problems)
    with transaction.atomic():
        issuance = account_issuance()
        wallets = _wallets_for([user.pk for _row, user in plan.grants])
        postings = [
            Posting(
                key=f"bulk:{batch_id}:{user.pk}",
                legs=[(issuance, -row.points), (wallets[user.pk], row.points)],
                memo=reason,
                metadata={"batch": str(batch_id), "reason": reason},
            )
            for row, user in plan.grants
        ]
        posted = ledger_post_batch(kind=Transaction.Kind.BULK_GRANT, postings=postings, actor=actor)
    return BulkResult(posted=posted, already_posted=len(postings) - posted, problems=plan.problems)
