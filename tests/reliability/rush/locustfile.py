"""A morning rush on the mini-program API: log in, check in, look at the board, get the poster, redeem.

Run by tests/reliability/rush/run.sh (which prepares the database and gunicorn). A response is a
failure when it is a 5xx, a 429, or any status the scenario does not expect; business refusals
the API promises (a redemption once the points ran out) are counted under their own name.
"""

import itertools
import json
import os
import uuid

from locust import HttpUser, between, events, task

CONFIG = json.loads(open(os.environ["RUSH_CONFIG"]).read())  # noqa: SIM115 - read once at start
_next_user = itertools.count()
REFUSALS = {"insufficient_points", "limit_reached"}
refusals = {"count": 0}


class MorningUser(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.code = f"rush{next(_next_user) % CONFIG['users']}"
        self.login()

    def login(self):
        with self.client.post(
            "/api/auth/wechat/login", json={"code": self.code}, name="login", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"login {response.status_code}: {response.text[:200]}")
                return
            self.client.headers["Authorization"] = f"Bearer {response.json()['access']}"

    @task(1)
    def relogin(self):
        self.login()

    @task(3)
    def checkin(self):
        with self.client.post(
            f"/api/challenges/{CONFIG['challenge']}/checkin", json={}, name="checkin", catch_response=True
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"checkin {response.status_code}: {response.text[:200]}")

    @task(4)
    def leaderboard(self):
        board = ("early", "streak", "winnings")[next(_next_user) % 3]
        with self.client.get(
            f"/api/challenges/{CONFIG['challenge']}/leaderboard?board={board}&limit=20",
            name="leaderboard",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"leaderboard {response.status_code}")

    @task(1)
    def poster(self):
        with self.client.get("/api/referral/poster", name="poster", catch_response=True) as response:
            if response.status_code != 200 or response.headers.get("content-type") != "image/png":
                response.failure(f"poster {response.status_code}")

    @task(1)
    def me(self):
        with self.client.get("/api/me", name="me", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"me {response.status_code}")

    @task(1)
    def redeem(self):
        with self.client.post(
            "/api/mall/redemptions",
            json={"product": CONFIG["product"], "quantity": 1},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="redeem",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                return
            if response.status_code in (400, 409) and response.json().get("code") in REFUSALS:
                refusals["count"] += 1  # a promised refusal, not an error
                return
            response.failure(f"redeem {response.status_code}: {response.text[:200]}")


@events.quitting.add_listener
def _report(environment, **kwargs):
    print(f"business refusals (insufficient points, limit): {refusals['count']}")
