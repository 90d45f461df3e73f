"""Settle one round in a fresh process; print {"seconds", "maxrss_kb", "batches"} as JSON.

    python bench/settle_child.py product <round_id>
    python bench/settle_child.py raw <round_id>

`product` runs the product's `round_settle`; `raw` is the baseline: the same payouts written with
COPY into a staging table, one INSERT of ledger entries from it and one UPDATE of balances.
Memory is this process's peak resident size (getrusage), so each measurement needs its own process.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import settings_env

settings_env.apply()

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402


def product(round_id: int) -> dict:
    from checkin.services.settlement import round_settle

    started = time.perf_counter()
    settlement = round_settle(round_id=round_id)
    seconds = time.perf_counter() - started
    assert settlement.state == "done", settlement.state
    return {"seconds": seconds, "batches": settlement.batches, "paid": settlement.paid_total}


def raw(round_id: int) -> dict:
    """The same payouts (checkin.rules.split_pool of the round's pool), written in three statements."""
    from checkin import rules
    from checkin.models import Entry, Round
    from points.models import Account, Transaction
    from points.services.ledger import account_pool

    round_ = Round.objects.get(pk=round_id)
    pool = account_pool(round_id)
    started = time.perf_counter()
    rows = list(Entry.objects.filter(round_id=round_id).values_list("id", "user_id", "stake", "qualified_at"))
    payouts = rules.split_pool(
        pool=pool.balance, winners=[rules.Winner(i, s, q) for i, _u, s, q in rows], rule=round_.split_rule
    )
    wallets = dict(Account.objects.filter(user_id__in=[u for _i, u, _s, _q in rows]).values_list("user_id", "id"))
    with transaction.atomic(), connection.cursor() as cur:
        txn = Transaction.objects.create(kind=Transaction.Kind.PAYOUT, key=f"bench:raw:round:{round_id}", memo="raw")
        cur.execute("CREATE TEMP TABLE bench_payout (account_id bigint, amount bigint) ON COMMIT DROP")
        with cur.copy("COPY bench_payout (account_id, amount) FROM STDIN") as copy:
            for entry_id, user_id, _stake, _q in rows:
                copy.write_row((wallets[user_id], payouts[entry_id]))
        cur.execute(
            """
            INSERT INTO points_entry (transaction_id, account_id, amount, balance_after, created_at)
            SELECT %s, p.account_id, p.amount, a.balance + p.amount, now()
            FROM bench_payout p JOIN points_account a ON a.id = p.account_id
            """,
            [txn.pk],
        )
        cur.execute(
            "UPDATE points_account a SET balance = a.balance + p.amount FROM bench_payout p WHERE a.id = p.account_id"
        )
        # Every credit to a wallet forms a lot (points.services.ledger): one INSERT of lots from the
        # entries just written (expiry off: they never expire).
        cur.execute(
            """
            INSERT INTO points_lot (account_id, entry_id, amount, remaining, expires_at, created_at)
            SELECT e.account_id, e.id, e.amount, e.amount, NULL, now()
            FROM points_entry e WHERE e.transaction_id = %s
            """,
            [txn.pk],
        )
        # The pool's leg, so the ledger stays balanced.
        total = sum(payouts.values())
        cur.execute(
            "INSERT INTO points_entry (transaction_id, account_id, amount, balance_after, created_at) "
            "VALUES (%s, %s, %s, 0, now())",
            [txn.pk, pool.pk, -total],
        )
        cur.execute("UPDATE points_account SET balance = balance - %s WHERE id = %s", [total, pool.pk])
    seconds = time.perf_counter() - started
    # The round itself is left open: it exists only for this baseline.
    return {"seconds": seconds, "batches": 1, "paid": total}


def peak_rss_kb() -> int:
    """This process's peak resident size since exec: VmHWM belongs to the new address space, while
    getrusage's ru_maxrss also counts the parent's size at fork (it survives exec on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    mode, round_id = sys.argv[1], int(sys.argv[2])
    result = {"product": product, "raw": raw}[mode](round_id)
    result["maxrss_kb"] = peak_rss_kb()
    result["pid"] = os.getpid()
    print(json.dumps(result))
