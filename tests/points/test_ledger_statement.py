"""On PostgreSQL a posting writes its transaction, entries, balances and lots (new lots, the
remainders and uses of those a debit takes) in one statement; a refund gives back to its debit's
lots step by step after it. They must write exactly what the step-by-step writes (the portable path
the other databases take) write, for any run of credits, spends, refunds and gifts between wallets."""

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core.exceptions import ApplicationError
from points.models import Entry, Lot, LotUse, Transaction
from points.services import ledger as ledger_module
from points.services.ledger import account_for_user, account_issuance, account_sink, ledger_post
from tests.factories import UserFactory
from tests.reliability.helpers import statements_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# (kind of step, amount): a credit, a spend (refused when short), a refund of the last spend, a gift
# to a friend's wallet (one posting debiting one wallet and crediting another), or a gift back.
steps = st.lists(
    st.tuples(st.sampled_from(["credit", "spend", "refund", "gift", "gift_back"]), st.integers(1, 400)),
    min_size=1,
    max_size=12,
)


def _run(user, friend, plan, tag) -> list:
    """Post `plan` for `user` (and `friend`, for gifts); what each step answered."""
    wallet, answers, spends = account_for_user(user), [], []
    friend_wallet = account_for_user(friend)
    for n, (step, amount) in enumerate(plan):
        key = f"{tag}:{n}"
        try:
            if step == "gift":
                ledger_post(kind="admin_adjust", key=key, legs=[(wallet, -amount), (friend_wallet, amount)])
            elif step == "gift_back":
                ledger_post(kind="admin_adjust", key=key, legs=[(friend_wallet, -amount), (wallet, amount)])
            elif step == "credit":
                ledger_post(kind="task_reward", key=key, legs=[(account_issuance(), -amount), (wallet, amount)])
            elif step == "spend":
                spends.append(
                    ledger_post(kind="redemption", key=key, legs=[(wallet, -amount), (account_sink(), amount)])
                )
            elif spends:
                spent = -spends[-1].entries.get(account=wallet).amount
                ledger_post(
                    kind="refund",
                    key=key,
                    legs=[(account_sink(), -min(amount, spent)), (wallet, min(amount, spent))],
                    refund_of=spends.pop(),
                )
            answers.append("ok")
        except ApplicationError as exc:
            answers.append(exc.code)
    return answers


def _written(user, friend, tag) -> dict:
    """What the ledger holds for `user` and `friend`, without ids, which differ between the runs."""
    txns = Transaction.objects.filter(key__startswith=f"{tag}:").order_by("pk")
    lots = Lot.objects.filter(account__user__in=[user, friend]).order_by("pk")
    return {
        "friend": (
            account_for_user(friend).balance,
            list(Entry.objects.filter(account__user=friend).order_by("pk").values_list("amount", "balance_after")),
        ),
        "transactions": [(t.kind, t.key.split(":")[1], t.metadata, t.refund_of_id is not None) for t in txns],
        "entries": list(Entry.objects.filter(account__user=user).order_by("pk").values_list("amount", "balance_after")),
        "other_legs": list(
            Entry.objects.filter(transaction__in=txns).exclude(account__user=user).order_by("pk").values_list("amount")
        ),
        "balance": account_for_user(user).balance,
        "lots": list(lots.values_list("account__user", "amount", "remaining", "expires_at")),
        "uses": list(
            LotUse.objects.filter(lot__in=lots).order_by("pk").values_list("amount", "entry__amount", "lot__amount")
        ),
    }


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps, expiry=st.booleans())
@example(plan=[("credit", 100), ("credit", 50), ("spend", 130), ("refund", 40)], expiry=True)  # soonest first
@example(plan=[("credit", 100), ("gift", 60), ("gift_back", 20), ("spend", 50)], expiry=False)
def test_the_statements_write_what_the_portable_path_writes(plan, expiry, monkeypatch, settings):
    """With expiry on, every lot has a date and a debit takes the soonest first; with it off, the
    older lot first. The `user` field of lots is compared as which of the two wallets holds it."""
    settings.POINTS_EXPIRY_ENABLED = expiry
    statement_user, statement_friend, portable_user, portable_friend = (UserFactory() for _ in range(4))
    statement_tag, portable_tag = f"s{statement_user.pk}", f"p{portable_user.pk}"

    settings.POINTS_EXPIRY_RULE = "30"  # a date per moment of credit: lots of different dates
    statement_answers = _run(statement_user, statement_friend, plan, statement_tag)
    with monkeypatch.context() as patched:
        patched.setattr(ledger_module, "on_postgresql", lambda model: False)
        portable_answers = _run(portable_user, portable_friend, plan, portable_tag)

    assert statement_answers == portable_answers
    statement_written = _written(statement_user, statement_friend, statement_tag)
    portable_written = _written(portable_user, portable_friend, portable_tag)
    for written, user in ((statement_written, statement_user), (portable_written, portable_user)):
        written["lots"] = [(owner == user.pk, *rest[:2]) for owner, *rest in written["lots"]]
    assert statement_written == portable_written


def test_a_replay_is_answered_with_the_first_posting_even_when_the_wallet_is_short_now(user):
    wallet = account_for_user(user)
    ledger_post(kind="task_reward", key="grant", legs=[(account_issuance(), -50), (wallet, 50)])
    spend = ledger_post(kind="redemption", key="spend", legs=[(wallet, -50), (account_sink(), 50)])

    again = ledger_post(kind="redemption", key="spend", legs=[(wallet, -50), (account_sink(), 50)])

    assert again.pk == spend.pk
    assert account_for_user(user).balance == 0
    assert Entry.objects.filter(transaction=spend).count() == 2
    with pytest.raises(ApplicationError) as short:  # a new key is refused as ever
        ledger_post(kind="redemption", key="spend-2", legs=[(wallet, -50), (account_sink(), 50)])
    assert short.value.code == "insufficient_points"


def test_a_credit_and_a_debit_are_two_statements_each_in_the_callers_transaction(user):
    """The accounts' lock, then the transaction with its entries, balances and lots: a credit forms
    one, a debit takes from the open ones. Inside the caller's transaction (the test's own, here)
    no savepoint is opened. (The binary cursor's statements are not in Django's query log: this
    counts the cursor's executions.)"""
    wallet, issuance, sink = account_for_user(user), account_issuance(), account_sink()

    grant = [(issuance, -80), (wallet, 80)]
    _txn, credit = statements_of(lambda: ledger_post(kind="task_reward", key="grant", legs=grant), savepoints=True)
    spend = [(wallet, -30), (sink, 30)]
    _txn, debit = statements_of(lambda: ledger_post(kind="redemption", key="spend", legs=spend), savepoints=True)

    assert (len(credit), len(debit)) == (2, 2), (credit, debit)
    lot = Lot.objects.get(account=wallet)
    assert (lot.amount, lot.remaining) == (80, 50)
    assert list(LotUse.objects.values_list("lot", "amount")) == [(lot.pk, 30)]
