"""The ledger audit: the invariants that must hold whatever happened."""

from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from core.clock import now
from points.models import Account, Entry, Lot, LotUse


@dataclass
class AuditReport:
    problems: list[str] = field(default_factory=list)
    accounts: int = 0
    transactions_checked: int = 0
    total_balance: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_audit(*, limit: int = 50) -> AuditReport:
    """Check, with aggregate queries over the whole ledger:

    - all balances sum to zero;
    - every account's balance equals the sum of its entries, and its newest entry's balance_after;
    - no account but issuance is below zero;
    - every transaction's legs sum to zero;
    - every lot's used amount matches its uses;
    - every wallet's lots hold exactly its balance (lots are tracked whether expiry is on or off),
      and no other account has lots.
    """
    report = AuditReport()
    report.accounts = Account.objects.count()
    report.total_balance = Account.objects.aggregate(total=Sum("balance"))["total"] or 0
    if report.total_balance != 0:
        report.problems.append(f"balances sum to {report.total_balance}, not 0")

    report.problems += accounts_entries_mismatched(Account.objects.all(), limit=limit)

    stale = Account.objects.raw(
        """
        SELECT a.id, a.code, a.balance, e.balance_after
        FROM points_account a
        JOIN points_entry e ON e.id = (SELECT MAX(id) FROM points_entry WHERE account_id = a.id)
        WHERE e.balance_after <> a.balance
        LIMIT %s
        """,
        [limit],
    )
    for account in stale:
        report.problems.append(
            f"account {account.code}: balance {account.balance} but last balance_after {account.balance_after}"
        )

    for code, balance in (
        Account.objects.exclude(kind=Account.Kind.ISSUANCE).filter(balance__lt=0).values_list("code", "balance")[:limit]
    ):
        report.problems.append(f"account {code}: negative balance {balance}")

    unbalanced = (
        Entry.objects.values("transaction_id", "transaction__key")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("transaction_id")[:limit]
    )
    for row in unbalanced:
        report.problems.append(f"transaction {row['transaction__key']}: legs sum to {row['total']}")
    report.transactions_checked = Entry.objects.values("transaction_id").distinct().count()

    uses_of_lot = (
        LotUse.objects.filter(lot=OuterRef("pk")).order_by().values("lot").annotate(total=Sum("amount")).values("total")
    )
    bad_lots = (
        Lot.objects.annotate(used=Coalesce(Subquery(uses_of_lot), 0))
        .exclude(used=F("amount") - F("remaining"))
        .values_list("pk", "amount", "remaining", "used")[:limit]
    )
    for lot_id, amount, remaining, used in bad_lots:
        report.problems.append(f"lot {lot_id}: used {amount - remaining} but its uses sum to {used}")
    report.problems += wallets_lots_mismatched(limit=limit)
    for code, lots in (
        Account.objects.exclude(kind=Account.Kind.USER)
        .annotate(lots_count=Count("lots"))
        .filter(lots_count__gt=0)
        .values_list("code", "lots_count")[:limit]
    ):
        report.problems.append(f"account {code}: not a wallet but has {lots} lots")
    return report


def accounts_entries_mismatched(accounts, *, limit: int = 50) -> list[str]:
    """Accounts of the queryset whose balance is not the sum of their entries."""
    mismatched = (
        accounts.annotate(entries_sum=Sum("entries__amount"))
        .exclude(balance=F("entries_sum"))
        .exclude(balance=0, entries_sum__isnull=True)
        .values_list("code", "balance", "entries_sum")[:limit]
    )
    return [
        f"account {code}: balance {balance} but entries sum to {entries_sum or 0}"
        for code, balance, entries_sum in mismatched
    ]


def wallets_lots_mismatched(*, limit: int = 50) -> list[str]:
    """Wallets whose lots do not hold exactly their balance."""
    return [
        f"account {code}: lots hold {in_lots} but the balance is {balance}"
        for code, balance, in_lots in (
            Account.objects.filter(kind=Account.Kind.USER)
            .annotate(in_lots=Coalesce(Sum("lots__remaining"), 0))
            .exclude(in_lots=F("balance"))
            .values_list("code", "balance", "in_lots")[:limit]
        )
    ]


@dataclass(frozen=True)
class WalletSums:
    """The points members hold, summed three independent ways, which must agree."""

    balances: int  # the wallets' balances
    entries: int  # the wallets' ledger entries
    lots: int  # the wallets' lots' remainders
    overdue: int  # of `lots`: remainders of lots past their date (waiting for the expiry job)

    @property
    def unexpired(self) -> int:
        return self.lots - self.overdue


def wallet_sums() -> WalletSums:
    """Sums over every user wallet (a full pass over the wallets' entries: a nightly read)."""
    wallets = Account.objects.filter(kind=Account.Kind.USER)
    lots = Lot.objects.filter(account__kind=Account.Kind.USER).aggregate(
        total=Coalesce(Sum("remaining"), 0),
        overdue=Coalesce(Sum("remaining", filter=Q(expires_at__lte=now())), 0),
    )
    return WalletSums(
        balances=wallets.aggregate(total=Coalesce(Sum("balance"), 0))["total"],
        entries=Entry.objects.filter(account__kind=Account.Kind.USER).aggregate(total=Coalesce(Sum("amount"), 0))[
            "total"
        ],
        lots=lots["total"],
        overdue=lots["overdue"],
    )
