"""Load for bench/run.py, run headless in its own process (keep-alive connections, FastHttpUser).

Environment (set by bench/run.py):
  BENCH_SCENARIO  ping | checkin | rank | redeem | sellout | draw | open | poster
  BENCH_TOKENS    a file with one access token per line
  BENCH_PER_USER  1: each simulated user keeps one token (a buyer); else every request takes the
                  next token (many distinct users)
  BENCH_RATE      requests per second per simulated user (open pacing); unset: as fast as answered
  BENCH_PATH      the request path;  BENCH_BODY  a JSON body (POST) or empty (GET)
  BENCH_OUT       where to write the tally (JSON) when the run stops
  BENCH_MIX       a JSON list of [name, path, token file] (or [..., JSON body] for a POST): the
                  requests take them in turn, each with its own tokens, and each name gets its
                  own tally (`by_name`); so endpoints compared with one another meet the same
                  moments of a noisy machine
"""

import itertools
import json
import os
import time

from locust import constant, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

SCENARIO = os.environ.get("BENCH_SCENARIO", "ping")
PATH = os.environ.get("BENCH_PATH", "/api/me/ping")
BODY = os.environ.get("BENCH_BODY", "")
PER_USER = os.environ.get("BENCH_PER_USER") == "1"
RATE = float(os.environ.get("BENCH_RATE") or 0)


def _tokens(path: str) -> list[str]:
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip()]


TOKENS = _tokens(os.environ["BENCH_TOKENS"])
_next_token = iter(TOKENS)
_user_numbers = itertools.count()
_MIX_SPEC = json.loads(os.environ.get("BENCH_MIX") or "[]")
# [name, path, token file] or [name, path, token file, JSON body]: a body makes it a POST.
MIX = [(spec[0], spec[1], itertools.cycle(_tokens(spec[2])), spec[3] if len(spec) > 3 else "") for spec in _MIX_SPEC]
_next_mix = itertools.cycle(MIX) if MIX else None

TALLY = {"status": {}, "latencies_ms": [], "ok": 0, "first_start": None, "last_ok_end": None, "last_end": None}
TALLY["by_name"] = {name: {"status": {}, "latencies_ms": []} for name, *_rest in MIX}
# What counts as the scenario's answer (its throughput): a sell-out counts its refusals.
OK = {
    "ping": {200},
    "checkin": {201},
    "rank": {200},
    "redeem": {201},
    "sellout": {409},
    "draw": {201},
    "open": {200},
    "poster": {200},
}[SCENARIO]


class BenchUser(FastHttpUser):
    wait_time = constant_throughput(RATE) if RATE else constant(0)
    connection_timeout = 30.0
    network_timeout = 60.0

    def on_start(self):
        self.own_token = TOKENS[next(_user_numbers) % len(TOKENS)] if PER_USER else None

    def _token(self) -> str:
        if self.own_token:
            return self.own_token
        try:
            return next(_next_token)
        except StopIteration:
            raise StopUser() from None  # every distinct user has been used once

    @staticmethod
    def _tally(status: int, started: float, ended: float) -> None:
        TALLY["status"][str(status)] = TALLY["status"].get(str(status), 0) + 1
        TALLY["latencies_ms"].append(round((ended - started) * 1000, 3))
        if TALLY["first_start"] is None or started < TALLY["first_start"]:
            TALLY["first_start"] = started
        TALLY["last_end"] = max(TALLY["last_end"] or 0, ended)
        if status in OK:
            TALLY["ok"] += 1
            TALLY["last_ok_end"] = max(TALLY["last_ok_end"] or 0, ended)

    def _send(self, *, name: str, path: str, body: str, token: str):
        """One request (a POST with `body`, else a GET), tallied; returns its status. 4xx such as
        out_of_stock are answers, tallied by status; only 5xx and failed connections are failures."""
        headers = {"Authorization": f"Bearer {token}"}
        started = time.time()
        if body:
            headers["Content-Type"] = "application/json"
            request = self.client.post(path, data=body, headers=headers, name=name, catch_response=True)
        else:
            request = self.client.get(path, headers=headers, name=name, catch_response=True)
        with request as response:
            ended = time.time()
            self._tally(response.status_code, started, ended)
            if response.status_code >= 500 or response.status_code == 0:
                response.failure(f"{response.status_code}")
            else:
                response.success()
        return response.status_code, round((ended - started) * 1000, 3)

    def _call_mixed(self):
        name, path, tokens, body = next(_next_mix)
        status, latency_ms = self._send(name=name, path=path, body=body, token=next(tokens))
        mine = TALLY["by_name"][name]
        mine["status"][str(status)] = mine["status"].get(str(status), 0) + 1
        mine["latencies_ms"].append(latency_ms)

    def _call(self):
        if _next_mix is not None:
            return self._call_mixed()
        self._send(name=SCENARIO, path=PATH, body=BODY, token=self._token())

    @task
    def call(self):
        self._call()


@events.quitting.add_listener
def _write_tally(environment, **_kwargs):
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump(TALLY, handle)
