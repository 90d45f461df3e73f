"""Prepare the morning rush (run by tests/reliability/rush/run.sh against its own database).

Creates N mini-program users (fake WeChat codes rush0..rushN-1), gives each 1000 points, and
enrols each in today's round of a challenge whose window is open all day, so every check-in of
the rush is inside its window. Writes the ids the locustfile needs to the JSON file named first.
"""

import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django

django.setup()

import time_machine  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.services import user_login_wechat  # noqa: E402
from checkin.models import Challenge  # noqa: E402
from checkin.services import challenge_join  # noqa: E402
from core.clock import local_today  # noqa: E402
from points.models import Product  # noqa: E402
from points.services.ledger import account_for_user, account_issuance, ledger_post  # noqa: E402

out, users = sys.argv[1], int(sys.argv[2])
call_command("seed_demo", verbosity=0)
challenge, _ = Challenge.objects.get_or_create(
    title="晨间冲刺 (load test)",
    defaults={
        "kind": Challenge.Kind.DAILY,
        "timezone": "Asia/Shanghai",
        "window_start": dt.time(0, 0),
        "window_end": dt.time(23, 59),
        "stake_min": 10,
        "stake_max": 100,
        "bonus": 100,
    },
)
yesterday_noon = dt.datetime.combine(local_today() - dt.timedelta(days=1), dt.time(12), challenge.zone)
for i in range(users):
    user, _ = user_login_wechat(code=f"rush{i}")
    ledger_post(
        kind="admin_adjust",
        key=f"rush:grant:{user.pk}",
        legs=[(account_issuance(), -1000), (account_for_user(user), 1000)],
    )
    with time_machine.travel(yesterday_noon, tick=False):
        if not challenge.rounds.filter(entries__user=user).exists():
            challenge_join(user=user, challenge=challenge, stake=10)
product = Product.objects.get(name="口腔检查预约券")
Path(out).write_text(json.dumps({"challenge": challenge.pk, "product": product.pk, "users": users}))
print(f"rush ready: {users} users enrolled in challenge {challenge.pk}, product {product.pk}")
