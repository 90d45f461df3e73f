"""The ledger: the only code that changes a balance.

A posting locks its accounts in id order (so two postings never deadlock on each other), checks
that no account but issuance goes below zero, writes the entries and the new balances in one
database transaction, and is idempotent on its key: posting a key again returns the first
transaction and moves nothing. With expiry on, credits to a wallet form lots and debits consume
the soonest-expiring lots first (see points.services.expiry).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.clock import local_midnight, now, site_zone
from core.db import fetch_rows, insert_rows, update_rows
from core.exceptions import ApplicationError
from points.models import Account, Entry, Lot, LotUse, Transaction

Leg = tuple[Account | int, int]  # an account, or its id


@dataclass
class Posting:
    """One transaction of a batch."""

    key: str
    legs: list[Leg]
    memo: str = ""
    metadata: dict = field(default_factory=dict)


# -- accounts -----------------------------------------------------------------------------------


def account_for_user(user) -> Account:
    account, _ = Account.objects.get_or_create(
        user=user, defaults={"kind": Account.Kind.USER, "code": f"user:{user.pk}"}
    )
    return account


def system_account(code: str, kind: str) -> Account:
    account, _ = Account.objects.get_or_create(code=code, defaults={"kind": kind})
    if account.kind != kind:
        raise ValueError(f"account {code} is a {account.kind}, not a {kind}")
    return account


def account_issuance() -> Account:
    return system_account("issuance", Account.Kind.ISSUANCE)


SINK_SHARDS = 16


def account_sink(*, shard_of: int | None = None) -> Account:
    """Where spent points go. Redemptions pass the user's id and spread over SINK_SHARDS accounts
    ("sink", "sink:1" ... "sink:15"): every posting locks its accounts' rows to commit, and one sink
    row for the whole mall made every redemption wait for the one before it."""
    shard = (shard_of or 0) % SINK_SHARDS
    return system_account("sink" if shard == 0 else f"sink:{shard}", Account.Kind.SINK)


def account_expired() -> Account:
    return system_account("expired", Account.Kind.SINK)


def account_pool(round_id: int) -> Account:
    return system_account(f"pool:round:{round_id}", Account.Kind.POOL)


def account_escrow(group_id: int) -> Account:
    return system_account(f"escrow:group:{group_id}", Account.Kind.ESCROW)


# -- validation ---------------------------------------------------------------------------------


def _check_legs(legs: list[Leg]) -> None:
    if len(legs) < 2:
        raise ValueError("a transaction needs at least two legs")
    if any(not isinstance(amount, int) or isinstance(amount, bool) or amount == 0 for _, amount in legs):
        raise ValueError("leg amounts are non-zero integers")
    if sum(amount for _, amount in legs) != 0:
        raise ValueError("legs must sum to zero")
    if len({_pk(account) for account, _ in legs}) != len(legs):
        raise ValueError("one leg per account")


def insufficient_points() -> ApplicationError:
    return ApplicationError("insufficient_points", _("Not enough points."), 400)


def _same_or_conflict(existing: Transaction, kind: str, legs: list[Leg]) -> Transaction:
    """A key posted again returns the first transaction, unless it is being reused for something else."""
    posted = sorted(existing.entries.values_list("account_id", "amount"))
    if existing.kind != kind or posted != sorted((_pk(account), amount) for account, amount in legs):
        raise ApplicationError(
            "idempotency_key_conflict", _("This request key was already used for a different operation."), 409
        )
    return existing


# -- posting ------------------------------------------------------------------------------------


def ledger_post(
    *,
    kind: str,
    key: str,
    legs: list[Leg],
    memo: str = "",
    actor=None,
    metadata: dict | None = None,
    refund_of: Transaction | None = None,
    _expire_lot: Lot | None = None,
) -> Transaction:
    """Post one balanced transaction, or return the one already posted under `key`."""
    _check_legs(legs)
    with transaction.atomic():
        existing = Transaction.objects.filter(key=key).first()
        if existing is not None:
            return _same_or_conflict(existing, kind, legs)
        locked = _lock_balances(_pk(account) for account, _ in legs)
        # Another posting of this key may have committed while we waited for the locks.
        existing = Transaction.objects.filter(key=key).first()
        if existing is not None:
            return _same_or_conflict(existing, kind, legs)

        new_balances = {}
        for account, amount in legs:
            pk = _pk(account)
            balance, account_kind = locked[pk]
            if balance + amount < 0 and account_kind != Account.Kind.ISSUANCE:
                raise insufficient_points()
            new_balances[pk] = balance + amount

        try:
            with transaction.atomic():
                txn = Transaction.objects.create(
                    kind=kind, key=key, memo=memo[:200], actor=actor, metadata=metadata or {}, refund_of=refund_of
                )
        except IntegrityError:
            # A posting on other accounts took the key first.
            return _same_or_conflict(Transaction.objects.get(key=key), kind, legs)

        # Set-based, so a transaction of many legs (a settlement batch) costs a few statements.
        rows = [(txn.pk, _pk(account), amount, new_balances[_pk(account)], txn.created_at) for account, amount in legs]
        entry_ids = insert_rows(
            Entry,
            ["account_id", "amount", "balance_after"],
            [row[1:4] for row in rows],
            same={"transaction_id": txn.pk, "created_at": txn.created_at},
            returning="id",
        )
        update_rows(Account, ["balance"], list(new_balances.items()))
        for account, _amount in legs:
            if isinstance(account, Account):
                account.balance = new_balances[account.pk]
        if settings.POINTS_EXPIRY_ENABLED:
            _track_lots(_entries_with_accounts(entry_ids, rows, locked), refund_of=refund_of, expire_lot=_expire_lot)
    return txn


def _entries_with_accounts(entry_ids, rows, locked) -> list[tuple[Account, Entry]]:
    """(account, entry) pairs for lot tracking, from the ids and rows just written."""
    pairs = []
    for entry_id, (txn_id, pk, amount, balance_after, _at) in zip(entry_ids, rows, strict=True):
        account = Account(pk=pk, kind=locked[pk][1], balance=balance_after)
        pairs.append(
            (
                account,
                Entry(pk=entry_id, transaction_id=txn_id, account_id=pk, amount=amount, balance_after=balance_after),
            )
        )
    return pairs


def ledger_post_batch(*, kind: str, postings: list[Posting], actor=None) -> int:
    """Post many transactions in one database transaction with a few set-based statements.

    Keys already posted are skipped (a re-run after a crash finishes the rest). Returns how many
    were posted now. Used by settlement and bulk grants, where a statement per row would be too
    slow; legs may name accounts by id, so a batch needs no Account instance per wallet.
    """
    for posting in postings:
        _check_legs(posting.legs)
    with transaction.atomic():
        keys = [posting.key for posting in postings]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate keys in one batch")
        done = set(Transaction.objects.filter(key__in=keys).values_list("key", flat=True))
        todo = [posting for posting in postings if posting.key not in done]
        if not todo:
            return 0
        locked = _lock_balances(_pk(account) for posting in todo for account, _ in posting.legs)
        balances = {pk: balance for pk, (balance, _kind) in locked.items()}
        created_at = timezone.now()
        actor_id = getattr(actor, "pk", actor)
        txn_ids = insert_rows(
            Transaction,
            ["kind", "key", "memo", "actor_id", "metadata", "refund_of_id", "created_at"],
            [(kind, p.key, p.memo[:200], actor_id, p.metadata, None, created_at) for p in todo],
            returning="id",
        )
        rows = []
        for txn_id, posting in zip(txn_ids, todo, strict=True):
            for account, amount in posting.legs:
                pk = _pk(account)
                balances[pk] += amount
                if balances[pk] < 0 and locked[pk][1] != Account.Kind.ISSUANCE:
                    raise insufficient_points()
                rows.append((txn_id, pk, amount, balances[pk], created_at))
        entry_ids = insert_rows(
            Entry, ["transaction_id", "account_id", "amount", "balance_after", "created_at"], rows, returning="id"
        )
        update_rows(Account, ["balance"], [(pk, b) for pk, b in balances.items() if b != locked[pk][0]])
        if settings.POINTS_EXPIRY_ENABLED:
            _track_lots(_entries_with_accounts(entry_ids, rows, locked), refund_of=None, expire_lot=None)
    return len(todo)


def _pk(account) -> int:
    return account if isinstance(account, int) else account.pk


def _lock_balances(account_ids) -> dict[int, tuple[int, str]]:
    """Lock rows in id order: every posting takes locks in the same order, so none deadlock.
    Returns account id -> (balance, kind), without building an instance per account."""
    ids = sorted(set(account_ids))
    rows = fetch_rows(Account, _LOCK_BALANCES, [ids])
    if rows is None:
        rows = (
            Account.objects.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk", "balance", "kind")
        )
    return {pk: (balance, kind) for pk, balance, kind in rows}


_LOCK_BALANCES = "SELECT id, balance, kind FROM points_account WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE"


# -- lots ---------------------------------------------------------------------------------------


def lot_expiry_for(credited_at: dt.datetime) -> dt.datetime:
    """When points credited at `credited_at` expire, by POINTS_EXPIRY_RULE."""
    rule = settings.POINTS_EXPIRY_RULE
    if rule == "end_of_next_year":
        local = credited_at.astimezone(site_zone())
        return local_midnight(dt.date(local.year + 2, 1, 1))
    return credited_at + dt.timedelta(days=int(rule))


def _track_lots(account_entries, *, refund_of: Transaction | None, expire_lot: Lot | None) -> None:
    """Credits to wallets form lots (a refund restores the lots its debit took); debits use lots up."""
    new_lots = []
    for account, entry in account_entries:
        if account.kind != Account.Kind.USER:
            continue
        if entry.amount < 0:
            _consume_lots(account, -entry.amount, entry, only=expire_lot)
        elif refund_of is not None:
            left = _restore_lots(account, entry.amount, entry, refund_of)
            if left:
                new_lots.append(
                    Lot(account=account, entry=entry, amount=left, remaining=left, expires_at=lot_expiry_for(now()))
                )
        else:
            amount = entry.amount
            new_lots.append(
                Lot(account=account, entry=entry, amount=amount, remaining=amount, expires_at=lot_expiry_for(now()))
            )
    if new_lots:
        Lot.objects.bulk_create(new_lots, batch_size=2000)


def _consume_lots(account: Account, amount: int, entry: Entry, *, only: Lot | None) -> None:
    """Take `amount` from the soonest-expiring lots. Points earned while expiry was off have no
    lot and never expire; they are used last."""
    lots = Lot.objects.filter(account=account, remaining__gt=0).order_by("expires_at", "id")
    if only is not None:
        lots = lots.filter(pk=only.pk)
    uses, changed = [], []
    for lot in lots:
        if amount == 0:
            break
        take = min(lot.remaining, amount)
        lot.remaining -= take
        amount -= take
        uses.append(LotUse(lot=lot, entry=entry, amount=take))
        changed.append(lot)
    Lot.objects.bulk_update(changed, ["remaining"])
    LotUse.objects.bulk_create(uses)


def _restore_lots(account: Account, amount: int, entry: Entry, refund_of: Transaction) -> int:
    """Give back to the lots that `refund_of` took from, net of earlier refunds. Returns what is left
    over (the part of the debit that came from lot-less points, or more than was taken)."""
    net = defaultdict(int)
    for lot_id, used in LotUse.objects.filter(
        entry__account=account, entry__transaction=refund_of, amount__gt=0
    ).values_list("lot_id", "amount"):
        net[lot_id] += used
    for lot_id, restored in LotUse.objects.filter(
        entry__account=account, entry__transaction__refund_of=refund_of, amount__lt=0
    ).values_list("lot_id", "amount"):
        net[lot_id] += restored
    uses = []
    for lot_id in sorted(net):
        give = min(net[lot_id], amount)
        if give <= 0:
            continue
        Lot.objects.filter(pk=lot_id).update(remaining=F("remaining") + give)
        uses.append(LotUse(lot_id=lot_id, entry=entry, amount=-give))
        amount -= give
    LotUse.objects.bulk_create(uses)
    return amount
