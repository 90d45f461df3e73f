"""A settlement process to be SIGKILLed mid-batch (driven by tests/reliability/test_faults.py).

Runs `manage.py settle_rounds --round ID --batch-size N` for real, against the database named by
DATABASE_URL. After the ledger posting of batch number HANG_AT (inside that batch's transaction,
before it commits) it prints "hanging" and sleeps, so the test can kill it at exactly that point.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from checkin.services import settlement  # noqa: E402

round_id, batch_size, hang_at = (int(arg) for arg in sys.argv[1:4])
real_post = settlement.ledger_post
posted = {"batches": 0}


def post_then_maybe_hang(**kwargs):
    result = real_post(**kwargs)
    posted["batches"] += 1
    print(f"posted batch {posted['batches']}", flush=True)
    if posted["batches"] == hang_at:
        print("hanging", flush=True)
        time.sleep(120)
    return result


settlement.ledger_post = post_then_maybe_hang
call_command("settle_rounds", "--round", str(round_id), "--batch-size", str(batch_size))
print("finished", flush=True)
