"""points.services.ledger: balanced, idempotent, never below zero, lots in expiry order."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from core.exceptions import ApplicationError
from points.models import Account, Entry, Transaction
from points.services.audit import ledger_audit
from points.services.ledger import (
    Posting,
    account_for_user,
    account_issuance,
    account_sink,
    accounts_with_wallet,
    issuance_named,
    ledger_post,
    ledger_post_batch,
    sink_named,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def grant(user, amount, key):
    return ledger_post(
        kind=Transaction.Kind.ADMIN_ADJUST,
        key=key,
        legs=[(account_issuance(), -amount), (account_for_user(user), amount)],
    )


def spend(user, amount, key):
    return ledger_post(
        kind=Transaction.Kind.REDEMPTION,
        key=key,
        legs=[(account_for_user(user), -amount), (account_sink(), amount)],
    )


def balance(user) -> int:
    return Account.objects.get(user=user).balance


def test_posting_moves_points_and_records_balance_after(user):
    grant(user, 100, "g1")
    txn = spend(user, 30, "s1")

    assert balance(user) == 70
    wallet_leg = txn.entries.get(account__user=user)
    assert (wallet_leg.amount, wallet_leg.balance_after) == (-30, 70)
    assert ledger_audit().ok


def test_same_key_twice_moves_points_once(user):
    first = grant(user, 100, "welcome:1")
    second = grant(user, 100, "welcome:1")

    assert first.pk == second.pk
    assert balance(user) == 100
    assert Transaction.objects.filter(key="welcome:1").count() == 1


def test_key_reused_for_a_different_posting_is_a_conflict(user):
    grant(user, 100, "k")

    with pytest.raises(ApplicationError) as error:
        grant(user, 50, "k")

    assert error.value.code == "idempotency_key_conflict"
    assert balance(user) == 100


def test_spending_more_than_the_balance_is_refused_and_changes_nothing(user):
    grant(user, 10, "g")

    with pytest.raises(ApplicationError) as error:
        spend(user, 11, "s")

    assert error.value.code == "insufficient_points"
    assert balance(user) == 10
    assert not Transaction.objects.filter(key="s").exists()


def test_database_refuses_a_negative_wallet_even_past_the_service(user):
    account = account_for_user(user)

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)


@pytest.mark.parametrize(
    "legs_amounts",
    [[5, -4], [5], [0, 0], [5, -5.0]],
)
def test_unbalanced_or_malformed_legs_are_a_programming_error(user, legs_amounts):
    accounts = [account_issuance(), account_for_user(user)]
    with pytest.raises(ValueError):
        ledger_post(kind="admin_adjust", key="bad", legs=list(zip(accounts, legs_amounts, strict=False)))
    assert Entry.objects.count() == 0


def test_batch_skips_keys_already_posted_and_is_resumable():
    users = UserFactory.create_batch(5)
    issuance = account_issuance()
    postings = [
        Posting(key=f"b:{u.pk}", legs=[(issuance, -(i + 1)), (account_for_user(u), i + 1)]) for i, u in enumerate(users)
    ]

    assert ledger_post_batch(kind="bulk_grant", postings=postings[:2]) == 2
    assert ledger_post_batch(kind="bulk_grant", postings=postings) == 3
    assert ledger_post_batch(kind="bulk_grant", postings=postings) == 0

    assert [balance(u) for u in users] == [1, 2, 3, 4, 5]
    assert ledger_audit().ok


def test_batch_with_one_overdraft_posts_nothing(user):
    grant(user, 5, "g")
    other = UserFactory()
    grant(other, 5, "g2")
    sink = account_sink()
    postings = [
        Posting(key="x1", legs=[(account_for_user(other), -5), (sink, 5)]),
        Posting(key="x2", legs=[(account_for_user(user), -6), (sink, 6)]),
    ]

    with pytest.raises(ApplicationError):
        ledger_post_batch(kind="redemption", postings=postings)

    assert (balance(user), balance(other)) == (5, 5)


def test_audit_reports_a_tampered_balance(user):
    grant(user, 100, "g")
    Account.objects.filter(user=user).update(balance=90)  # what no code may do

    report = ledger_audit()

    assert not report.ok
    assert any("sum to" in problem for problem in report.problems)


def test_audit_command_exits_non_zero_on_problems(user):
    from django.core.management import CommandError, call_command

    grant(user, 100, "g")
    call_command("audit_ledger")
    Account.objects.filter(code="issuance").update(balance=0)

    with pytest.raises(CommandError):
        call_command("audit_ledger")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_spending_one_wallet_never_go_below_zero():
    # Given a wallet of 100 and 20 threads each spending 7 at once (140 wanted)
    user = UserFactory()
    grant(user, 100, "seed")
    account_sink()
    barrier = threading.Barrier(20)
    outcomes = []

    def worker(i):
        try:
            barrier.wait()
            spend(user, 7, f"spend:{i}")
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly floor(100 / 7) spends succeed, every success is in the ledger, nothing is lost
    assert outcomes.count("ok") == 14
    assert outcomes.count("insufficient_points") == 6
    assert balance(user) == 100 - 14 * 7
    assert Transaction.objects.filter(kind="redemption").count() == 14
    assert ledger_audit().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_key_posted_by_many_threads_at_once_moves_points_once():
    user = UserFactory()
    account_for_user(user)
    account_issuance()
    barrier = threading.Barrier(10)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(grant(user, 50, "double-tap").pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 10 and len(set(results)) == 1
    assert balance(user) == 50
    assert ledger_audit().ok


def test_accounts_with_wallet_reads_or_creates_the_wallet_and_the_system_accounts(user, django_assert_num_queries):
    wallet, sink, issuance = accounts_with_wallet(user, sink_named(shard_of=user.pk), issuance_named())
    assert (wallet.user_id, wallet.kind) == (user.pk, Account.Kind.USER)
    assert sink == account_sink(shard_of=user.pk) and issuance == account_issuance()
    with django_assert_num_queries(1):  # all three exist now: one read
        again = accounts_with_wallet(user, sink_named(shard_of=user.pk), issuance_named())
    assert [a.pk for a in again] == [wallet.pk, sink.pk, issuance.pk]
    assert accounts_with_wallet(UserFactory())[0].balance == 0  # another member's wallet, not this one's
    with pytest.raises(ValueError):
        accounts_with_wallet(user, ("issuance", Account.Kind.SINK))  # a code is one kind of account
