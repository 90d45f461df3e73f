"""A Hypothesis state machine over the ledger: random credits, spends, refunds, batches, time
passing, expiry, and POINTS_EXPIRY_ENABLED switched on and off at random. After every step the
audit invariants hold, every wallet's lots hold exactly its balance, balances match a simple model,
and a spend always takes the soonest-expiring lots first (those that never expire last)."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.utils import timezone
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.exceptions import ApplicationError
from points.models import Account, Lot, LotUse, Transaction
from points.services import ledger as ledger_module
from points.services.audit import ledger_audit
from points.services.expiry import lots_expire
from points.services.ledger import (
    Posting,
    account_for_user,
    account_issuance,
    account_sink,
    ledger_post,
    ledger_post_batch,
)
from tests.factories import UserFactory


class LedgerMachine(RuleBasedStateMachine):
    settings = None  # pytest-django's `settings` fixture, set by the test: the machine toggles expiry

    def __init__(self):
        super().__init__()
        self.traveller = time_machine.travel(dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC), tick=False)
        self.clock = self.traveller.start()
        self.users = UserFactory.create_batch(3)
        self.expected = {user.pk: 0 for user in self.users}
        self.spends: list[tuple[Transaction, int, int]] = []  # (txn, user pk, refundable left)
        self.counter = 0
        # Examples share one database transaction: keys must be unique across machine instances.
        self.run_id = uuid.uuid4().hex

    def teardown(self):
        self.traveller.stop()

    def key(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}:{self.run_id}:{self.counter}"

    @initialize(expiry_on=st.booleans())
    def start(self, expiry_on):
        self.settings.POINTS_EXPIRY_ENABLED = expiry_on
        account_issuance()
        account_sink()

    @rule(on=st.booleans())
    def switch_expiry(self, on):
        self.settings.POINTS_EXPIRY_ENABLED = on

    @rule(who=st.integers(0, 2), amount=st.integers(1, 500))
    def credit(self, who, amount):
        user = self.users[who]
        ledger_post(
            kind="task_reward",
            key=self.key("credit"),
            legs=[(account_issuance(), -amount), (account_for_user(user), amount)],
        )
        self.expected[user.pk] += amount

    @rule(who=st.integers(0, 2), amount=st.integers(1, 700))
    def spend(self, who, amount):
        user = self.users[who]
        wallet = account_for_user(user)
        try:
            txn = ledger_post(
                kind="redemption", key=self.key("spend"), legs=[(wallet, -amount), (account_sink(), amount)]
            )
        except ApplicationError as exc:
            assert exc.code == "insufficient_points"
            assert self.expected[user.pk] < amount
            return
        assert self.expected[user.pk] >= amount
        self.expected[user.pk] -= amount
        self.spends.append((txn, user.pk, amount))
        # Soonest-expiring first: no lot expiring before the latest lot this spend touched has
        # anything left.
        used = [use.lot for use in LotUse.objects.filter(entry__transaction=txn).select_related("lot")]
        assert sum(use.amount for use in LotUse.objects.filter(entry__transaction=txn)) == amount
        open_lots = Lot.objects.filter(account=wallet, remaining__gt=0)
        if any(lot.expires_at is None for lot in used):
            last_never = max(lot.pk for lot in used if lot.expires_at is None)
            assert not open_lots.filter(expires_at__isnull=False).exists()
            assert not open_lots.filter(expires_at__isnull=True, pk__lt=last_never).exists()
        elif used:
            latest = max(lot.expires_at for lot in used)
            assert not open_lots.filter(expires_at__lt=latest).exists()

    @rule(moves=st.lists(st.tuples(st.integers(0, 2), st.integers(-300, 300).filter(bool)), min_size=1, max_size=6))
    def batch(self, moves):
        """Credits and debits in one ledger_post_batch, a wallet possibly credited then debited."""
        balances = dict(self.expected)
        postings = []
        for who, amount in moves:
            wallet = account_for_user(self.users[who])
            if amount > 0:
                legs = [(account_issuance(), -amount), (wallet, amount)]
            else:
                legs = [(wallet, amount), (account_sink(), -amount)]
            postings.append(Posting(key=self.key("batch"), legs=legs))
            balances[self.users[who].pk] += amount
        overdrawn = any(
            sum(amount for w, amount in moves[: i + 1] if w == who) + self.expected[self.users[who].pk] < 0
            for i, (who, _) in enumerate(moves)
        )
        try:
            ledger_post_batch(kind="bulk_grant", postings=postings)
        except ApplicationError as exc:
            assert exc.code == "insufficient_points"
            assert overdrawn
            return
        assert not overdrawn
        self.expected = balances

    @precondition(lambda self: self.spends)
    @rule(pick=st.integers(0, 10_000), fraction=st.integers(1, 100))
    def refund(self, pick, fraction):
        index = pick % len(self.spends)
        txn, user_pk, left = self.spends[index]
        if left == 0:
            return
        amount = max(1, left * fraction // 100)
        wallet = Account.objects.get(user_id=user_pk)
        ledger_post(
            kind="refund",
            key=self.key("refund"),
            legs=[(account_sink(), -amount), (wallet, amount)],
            refund_of=txn,
        )
        self.spends[index] = (txn, user_pk, left - amount)
        self.expected[user_pk] += amount

    @rule(days=st.integers(1, 40))
    def time_passes_and_nightly_expiry_runs(self, days):
        self.clock.shift(dt.timedelta(days=days))
        if not self.settings.POINTS_EXPIRY_ENABLED:
            # Off, the job expires nothing; the lots keep their dates for when it is back on.
            assert lots_expire() == 0
            return
        overdue = {
            pk: sum(
                Lot.objects.filter(account__user_id=pk, expires_at__lte=timezone.now()).values_list(
                    "remaining", flat=True
                )
            )
            for pk in self.expected
        }
        lots_expire()
        lots_expire()  # a second run expires nothing more
        for pk, amount in overdue.items():
            self.expected[pk] -= amount
        assert not Lot.objects.filter(expires_at__lte=timezone.now(), remaining__gt=0).exists()

    @invariant()
    def ledger_is_sound(self):
        report = ledger_audit()
        assert report.ok, report.problems

    @invariant()
    def every_wallets_lots_hold_its_balance(self):
        for user in self.users:
            lots = Lot.objects.filter(account__user=user).values_list("remaining", flat=True)
            assert sum(lots) == account_for_user(user).balance

    @invariant()
    def balances_match_the_model(self):
        for user in self.users:
            assert account_for_user(user).balance == self.expected[user.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["as_configured", "portable"])
def test_ledger_state_machine(settings, monkeypatch, path):
    """On PostgreSQL `as_configured` runs the posting's and the lots' one-statement writes; the
    `portable` run forces the step-by-step writes the other databases use: both meet one model."""
    settings.POINTS_EXPIRY_RULE = "30"
    monkeypatch.setattr(LedgerMachine, "settings", settings)
    if path == "portable":
        monkeypatch.setattr(ledger_module, "on_postgresql", lambda model: False)
    run_state_machine_as_test(LedgerMachine, settings=hsettings(max_examples=40, stateful_step_count=30, deadline=None))


@pytest.mark.django_db
def test_refund_restores_the_lots_its_spend_consumed(user, settings):
    settings.POINTS_EXPIRY_ENABLED = True
    settings.POINTS_EXPIRY_RULE = "30"
    wallet = account_for_user(user)
    with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), tick=False):
        early = ledger_post(kind="task_reward", key="a", legs=[(account_issuance(), -50), (wallet, 50)])
    with time_machine.travel(dt.datetime(2026, 3, 10, tzinfo=dt.UTC), tick=False):
        ledger_post(kind="task_reward", key="b", legs=[(account_issuance(), -50), (wallet, 50)])
        spend = ledger_post(kind="redemption", key="s", legs=[(wallet, -70), (account_sink(), 70)])
        early_lot, late_lot = Lot.objects.filter(account=wallet).order_by("expires_at")
        assert (early_lot.remaining, late_lot.remaining) == (0, 30)

        ledger_post(kind="refund", key="r", legs=[(account_sink(), -70), (wallet, 70)], refund_of=spend)

    early_lot.refresh_from_db()
    late_lot.refresh_from_db()
    assert (early_lot.remaining, late_lot.remaining) == (50, 50)
    assert Lot.objects.filter(account=wallet).count() == 2
    assert early_lot.entry.transaction_id == early.pk

    # The restored early lot still expires on its own date.
    with time_machine.travel(dt.datetime(2026, 4, 2, tzinfo=dt.UTC), tick=False):
        assert lots_expire() == 50
    wallet.refresh_from_db()
    assert wallet.balance == 50
    assert ledger_audit().ok


@pytest.mark.django_db
def test_expiry_is_off_by_default_and_its_lots_never_expire(user, settings):
    settings.POINTS_EXPIRY_ENABLED = False
    ledger_post(kind="task_reward", key="a", legs=[(account_issuance(), -50), (account_for_user(user), 50)])

    assert list(Lot.objects.values_list("remaining", "expires_at")) == [(50, None)]
    with time_machine.travel(dt.datetime(2099, 1, 1, tzinfo=dt.UTC), tick=False):
        assert lots_expire() == 0


@pytest.mark.django_db
def test_end_of_next_year_rule_is_local_new_year(settings):
    from points.services.ledger import lot_expiry_for

    settings.POINTS_EXPIRY_RULE = "end_of_next_year"
    # 2026-12-31 20:00 UTC is already 2027-01-01 in Shanghai: points expire at the start of 2029.
    expiry = lot_expiry_for(dt.datetime(2026, 12, 31, 20, tzinfo=dt.UTC))

    assert expiry == dt.datetime(2028, 12, 31, 16, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_refund_into_an_already_expired_lot_expires_again_at_the_next_run(user, settings):
    # Found by the state machine: a spend, its lot expiring, then a refund of the spend.
    settings.POINTS_EXPIRY_ENABLED = True
    settings.POINTS_EXPIRY_RULE = "30"
    wallet = account_for_user(user)
    with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), tick=False):
        ledger_post(kind="task_reward", key="a", legs=[(account_issuance(), -50), (wallet, 50)])
        spend = ledger_post(kind="redemption", key="s", legs=[(wallet, -20), (account_sink(), 20)])
    with time_machine.travel(dt.datetime(2026, 4, 5, tzinfo=dt.UTC), tick=False):
        assert lots_expire() == 30
        ledger_post(kind="refund", key="r", legs=[(account_sink(), -20), (wallet, 20)], refund_of=spend)
        assert lots_expire() == 20
        assert lots_expire() == 0

    wallet.refresh_from_db()
    assert wallet.balance == 0
    assert Transaction.objects.filter(kind="expiry").count() == 2
    assert ledger_audit().ok
