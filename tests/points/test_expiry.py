"""points.services.expiry and the lots behind it: whatever POINTS_EXPIRY_ENABLED did in between,
a wallet's lots hold exactly its balance, so the nightly job expires only points the user still has
and only the ones whose date (fixed when they were credited) has passed."""

import datetime as dt
import importlib
import uuid
from types import SimpleNamespace
from unittest import mock

import psycopg
import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.db.models import Sum
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from points.models import Account, Lot, LotUse, Transaction
from points.services.audit import ledger_audit
from points.services.expiry import lots_expire
from points.services.ledger import (
    Posting,
    _open_lots,
    _open_lots_orm,
    account_for_user,
    account_issuance,
    account_sink,
    ledger_post,
    ledger_post_batch,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

repair = importlib.import_module("points.migrations.0006_lots_always_tracked")


def at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, tzinfo=dt.UTC)


def earn(wallet, amount, key):
    return ledger_post(kind="task_reward", key=key, legs=[(account_issuance(), -amount), (wallet, amount)])


def spend(wallet, amount, key):
    return ledger_post(kind="redemption", key=key, legs=[(wallet, -amount), (account_sink(), amount)])


def in_lots(wallet) -> int:
    return Lot.objects.filter(account=wallet).aggregate(total=Sum("remaining"))["total"] or 0


def balance(wallet) -> int:
    wallet.refresh_from_db()
    return wallet.balance


@pytest.fixture
def expiry(settings):
    settings.POINTS_EXPIRY_ENABLED = True
    settings.POINTS_EXPIRY_RULE = "30"
    return settings


def test_expiry_switched_off_and_on_expires_only_the_unspent_early_points(user, expiry):
    # Given 100 points earned with expiry on (due 03-31), 60 spent while it was off, and 50
    # earned after it came back on (due 04-09)
    wallet = account_for_user(user)
    with time_machine.travel(at(1), tick=False):
        earn(wallet, 100, "early")
    expiry.POINTS_EXPIRY_ENABLED = False
    with time_machine.travel(at(5), tick=False):
        spend(wallet, 60, "spent-while-off")
    expiry.POINTS_EXPIRY_ENABLED = True
    with time_machine.travel(at(10), tick=False):
        earn(wallet, 50, "later")

    # When the nightly job runs after the first date
    with time_machine.travel(at(2, month=4), tick=False):
        expired = lots_expire()

    # Then exactly the 40 unspent early points expire, and the later 50 stay
    assert expired == 40
    assert balance(wallet) == 50
    assert in_lots(wallet) == 50
    assert ledger_audit().ok
    # ... until their own date
    with time_machine.travel(at(10, month=4), tick=False):
        assert lots_expire() == 50
    assert balance(wallet) == 0
    assert ledger_audit().ok


def test_a_spend_while_off_beyond_the_early_lot_leaves_nothing_of_it_to_expire(user, expiry):
    wallet = account_for_user(user)
    with time_machine.travel(at(1), tick=False):
        earn(wallet, 100, "early")
    expiry.POINTS_EXPIRY_ENABLED = False
    with time_machine.travel(at(3), tick=False):
        earn(wallet, 30, "while-off")  # never expires
        spend(wallet, 110, "spent-while-off")  # the 100 due first, then 10 of the 30
    expiry.POINTS_EXPIRY_ENABLED = True
    with time_machine.travel(at(10), tick=False):
        earn(wallet, 50, "later")

    with time_machine.travel(at(2, month=4), tick=False):
        assert lots_expire() == 0
    with time_machine.travel(at(1, month=12), tick=False):
        assert lots_expire() == 50

    assert balance(wallet) == 20
    assert list(Lot.objects.filter(account=wallet, remaining__gt=0).values_list("remaining", "expires_at")) == [
        (20, None)
    ]
    assert ledger_audit().ok


def test_points_earned_while_off_never_expire_and_are_spent_last(user, expiry):
    wallet = account_for_user(user)
    expiry.POINTS_EXPIRY_ENABLED = False
    with time_machine.travel(at(1), tick=False):
        earn(wallet, 40, "while-off")
    expiry.POINTS_EXPIRY_ENABLED = True
    with time_machine.travel(at(2), tick=False):
        earn(wallet, 30, "dated")
        spend(wallet, 50, "s")  # the 30 dated first, then 20 of the 40

    with time_machine.travel(at(1, month=12), tick=False):
        assert lots_expire() == 0
    assert balance(wallet) == 20
    assert ledger_audit().ok


def test_switching_expiry_off_pauses_the_job_and_keeps_the_dates(user, expiry):
    wallet = account_for_user(user)
    with time_machine.travel(at(1), tick=False):
        earn(wallet, 100, "early")
    expiry.POINTS_EXPIRY_ENABLED = False

    with time_machine.travel(at(2, month=4), tick=False):
        assert lots_expire() == 0
        assert balance(wallet) == 100
        expiry.POINTS_EXPIRY_ENABLED = True
        assert lots_expire() == 100

    assert balance(wallet) == 0
    assert ledger_audit().ok


def test_a_refund_of_a_spend_made_while_off_restores_its_lots_with_their_dates(user, expiry):
    wallet = account_for_user(user)
    with time_machine.travel(at(1), tick=False):
        earn(wallet, 100, "early")
    expiry.POINTS_EXPIRY_ENABLED = False
    with time_machine.travel(at(5), tick=False):
        purchase = spend(wallet, 60, "spent-while-off")
    expiry.POINTS_EXPIRY_ENABLED = True
    with time_machine.travel(at(10), tick=False):
        ledger_post(kind="refund", key="r", legs=[(account_sink(), -60), (wallet, 60)], refund_of=purchase)

    assert list(Lot.objects.filter(account=wallet).values_list("remaining", flat=True)) == [100]
    with time_machine.travel(at(2, month=4), tick=False):
        assert lots_expire() == 100
    assert ledger_audit().ok


def test_a_batch_that_credits_then_debits_a_wallet_uses_the_lot_it_made(expiry):
    users = UserFactory.create_batch(2)
    first, second = (account_for_user(u) for u in users)
    issuance, sink = account_issuance(), account_sink()

    ledger_post_batch(
        kind="bulk_grant",
        postings=[
            Posting(key="c1", legs=[(issuance, -100), (first, 100)]),
            Posting(key="d1", legs=[(first, -30), (sink, 30)]),
            Posting(key="c2", legs=[(issuance, -5), (second, 5)]),
        ],
    )

    assert in_lots(first) == balance(first) == 70
    assert in_lots(second) == balance(second) == 5
    assert list(LotUse.objects.values_list("amount", flat=True)) == [30]
    assert ledger_audit().ok


def test_a_batch_writes_lots_in_as_many_statements_for_ten_legs_as_for_a_hundred(expiry):
    users = UserFactory.create_batch(50)
    wallets = [account_for_user(u) for u in users]
    issuance, sink = account_issuance(), account_sink()
    for w in wallets:
        earn(w, 10, f"seed:{w.pk}")

    def statements(tag, some):
        postings = [Posting(key=f"{tag}:c:{w.pk}", legs=[(issuance, -5), (w, 5)]) for w in some]
        postings += [Posting(key=f"{tag}:d:{w.pk}", legs=[(w, -7), (sink, 7)]) for w in some]
        real = psycopg.Cursor.execute
        with mock.patch.object(psycopg.Cursor, "execute", autospec=True, side_effect=real) as sent:
            ledger_post_batch(kind="bulk_grant", postings=postings)
        return sent.call_count

    assert statements("few", wallets[:5]) == statements("many", wallets[5:])
    assert ledger_audit().ok


def test_audit_reports_a_wallet_whose_lots_do_not_hold_its_balance(user, expiry):
    wallet = account_for_user(user)
    earn(wallet, 100, "a")
    earn(wallet, 20, "b")
    assert ledger_audit().ok

    Lot.objects.filter(entry__transaction__key="b").delete()  # 20 points outside any lot
    problems = ledger_audit().problems
    assert any(f"account {wallet.code}: lots hold 100 but the balance is 120" in p for p in problems)

    earn(wallet, 5, "c")
    Lot.objects.filter(entry__transaction__key="c").update(amount=50, remaining=50)  # more than it has
    problems = ledger_audit().problems
    assert any(f"account {wallet.code}: lots hold 150 but the balance is 125" in p for p in problems)


def test_with_expiry_off_every_credit_still_forms_a_lot_that_never_expires(user, settings):
    settings.POINTS_EXPIRY_ENABLED = False
    wallet = account_for_user(user)
    earn(wallet, 50, "a")

    assert list(Lot.objects.values_list("account_id", "remaining", "expires_at")) == [(wallet.pk, 50, None)]
    assert lots_expire() == 0
    assert ledger_audit().ok


# -- the migration that brings lots made before this change in line with the wallets -----------


def _legacy_ledger(expiry):
    """Three wallets as the old code left them: `stale`'s lot still shows 60 points spent while
    expiry was off, `lotless` earned while it was off (no lot), `fine` is right already."""
    stale, lotless, fine = (account_for_user(u) for u in UserFactory.create_batch(3))
    with time_machine.travel(at(1), tick=False):
        earn(stale, 100, "stale:early")
        spent = spend(stale, 60, "stale:spent-while-off")
        earn(stale, 50, "stale:later")
        earn(lotless, 70, "lotless:earned-while-off")
        earn(fine, 40, "fine:a")
        spend(fine, 15, "fine:s")
    # What the old code did not write:
    LotUse.objects.filter(entry__transaction=spent).delete()
    Lot.objects.filter(entry__transaction__key="stale:early").update(remaining=100)
    Lot.objects.filter(account=lotless).delete()
    assert not ledger_audit().ok
    return stale, lotless, fine, spent


@pytest.mark.parametrize("path", [pytest.param("sql", marks=pytest.mark.postgres), "orm"])
def test_the_migration_gives_every_wallet_lots_that_hold_its_balance(expiry, path):
    stale, lotless, fine, spent = _legacy_ledger(expiry)
    before_fine = list(Lot.objects.filter(account=fine).values_list("pk", "remaining"))

    getattr(repair, f"_repair_{path}")(apps, SimpleNamespace(connection=connection))

    assert ledger_audit().ok, ledger_audit().problems
    # The spend took the soonest-expiring lot, as it would have with expiry on, and its use is
    # recorded against the wallet's debit.
    early = Lot.objects.get(entry__transaction__key="stale:early")
    assert early.remaining == 40
    assert list(early.uses.values_list("entry__transaction_id", "amount")) == [(spent.pk, 60)]
    # Points outside lots became a lot that never expires.
    assert list(Lot.objects.filter(account=lotless).values_list("remaining", "expires_at")) == [(70, None)]
    assert list(Lot.objects.filter(account=fine).values_list("pk", "remaining")) == before_fine
    with time_machine.travel(at(1, month=12), tick=False):
        assert lots_expire() == 40 + 50 + 25
    assert [balance(w) for w in (stale, lotless, fine)] == [0, 70, 0]


# -- the open-lots read: its PostgreSQL statement and its ORM twin agree ------------------------


@pytest.mark.postgres
@hsettings(max_examples=30, deadline=None)
@given(
    credits=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 50), st.booleans(), st.integers(0, 3)), max_size=12),
    needs=st.lists(st.integers(0, 200), min_size=3, max_size=3),
    emptied=st.integers(0, 11),
)
def test_the_statement_and_the_orm_read_the_same_open_lots(settings, credits, needs, emptied):
    # Examples share one database transaction: each has its own wallets and keys.
    run = uuid.uuid4().hex
    wallets = [account_for_user(u) for u in UserFactory.create_batch(3)]
    for n, (who, amount, dated, days) in enumerate(credits):
        settings.POINTS_EXPIRY_ENABLED = dated
        settings.POINTS_EXPIRY_RULE = str(30 + days)
        with time_machine.travel(at(1), tick=False):
            earn(wallets[who], amount, f"twin:{run}:{n}")
    mine = Lot.objects.filter(account__in=wallets).order_by("pk")
    if credits:
        Lot.objects.filter(pk=mine[emptied % len(credits)].pk).update(remaining=0)
    wanted = {w.pk: need for w, need in zip(wallets, needs, strict=True) if need}
    last = mine.last()

    assert _open_lots(wanted) == _open_lots_orm(wanted)
    assert _open_lots(wanted, only=last) == _open_lots_orm(wanted, only=last)


def test_expiry_transactions_name_their_lot(user, expiry):
    wallet = account_for_user(user)
    with time_machine.travel(at(1), tick=False):
        earn(wallet, 10, "a")
    with time_machine.travel(at(2, month=4), tick=False):
        lots_expire()
    lot = Lot.objects.get()
    assert Transaction.objects.get(kind="expiry").key == f"expiry:lot:{lot.pk}:1"
    assert Account.objects.get(code="expired").balance == 10
