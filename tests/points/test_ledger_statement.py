"""On PostgreSQL a posting writes its transaction, entries and balances in one statement, and a
debit's lot remainders and uses in another: they must write exactly what the step-by-step writes
(the portable path the other databases take) write, for any run of credits, spends and refunds."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core.exceptions import ApplicationError
from points.models import Entry, Lot, LotUse, Transaction
from points.services import ledger as ledger_module
from points.services.ledger import account_for_user, account_issuance, account_sink, ledger_post
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# (kind of step, amount): a credit, a spend (refused when short), or a refund of the last spend.
steps = st.lists(
    st.tuples(st.sampled_from(["credit", "spend", "refund"]), st.integers(1, 400)), min_size=1, max_size=12
)


def _run(user, plan, tag) -> list:
    """Post `plan` for `user`; what each step answered."""
    wallet, answers, spends = account_for_user(user), [], []
    for n, (step, amount) in enumerate(plan):
        key = f"{tag}:{n}"
        try:
            if step == "credit":
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


def _written(user, tag) -> dict:
    """What the ledger holds for `user`, without ids, which differ between the two runs."""
    txns = Transaction.objects.filter(key__startswith=f"{tag}:").order_by("pk")
    lots = Lot.objects.filter(account__user=user).order_by("pk")
    return {
        "transactions": [(t.kind, t.key.split(":")[1], t.metadata, t.refund_of_id is not None) for t in txns],
        "entries": list(Entry.objects.filter(account__user=user).order_by("pk").values_list("amount", "balance_after")),
        "other_legs": list(
            Entry.objects.filter(transaction__in=txns).exclude(account__user=user).order_by("pk").values_list("amount")
        ),
        "balance": account_for_user(user).balance,
        "lots": list(lots.values_list("amount", "remaining", "expires_at")),
        "uses": list(
            LotUse.objects.filter(lot__in=lots).order_by("pk").values_list("amount", "entry__amount", "lot__amount")
        ),
    }


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_the_statements_write_what_the_portable_path_writes(plan, monkeypatch):
    statement_user, portable_user = UserFactory(), UserFactory()
    statement_tag, portable_tag = f"s{statement_user.pk}", f"p{portable_user.pk}"

    statement_answers = _run(statement_user, plan, statement_tag)
    with monkeypatch.context() as patched:
        patched.setattr(ledger_module, "_posting_write_statement", ledger_module._posting_write_portable)
        patched.setattr(ledger_module, "_lots_use_statement", ledger_module._lots_use_portable)
        portable_answers = _run(portable_user, plan, portable_tag)

    assert statement_answers == portable_answers
    assert _written(statement_user, statement_tag) == _written(portable_user, portable_tag)


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


def test_a_credit_is_three_statements_and_a_debit_four(user):
    """The accounts' lock, then the transaction with its entries and balances, then the lots: a
    credit forms one, a debit reads the open ones and writes their remainders and uses. (The
    binary cursor's statements are not in Django's query log: this counts the cursor's
    executions, less the savepoint the test's own transaction makes ledger_post open.)"""
    from psycopg import Cursor

    wallet, issuance, sink = account_for_user(user), account_issuance(), account_sink()
    executed = []
    original = Cursor.execute

    def counting(self, query, *args, **kwargs):
        if "SAVEPOINT" not in str(query):
            executed.append(str(query)[:60])
        return original(self, query, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(Cursor, "execute", counting)
        ledger_post(kind="task_reward", key="grant", legs=[(issuance, -80), (wallet, 80)])
        credit = len(executed)
        ledger_post(kind="redemption", key="spend", legs=[(wallet, -30), (sink, 30)])
        debit = len(executed) - credit
    # A credit: lock, posting, the new lot. A debit: lock, posting, open lots, their uses.
    assert (credit, debit) == (3, 4), executed
