import time
import pytest
from django.db import connection
from points.services.ledger import account_for_user, account_issuance, ledger_post
from points.services import ledger as L
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_probe_settle_batch():
    users = UserFactory.create_batch(2000)
    wallets = [account_for_user(u).pk for u in users]
    pool = account_issuance().pk
    times = {}
    for path in ("statement", "portable", "statement", "portable"):
        legs = [(w, 3) for w in wallets] + [(pool, -3 * len(wallets))]
        orig = L.on_postgresql
        if path == "portable":
            L.on_postgresql = lambda m: False
        t = time.perf_counter()
        ledger_post(kind="payout", key=f"batch:{path}:{time.time()}", legs=legs)
        times.setdefault(path, []).append(time.perf_counter() - t)
        L.on_postgresql = orig
    print("SETTLE", {k: [round(x * 1000) for x in v] for k, v in times.items()})
