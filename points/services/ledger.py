"""The ledger: the only code that changes a balance.

A posting locks its accounts in id order (so two postings never deadlock on each other), checks
that no account but issuance goes below zero, writes the entries and the new balances in one
database transaction, and is idempotent on its key: posting a key again returns the first
transaction and moves nothing. Credits to a wallet form lots and debits consume the
soonest-expiring lots first, whether expiry is on or off (see the lots section below and
points.services.expiry).
"""

import datetime as dt
from bisect import insort
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.clock import local_midnight, now, site_zone
from core.db import fetch_prepared, fetch_rows, insert_rows, on_postgresql, update_rows
from core.exceptions import ApplicationError
from core.locks import note_accounts
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
    return _of_kind(account, kind)


def _of_kind(account: Account, kind: str) -> Account:
    """`account`, which must be of `kind`: a system account's code names one kind of account."""
    if account.kind != kind:
        raise ValueError(f"account {account.code} is a {account.kind}, not a {kind}")
    return account


SHARDS = 16


def account_issuance(*, shard_of: int | None = None) -> Account:
    """Where points come from. A path that locks it for a member's whole transaction on every
    request passes the member's id and spreads over SHARDS accounts ("issuance", "issuance:1" ...):
    a lottery locked the one issuance row for every draw of a wheel with points prizes, so every
    draw of the site waited for the one before it. Every report reads issuance by kind."""
    return system_account(*issuance_named(shard_of=shard_of))


def issuance_named(*, shard_of: int | None = None) -> tuple[str, str]:
    """(code, kind) of the issuance shard for `shard_of`, for `accounts_with_wallet`."""
    return (_shard_code("issuance", shard_of), Account.Kind.ISSUANCE)


def _shard_code(base: str, shard_of: int | None) -> str:
    """`base` for shard 0 (and no `shard_of`), else `base:<n>`, n = shard_of mod SHARDS."""
    shard = (shard_of or 0) % SHARDS
    return base if shard == 0 else f"{base}:{shard}"


def account_sink(*, shard_of: int | None = None) -> Account:
    """Where spent points go. Redemptions pass the user's id and spread over SHARDS accounts
    ("sink", "sink:1" ... "sink:15"): every posting locks its accounts' rows to commit, and one sink
    row for the whole mall made every redemption wait for the one before it."""
    return system_account(*sink_named(shard_of=shard_of))


def sink_named(*, shard_of: int | None = None) -> tuple[str, str]:
    """(code, kind) of the sink shard for `shard_of`, for `accounts_with_wallet`."""
    return (_shard_code("sink", shard_of), Account.Kind.SINK)


def accounts_with_wallet(user, *system: tuple[str, str]) -> list[Account]:
    """The user's wallet, then the system accounts named by `system` ((code, kind) pairs), read in
    one query (a redemption and a draw need two or three, and each was a query of its own); one
    that does not exist yet is created as `account_for_user` and `system_account` create it."""
    codes = [code for code, _kind in system]
    found = {}
    for account in Account.objects.filter(Q(user=user) | Q(code__in=codes)):
        found[account.code if account.user_id is None else None] = account
    wallet = found.get(None) or account_for_user(user)
    accounts = [wallet]
    for code, kind in system:
        account = found.get(code)
        accounts.append(system_account(code, kind) if account is None else _of_kind(account, kind))
    return accounts


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
    if on_postgresql(Transaction) and transaction.get_connection(router.db_for_write(Transaction)).in_atomic_block:
        # Inside the caller's transaction no savepoint is opened (it was two round trips of every
        # posting): a refusal is raised before anything is written, and the writes are one
        # statement, so there is never a half-written posting to roll back to.
        return _ledger_post(kind, key, legs, memo, actor, metadata, refund_of, _expire_lot)
    with transaction.atomic():
        return _ledger_post(kind, key, legs, memo, actor, metadata, refund_of, _expire_lot)


def _ledger_post(kind, key, legs, memo, actor, metadata, refund_of, expire_lot) -> Transaction:
    # Lock first, then let the unique key decide: a replay, or another posting of this key that
    # committed while we waited for the locks, inserts nothing and returns the first posting.
    # (A key is read before the insert only on the refusal path, where a replay must still win.)
    locked = _lock_balances(_pk(account) for account, _ in legs)
    new_balances = {}
    short = False
    for account, amount in legs:
        pk = _pk(account)
        balance, account_kind = locked[pk]
        short = short or (balance + amount < 0 and account_kind != Account.Kind.ISSUANCE)
        new_balances[pk] = balance + amount
    if short:
        existing = Transaction.objects.filter(key=key).first()
        if existing is not None:
            return _same_or_conflict(existing, kind, legs)
        raise insufficient_points()

    txn = Transaction(
        kind=kind,
        key=key,
        memo=memo[:200],
        actor=actor,
        metadata=metadata or {},
        refund_of=refund_of,
        created_at=timezone.now(),
    )
    rows = [(_pk(account), amount, new_balances[_pk(account)]) for account, amount in legs]
    # A plain posting's lots go in its own statement; a refund's (which gives back to the lots its
    # debit took) and an expiry's (one lot alone) are tracked step by step after it.
    lots_inside = on_postgresql(Transaction) and refund_of is None and expire_lot is None
    if lots_inside:
        entry_ids = _posting_write_statement(txn, rows, wallets=_wallet_legs(rows, locked))
    elif on_postgresql(Transaction):
        entry_ids = _posting_write_statement(txn, rows)
    else:
        entry_ids = _posting_write_portable(txn, rows)
    if entry_ids is None:  # the key was taken: by a replay, or a posting on other accounts
        return _same_or_conflict(Transaction.objects.get(key=key), kind, legs)
    for account, _amount in legs:
        if isinstance(account, Account):
            account.balance = new_balances[account.pk]
    if not lots_inside:
        rows = [(txn.pk, *row) for row in rows]
        _track_lots(_entries_with_accounts(entry_ids, rows, locked), refund_of=refund_of, expire_lot=expire_lot)
    return txn


def _wallet_legs(rows, locked) -> dict[str, list]:
    """The wallet legs of a posting as the statement's lot parameters: which legs are wallets (a
    credit forms a lot), and the debited wallets with what they need from their open lots. (One
    leg per account, so no lot is both made and used here.)"""
    wallets = {"wallets": [], "debited": [], "needs": []}
    for pk, amount, _balance in rows:
        wallet = locked[pk][1] == Account.Kind.USER
        wallets["wallets"].append(wallet)
        if wallet and amount < 0:
            wallets["debited"].append(pk)
            wallets["needs"].append(-amount)
    return wallets


# PostgreSQL: a posting's transaction row, its entries and its accounts' new balances in one
# statement (they were three statements, two reads of the key and a savepoint: a third of a
# redemption's database round trips). ON CONFLICT on the key makes a second posting of it write
# nothing at all: every other part reads `txn`, which is then empty.
_POSTING_WRITE = """
WITH txn AS (
    INSERT INTO points_transaction (kind, key, memo, actor_id, metadata, refund_of_id, created_at)
    VALUES (%(kind)s, %(key)s, %(memo)s, %(actor)s, %(metadata)s, %(refund_of)s, %(at)s)
    ON CONFLICT (key) DO NOTHING
    RETURNING id
), legs AS (
    SELECT * FROM unnest(%(accounts)s::bigint[], %(amounts)s::bigint[], %(balances)s::bigint[], %(wallets)s::boolean[])
        WITH ORDINALITY AS v(account_id, amount, balance_after, wallet, n)
), entries AS (
    INSERT INTO points_entry (transaction_id, account_id, amount, balance_after, created_at)
    SELECT txn.id, legs.account_id, legs.amount, legs.balance_after, %(at)s FROM txn, legs ORDER BY legs.n
    RETURNING id, account_id
), balances AS (
    UPDATE points_account a SET balance = legs.balance_after FROM txn, legs WHERE a.id = legs.account_id
){lots}
SELECT txn.id, entries.id, entries.account_id FROM txn JOIN entries ON true
"""

# ... and a plain posting's lots in the same statement: a wallet credit forms a lot; a wallet debit
# takes from its open lots, soonest to expire first (those that never expire last, then the older
# lot), as `_consume_lots` does, and records each use. The wallets' rows are locked before this
# statement, and every write of a lot happens under its wallet's lock, so the statement's snapshot
# holds every lot the wallet has. The lots hold the balance (ledger_audit), so they cover the debit.
_POSTING_LOTS = """, new_lots AS (
    INSERT INTO points_lot (account_id, entry_id, amount, remaining, expires_at, created_at)
    SELECT legs.account_id, entries.id, legs.amount, legs.amount, %(expires_at)s, %(at)s
    FROM legs JOIN entries ON entries.account_id = legs.account_id
    WHERE legs.wallet AND legs.amount > 0 ORDER BY legs.n
), needs AS (
    SELECT * FROM unnest(%(debited)s::bigint[], %(needs)s::bigint[]) AS n(account_id, need)
), open_lots AS (
    SELECT id, account_id, remaining,
           SUM(remaining) OVER (
               PARTITION BY account_id ORDER BY expires_at ASC NULLS LAST, id ROWS UNBOUNDED PRECEDING
           ) - remaining AS before
    FROM points_lot
    WHERE account_id = ANY(%(debited)s::bigint[]) AND remaining > 0 AND EXISTS (SELECT FROM txn)
), taken AS (
    SELECT o.id, o.account_id, o.before, LEAST(o.remaining, needs.need - o.before) AS amount
    FROM open_lots o JOIN needs ON needs.account_id = o.account_id WHERE o.before < needs.need
), lots_used AS (
    UPDATE points_lot l SET remaining = l.remaining - taken.amount FROM taken WHERE l.id = taken.id
), uses AS (
    INSERT INTO points_lotuse (lot_id, entry_id, amount)
    SELECT taken.id, entries.id, taken.amount
    FROM taken JOIN entries ON entries.account_id = taken.account_id ORDER BY taken.account_id, taken.before
)"""


def _posting_write_statement(
    txn: Transaction, rows: list[tuple[int, int, int]], *, wallets: dict | None = None
) -> list[int] | None:
    """Write `txn` (setting its pk), its entries (account id, amount, balance after) and the
    balances, and with `wallets` (`_wallet_legs`) the lots too; the entries' ids in the order of
    `rows`, or None when the key was already posted."""
    from psycopg.types.json import Jsonb

    params = {
        "kind": txn.kind,
        "key": txn.key,
        "memo": txn.memo,
        "actor": txn.actor_id,
        "metadata": Jsonb(txn.metadata),
        "refund_of": txn.refund_of_id,
        "at": txn.created_at,
        "accounts": [row[0] for row in rows],
        "amounts": [row[1] for row in rows],
        "balances": [row[2] for row in rows],
    }
    if wallets is not None:
        params.update(wallets, expires_at=_new_lot_expiry())
    else:
        params["wallets"] = [False] * len(rows)  # the lots are tracked after the statement
    sql = _POSTING_WRITE_WITH_LOTS if wallets is not None else _POSTING_WRITE_ALONE
    written = fetch_prepared(Transaction, sql, params)
    if not written:
        return None
    txn.pk = written[0][0]
    txn._state.adding = False
    entry_of = {account_id: entry_id for _txn_id, entry_id, account_id in written}
    return [entry_of[row[0]] for row in rows]


_POSTING_WRITE_ALONE = _POSTING_WRITE.format(lots="")
_POSTING_WRITE_WITH_LOTS = _POSTING_WRITE.format(lots=_POSTING_LOTS)


def _posting_write_portable(txn: Transaction, rows: list[tuple[int, int, int]]) -> list[int] | None:
    """The same writes one by one (other databases; a test holds the two equal)."""
    try:
        with transaction.atomic():
            txn.save(force_insert=True)
    except IntegrityError:
        return None
    entry_ids = insert_rows(
        Entry,
        ["account_id", "amount", "balance_after"],
        rows,
        same={"transaction_id": txn.pk, "created_at": txn.created_at},
        returning="id",
    )
    update_rows(Account, ["balance"], [(pk, balance) for pk, _amount, balance in rows])
    return entry_ids


def _entries_with_accounts(entry_ids, rows, locked) -> list[tuple[int, str, int, int]]:
    """(account id, account kind, entry id, amount) for lot tracking, from the ids and rows just
    written: plain tuples, no model instance per leg."""
    return [
        (pk, locked[pk][1], entry_id, amount)
        for entry_id, (_txn_id, pk, amount, *_rest) in zip(entry_ids, rows, strict=True)
    ]


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
        _track_lots(_entries_with_accounts(entry_ids, rows, locked), refund_of=None, expire_lot=None)
    return len(todo)


def _pk(account) -> int:
    return account if isinstance(account, int) else account.pk


def ledger_lock(*accounts) -> dict[int, int]:
    """Lock, in one go, every account a service is about to post to (accounts or ids; None is
    skipped); returns account id -> its balance, exact while the lock is held. A transaction that
    posts several times calls it first: each posting locks its own accounts in id order, but two
    postings in a row would take the second's lower ids after the first's higher ones
    (docs/concurrency.md, level 3)."""
    locked = _lock_balances(account for account in accounts if account is not None)
    return {pk: balance for pk, (balance, _kind) in locked.items()}


def _lock_balances(account_ids) -> dict[int, tuple[int, str]]:
    """Lock rows in id order: every posting takes locks in the same order, so none deadlock.
    Returns account id -> (balance, kind), without building an instance per account."""
    ids = sorted({_pk(account) for account in account_ids})
    note_accounts(ids)
    rows = fetch_rows(Account, _LOCK_BALANCES, [ids])
    if rows is None:
        rows = (
            Account.objects.filter(pk__in=ids)
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", "balance", "kind")
        )
    return {pk: (balance, kind) for pk, balance, kind in rows}


_LOCK_BALANCES = (
    "SELECT id, balance, kind FROM points_account WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE"
)


# -- lots ---------------------------------------------------------------------------------------
#
# Every wallet's points are in lots, whatever POINTS_EXPIRY_ENABLED says: a credit forms a lot, a
# debit uses up the soonest-expiring lots (those that never expire last), a refund gives back to the
# lots its debit took. So a wallet's lots always hold exactly its balance (ledger_audit checks it),
# and switching expiry off and on again leaves nothing for the nightly job to expire that the
# member no longer has. The setting only dates new lots (never, while it is off) and runs the job.


def lot_expiry_for(credited_at: dt.datetime) -> dt.datetime:
    """When points credited at `credited_at` expire, by POINTS_EXPIRY_RULE."""
    rule = settings.POINTS_EXPIRY_RULE
    if rule == "end_of_next_year":
        local = credited_at.astimezone(site_zone())
        return local_midnight(dt.date(local.year + 2, 1, 1))
    return credited_at + dt.timedelta(days=int(rule))


def _new_lot_expiry() -> dt.datetime | None:
    """The date of a lot credited now, fixed at the credit: by the rule while expiry is on, never
    (None) while it is off. Switching the setting later changes no lot's date."""
    return lot_expiry_for(now()) if settings.POINTS_EXPIRY_ENABLED else None


_NO_DATE = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(eq=False, slots=True)
class _OpenLot:
    """A lot as a posting uses it: read from the database (pk known) or made by this posting."""

    pk: int | None
    expires_at: dt.datetime | None
    remaining: int
    new: bool = False
    seq: int = 0  # a new lot's place among this posting's new lots (it will get a higher id)

    def order(self) -> tuple:
        """Soonest date first, those that never expire last; on the same date the older lot first."""
        return (self.expires_at is None, self.expires_at or _NO_DATE, self.new, self.seq if self.new else self.pk)


def _track_lots(account_entries, *, refund_of: Transaction | None, expire_lot: Lot | None) -> None:
    """Lots for the wallet legs of a posting: `account_entries` are (account id, account kind,
    entry id, amount) of its entries, in order. Set-based whatever the number of legs (a settlement
    batch posts thousands): one read of the debited wallets' open lots, one insert of new lots, one
    update of the lots used or refilled, one insert of uses. `expire_lot`: the debit is that lot's
    expiry and takes from it alone."""
    legs = [(pk, entry_id, amount) for pk, kind, entry_id, amount in account_entries if kind == Account.Kind.USER]
    if not legs:
        return
    needs: dict[int, int] = defaultdict(int)
    for pk, _entry_id, amount in legs:
        if amount < 0:
            needs[pk] -= amount
    open_lots = {
        pk: [_OpenLot(lot_pk, expires_at, remaining) for lot_pk, expires_at, remaining in rows]
        for pk, rows in (_open_lots(needs, only=expire_lot) if needs else {}).items()
    }
    expires_at = _new_lot_expiry()
    new_lots: list[tuple[int, int, int, _OpenLot | None]] = []  # account id, entry id, amount, lot
    uses: list[tuple[_OpenLot, int, int]] = []  # lot, entry id, amount taken (negative: given back)
    for pk, entry_id, amount in legs:
        if amount < 0:
            _consume_lots(open_lots.get(pk, []), -amount, entry_id, uses)
            continue
        if refund_of is not None:
            amount = _restore_lots(pk, amount, entry_id, refund_of, uses)
        if amount == 0:
            continue
        lot = None
        if pk in needs:  # debited later in this batch: the debit may use this lot
            lot = _OpenLot(None, expires_at, amount, new=True, seq=len(new_lots))
            insort(open_lots.setdefault(pk, []), lot, key=_OpenLot.order)
        new_lots.append((pk, entry_id, amount, lot))
    _write_lots(new_lots, expires_at, uses)


def _consume_lots(lots: list[_OpenLot], amount: int, entry_id: int, uses: list) -> None:
    """Take `amount` from `lots` (a wallet's open lots, in the order they are used), soonest first.
    The lots hold the wallet's balance, so they cover any debit the ledger allows."""
    while amount and lots:
        lot = lots[0]
        take = min(lot.remaining, amount)
        lot.remaining -= take
        amount -= take
        uses.append((lot, entry_id, take))
        if lot.remaining == 0:
            del lots[0]


def _restore_lots(account_id: int, amount: int, entry_id: int, refund_of: Transaction, uses: list) -> int:
    """Give back to the lots that `refund_of` took from the wallet, net of earlier refunds, with
    their own dates (one that has passed expires at the next run). Returns what is left over (more
    than the debit took), which forms a new lot."""
    net: dict[int, int] = defaultdict(int)
    lots: dict[int, tuple[dt.datetime | None, int]] = {}
    rows = LotUse.objects.filter(entry__account_id=account_id).filter(
        Q(entry__transaction=refund_of, amount__gt=0) | Q(entry__transaction__refund_of=refund_of, amount__lt=0)
    )
    for lot_id, used, expires_at, remaining in rows.values_list(
        "lot_id", "amount", "lot__expires_at", "lot__remaining"
    ):
        net[lot_id] += used
        lots[lot_id] = (expires_at, remaining)
    for lot_id in sorted(net):
        give = min(net[lot_id], amount)
        if give <= 0:
            continue
        expires_at, remaining = lots[lot_id]
        uses.append((_OpenLot(lot_id, expires_at, remaining + give), entry_id, -give))
        amount -= give
    return amount


def _write_lots(new_lots: list, expires_at: dt.datetime | None, uses: list) -> None:
    if new_lots:
        ids = insert_rows(
            Lot,
            ["account_id", "entry_id", "amount", "remaining"],
            [(pk, entry_id, amount, lot.remaining if lot else amount) for pk, entry_id, amount, lot in new_lots],
            same={"expires_at": expires_at, "created_at": now()},
            returning="id",
        )
        for row, lot_id in zip(new_lots, ids, strict=True):
            if row[3] is not None:
                row[3].pk = lot_id
    if not uses:
        return
    changed = {lot.pk: lot.remaining for lot, _entry_id, _amount in uses if not lot.new}
    used = [(lot.pk, entry_id, amount) for lot, entry_id, amount in uses]
    write = _lots_use_statement if on_postgresql(LotUse) else _lots_use_portable
    write(changed, used)


def _lots_use_statement(changed: dict[int, int], used: list[tuple[int, int, int]]) -> None:
    """Set the lots' remainders (`changed`: lot id -> remaining) and insert their uses (lot id,
    entry id, amount), in one statement."""
    params = {
        "lots": list(changed),
        "remaining": list(changed.values()),
        "used_lots": [row[0] for row in used],
        "entries": [row[1] for row in used],
        "amounts": [row[2] for row in used],
    }
    fetch_rows(LotUse, _LOTS_USE, params)


def _lots_use_portable(changed: dict[int, int], used: list[tuple[int, int, int]]) -> None:
    """The same writes one by one (other databases; a test holds the two equal)."""
    update_rows(Lot, ["remaining"], list(changed.items()))
    insert_rows(LotUse, ["lot_id", "entry_id", "amount"], used)


# PostgreSQL: the lots' new remainders and their uses in one statement (every debit writes both).
_LOTS_USE = """
WITH remaining AS (
    UPDATE points_lot l SET remaining = v.remaining
    FROM unnest(%(lots)s::bigint[], %(remaining)s::bigint[]) AS v(id, remaining) WHERE l.id = v.id
)
INSERT INTO points_lotuse (lot_id, entry_id, amount)
SELECT * FROM unnest(%(used_lots)s::bigint[], %(entries)s::bigint[], %(amounts)s::bigint[])
"""


def _open_lots(needs: dict[int, int], *, only: Lot | None = None) -> dict[int, list[tuple]]:
    """account id -> its open lots (id, expires_at, remaining) in the order a debit uses them, as
    many as cover `needs[account id]` points: a wallet with years of small lots reads a few rows.
    `only`: that lot alone. One statement for all the accounts of a batch."""
    ids = sorted(pk for pk, need in needs.items() if need > 0)
    sql = _OPEN_LOTS.format(only="AND id = %(only)s" if only is not None else "")
    params = {"accounts": ids, "needs": [needs[pk] for pk in ids], "only": getattr(only, "pk", None)}
    rows = fetch_rows(Lot, sql, params)
    if rows is None:
        return _open_lots_orm(needs, only=only)
    result: dict[int, list[tuple]] = {}
    for account_id, lot_id, expires_at, remaining in rows:
        result.setdefault(account_id, []).append((lot_id, expires_at, remaining))
    return result


def _open_lots_orm(needs: dict[int, int], *, only: Lot | None = None) -> dict[int, list[tuple]]:
    """The ORM twin of _open_lots (other databases; a test holds the two equal)."""
    lots = Lot.objects.filter(account_id__in=[pk for pk, need in needs.items() if need > 0], remaining__gt=0)
    if only is not None:
        lots = lots.filter(pk=only.pk)
    result: dict[int, list[tuple]] = {}
    held: dict[int, int] = defaultdict(int)
    for account_id, lot_id, expires_at, remaining in lots.order_by(
        "account_id", F("expires_at").asc(nulls_last=True), "pk"
    ).values_list("account_id", "pk", "expires_at", "remaining"):
        if held[account_id] < needs[account_id]:
            result.setdefault(account_id, []).append((lot_id, expires_at, remaining))
            held[account_id] += remaining
    return result


_OPEN_LOTS = f"""
SELECT l.account_id, l.id, l.expires_at, l.remaining
FROM (
    SELECT id, account_id, expires_at, remaining,
           SUM(remaining) OVER (
               PARTITION BY account_id ORDER BY expires_at ASC NULLS LAST, id ROWS UNBOUNDED PRECEDING
           ) - remaining AS before
    FROM {Lot._meta.db_table}
    WHERE account_id = ANY(%(accounts)s::bigint[]) AND remaining > 0 {{only}}
) l
JOIN unnest(%(accounts)s::bigint[], %(needs)s::bigint[]) AS n(account_id, need) ON n.account_id = l.account_id
WHERE l.before < n.need
ORDER BY l.account_id, l.expires_at ASC NULLS LAST, l.id
"""
