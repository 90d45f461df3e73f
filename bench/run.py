#!/usr/bin/env python
"""Benchmarks as ratios against a baseline measured in the same run (docs/benchmarks.md).

    .venv/bin/python bench/run.py --quick     # under five minutes
    .venv/bin/python bench/run.py             # the full run (a 1,000,000-entry settlement)

Serves the product with gunicorn (several workers, DEBUG off) on the `bench` PostgreSQL database and
Redis DB 13, loads it with locust (headless, its own process, keep-alive connections), and prints
one line per figure:

    BENCH <name> ratio=<value> goal=<op><goal> <details>

It exits 0 when it ran; missed goals are reported on their line (met=no), not hidden.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import settings_env  # noqa: E402
from bench.report import Figure, percentile, ratio  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PORT = int(os.environ.get("BENCH_PORT", "18765"))
HOST = f"http://127.0.0.1:{PORT}"
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))

QUICK = {
    "phase": 6,
    "rush_users": 24,
    "rush_tokens": 12000,
    "settle": 100_000,
    "board": 1_000_000,
    "board_small": 10_000,
    "rank_users": 4,
    "rank_rate": 25,  # requests/s to each of ping, the 1M board and the 10k board, taken in turn
    "rank_phase": 30,  # 750 answers each: a p99 that one stall of the machine does not decide
    "flash_stock": 100_000,
    "buyers": 100,
    "sellout_buyers": 2000,
    "sellout_stock": 100,
    "packets": 40,
    "poster_users": 50,
    "parallel_settle": 100_000,
}
FULL = {
    **QUICK,
    "phase": 20,
    "rank_phase": 60,
    "rush_tokens": 30000,
    "settle": 1_000_000,
    "parallel_settle": 250_000,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


# -- database and server ------------------------------------------------------------------------


def database_ensure() -> None:
    import psycopg

    with psycopg.connect(settings_env.PG_SERVER + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings_env.DATABASE]).fetchone():
            log(f"creating database {settings_env.DATABASE}")
            conn.execute(f'CREATE DATABASE "{settings_env.DATABASE}"')


def django_setup() -> None:
    settings_env.apply()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Server:
    """gunicorn, gthread workers (keep-alive), DEBUG off, the bench database and Redis DB."""

    def __init__(self):
        self.process = None

    def __enter__(self):
        command = [
            str(VENV_BIN / "gunicorn"),
            "core.wsgi:application",
            f"--workers={WORKERS}",
            "--worker-class=gthread",
            f"--threads={THREADS}",
            "--keep-alive=30",
            f"--bind=127.0.0.1:{PORT}",
            "--log-level=warning",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=settings_env.bench_env())
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{HOST}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise SystemExit("bench: gunicorn did not answer /healthz")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- load ---------------------------------------------------------------------------------------


def tokens_for(user_ids) -> list[str]:
    from rest_framework_simplejwt.tokens import AccessToken

    from core.models import User

    return [str(AccessToken.for_user(User(pk=uid))) for uid in user_ids]


def _summary(tally: dict) -> dict:
    latencies = tally.pop("latencies_ms")
    tally["p50"] = percentile(latencies, 50)
    tally["p99"] = percentile(latencies, 99)
    tally["requests"] = len(latencies)
    tally["errors_5xx"] = sum(n for code, n in tally["status"].items() if code == "0" or code.startswith("5"))
    return tally


def locust(
    scenario: str,
    *,
    path: str,
    tokens: list[str],
    users: int,
    seconds: int,
    body="",
    per_user=False,
    rate=0.0,
    mix: dict[str, tuple[str, list[str]]] | None = None,
):
    """One headless locust run in its own process; returns its tally plus rps and percentiles.
    With `mix` ({name: (path, tokens)} or {name: (path, tokens, JSON body)} for a POST) the
    requests take the paths in turn and the tally has a summary per name under `by_name`."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        token_file, out = Path(tmp) / "tokens", Path(tmp) / "tally.json"
        token_file.write_text("\n".join(tokens))
        mixed = []
        for name, (mix_path, mix_tokens, *mix_body) in (mix or {}).items():
            mix_file = Path(tmp) / f"tokens-{name}"
            mix_file.write_text("\n".join(mix_tokens))
            mixed.append([name, mix_path, str(mix_file), *mix_body])
        env = {
            **os.environ,
            "BENCH_SCENARIO": scenario,
            "BENCH_PATH": path,
            "BENCH_BODY": body,
            "BENCH_TOKENS": str(token_file),
            "BENCH_OUT": str(out),
            "BENCH_PER_USER": "1" if per_user else "",
            "BENCH_RATE": str(rate or ""),
            "BENCH_MIX": json.dumps(mixed) if mixed else "",
        }
        command = [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            HOST,
            "--csv",
            str(Path(tmp) / "stats"),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ]
        subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        tally = json.loads(out.read_text())
    span = (tally["last_end"] or 0) - (tally["first_start"] or 0)
    tally["rps"] = tally["ok"] / span if span > 0 else 0.0
    tally["by_name"] = {name: _summary(part) for name, part in tally.get("by_name", {}).items()}
    return _summary(tally)


def fmt(value, digits=1):
    return None if value is None else round(value, digits)


# -- the figures --------------------------------------------------------------------------------


def bench_checkin(cfg, user_ids) -> list[Figure]:
    from bench import fixtures
    from checkin.models import CheckIn

    phase, users = cfg["phase"], cfg["rush_users"]
    rush_ids = user_ids[: cfg["rush_tokens"] * 2]
    ping_tokens = tokens_for(user_ids[-cfg["rush_tokens"] :])
    log(f"check-in rush: {len(rush_ids)} entries in a round whose window opens now")
    challenge = fixtures.round_for_rush(rush_ids)
    rush_tokens = tokens_for(rush_ids)
    path = f"/api/challenges/{challenge.pk}/checkin"
    first, second = rush_tokens[: len(rush_tokens) // 2], rush_tokens[len(rush_tokens) // 2 :]
    # Baseline and subject interleaved: ping, check-in, ping; the baseline is the mean of the two.
    base_a = locust("ping", path="/api/me/ping", tokens=ping_tokens, users=users, seconds=phase)
    rush = locust("checkin", path=path, body="{}", tokens=first, users=users, seconds=phase)
    base_b = locust("ping", path="/api/me/ping", tokens=ping_tokens, users=users, seconds=phase)
    base_rps = (base_a["rps"] + base_b["rps"]) / 2
    rows = CheckIn.objects.filter(challenge=challenge).count()
    distinct = CheckIn.objects.filter(challenge=challenge).values("entry_id", "local_date").distinct().count()
    created = rush["status"].get("201", 0)
    figures = [
        Figure(
            "checkin_rush",
            ratio(rush["rps"], base_rps),
            ">=",
            0.7,
            details={
                "checkin_rps": fmt(rush["rps"]),
                "baseline_rps": fmt(base_rps),
                "concurrency": users,
                "checkins": created,
                "statuses": "/".join(f"{k}:{v}" for k, v in sorted(rush["status"].items())),
            },
            conditions={
                "zero_5xx": rush["errors_5xx"] == 0 and base_a["errors_5xx"] == 0 and base_b["errors_5xx"] == 0,
                "zero_duplicates": rows == distinct == created,
            },
        )
    ]
    # p99 at the same offered load: half the check-in throughput just measured, open pacing.
    offered = max(5.0, rush["rps"] * 0.5)
    pace_users = max(4, users // 2)
    base_p = locust(
        "ping", path="/api/me/ping", tokens=ping_tokens, users=pace_users, seconds=phase, rate=offered / pace_users
    )
    sub_p = locust(
        "checkin", path=path, body="{}", tokens=second, users=pace_users, seconds=phase, rate=offered / pace_users
    )
    figures.append(
        Figure(
            "checkin_p99",
            ratio(sub_p["p99"], base_p["p99"]),
            "<=",
            2,
            details={
                "checkin_p99_ms": fmt(sub_p["p99"]),
                "baseline_p99_ms": fmt(base_p["p99"]),
                "offered_rps": fmt(offered),
                "checkin_rps": fmt(sub_p["rps"]),
                "baseline_rps": fmt(base_p["rps"]),
            },
            conditions={"zero_5xx": sub_p["errors_5xx"] == 0 and base_p["errors_5xx"] == 0},
        )
    )
    return figures


def settle_child(mode: str, round_id: int) -> dict:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "settle_child.py"), mode, str(round_id)],
        cwd=ROOT,
        env=settings_env.bench_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        log(f"settle child {mode} failed: {result.stderr[-2000:]}")
        return {"seconds": None, "maxrss_kb": None}
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_settle(cfg, user_ids) -> list[Figure]:
    from bench import fixtures
    from points.services.audit import ledger_audit

    size = cfg["settle"]
    tenth = size // 10
    log(f"settlement: rounds of {size} and {tenth} entries, and a {size}-entry baseline round")
    small = fixtures.round_to_settle(f"{tenth}", user_ids[:tenth])
    big = fixtures.round_to_settle(f"{size}", user_ids[:size])
    raw_round = fixtures.round_to_settle(f"{size} raw", user_ids[:size])
    log("settlement: baseline (raw SQL)")
    raw = settle_child("raw", raw_round.pk)
    log(f"settlement: product round_settle of {tenth}")
    small_run = settle_child("product", small.pk)
    log(f"settlement: product round_settle of {size}")
    big_run = settle_child("product", big.pk)
    audit_ok = ledger_audit().ok
    return [
        Figure(
            "settle_1m",
            ratio(big_run["seconds"], raw["seconds"]),
            "<=",
            1.5,
            details={
                "entries": size,
                "settle_s": fmt(big_run["seconds"], 2),
                "baseline_s": fmt(raw["seconds"], 2),
                "batches": big_run.get("batches"),
            },
            conditions={"ledger_audit_clean": audit_ok},
        ),
        Figure(
            "settle_memory",
            ratio(big_run["maxrss_kb"], small_run["maxrss_kb"]),
            "<=",
            1.2,
            details={
                "entries": size,
                "peak_mb": fmt((big_run["maxrss_kb"] or 0) / 1024),
                "tenth_peak_mb": fmt((small_run["maxrss_kb"] or 0) / 1024),
                "tenth_s": fmt(small_run["seconds"], 2),
            },
        ),
    ]


def settle_on_workers(workers: int, round_ids: list[int]) -> float | None:
    """Seconds for `workers` Celery worker processes (one task at a time each, on the bench's
    Redis) to settle the rounds, each round its own `settle_round_task` as the nightly job queues
    them; None when they did not finish within ten minutes."""
    from celery import current_app

    from checkin.models import Settlement

    queue = f"bench-settle-{os.getpid()}-{time.time_ns()}"  # no stale task of an earlier run
    env = {**settings_env.bench_env(), "CELERY_EAGER": "0"}
    command = [str(VENV_BIN / "celery"), "-A", "core", "worker", "--concurrency=1", "--prefetch-multiplier=1"]
    processes = [
        subprocess.Popen(
            [*command, "-Q", queue, "-n", f"bench{n}@%h", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    try:
        for _ in range(120):  # every worker answers a ping: ready to take tasks
            answers = current_app.control.ping(timeout=1.0) or []
            if sum(1 for answer in answers for name in answer if name.startswith("bench")) >= workers:
                break
        started = time.perf_counter()
        for round_id in round_ids:
            current_app.send_task("checkin.tasks.settle_round_task", args=[round_id], queue=queue)
        while time.perf_counter() - started < 600:
            done = Settlement.objects.filter(round_id__in=round_ids, state=Settlement.State.DONE).count()
            if done == len(round_ids):
                return time.perf_counter() - started
            time.sleep(0.2)
        return None
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def bench_settle_parallel(cfg, user_ids) -> list[Figure]:
    """settle_parallel: 4 rounds settled by two Celery worker processes / by one."""
    from bench import fixtures
    from points.services.audit import ledger_audit

    size, count = cfg["parallel_settle"], 4
    log(f"parallel settlement: {count} rounds of {size} entries on one worker, then {count} on two")
    times = {}
    for workers in (1, 2):
        rounds = [fixtures.round_to_settle(f"parallel {workers}w {n}", user_ids[:size]) for n in range(count)]
        times[workers] = settle_on_workers(workers, [r.pk for r in rounds])
        log(f"parallel settlement: {workers} worker(s): {fmt(times[workers], 2)} s")
    return [
        Figure(
            "settle_parallel",
            ratio(times[2], times[1]),
            "<=",
            0.7,
            details={
                "rounds": count,
                "entries_each": size,
                "two_workers_s": fmt(times[2], 2),
                "one_worker_s": fmt(times[1], 2),
            },
            conditions={"all_settled": None not in times.values(), "ledger_audit_clean": ledger_audit().ok},
        )
    ]


def bench_rank(cfg, user_ids) -> list[Figure]:
    from bench import fixtures
    from checkin.services.leaderboards import WINNINGS, leaderboard_rebuild

    log(f"leaderboards: boards of {cfg['board']} and {cfg['board_small']} members")
    big = fixtures.board(cfg["board"], user_ids)
    small = fixtures.board(cfg["board_small"], user_ids)
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    for challenge in (big, small):
        if redis.zcard(f"checkin:lb:{challenge.pk}:{WINNINGS}") != min(len(user_ids), int(challenge.title.split()[-1])):
            log(f"leaderboards: building the Redis board of challenge {challenge.pk}")
            leaderboard_rebuild(challenge=challenge, board=WINNINGS)
    # Callers spread over the board (each sees its own rank).
    step = max(1, cfg["board"] // 500)
    big_tokens = tokens_for(user_ids[: cfg["board"] : step])
    small_tokens = tokens_for(user_ids[: cfg["board_small"] : max(1, cfg["board_small"] // 500)])
    users, phase = cfg["rank_users"], cfg["rank_phase"]
    kwargs = {"users": users, "seconds": phase, "per_user": False, "rate": cfg["rank_rate"] / users}
    board_path = "/api/challenges/{}/leaderboard?board=winnings&limit=20"

    def cycle(tokens):
        return (tokens * (1 + (cfg["rank_rate"] * phase * 2) // max(1, len(tokens))))[: cfg["rank_rate"] * phase * 2]

    # One run, the three endpoints in turn (ping, the 1M board, the 10k board): each compared pair
    # meets the same moments of this shared machine (separate phases measured its drift, not the
    # boards). A short run first, not measured: each server thread's first board read opens its
    # connections and prepares its statements.
    mix = {
        "ping": ("/api/me/ping", cycle(big_tokens)),
        "big": (board_path.format(big.pk), cycle(big_tokens)),
        "small": (board_path.format(small.pk), cycle(small_tokens)),
    }
    rate = {**kwargs, "rate": kwargs["rate"] * len(mix)}  # rank_rate requests/s for each endpoint
    locust("rank", path="", tokens=[""], mix=mix, **{**rate, "seconds": 3})
    run = locust("rank", path="", tokens=[""], mix=mix, **rate)["by_name"]
    base, on_big, on_small = run["ping"], run["big"], run["small"]
    big_p50, big_p99, base_p50 = on_big["p50"], on_big["p99"], base["p50"]
    ok5 = all(t["errors_5xx"] == 0 for t in (base, on_big, on_small))
    return [
        Figure(
            "rank_1m",
            ratio(big_p50, base_p50),
            "<=",
            1.1,
            details={
                "members": cfg["board"],
                "rank_p50_ms": fmt(big_p50),
                "baseline_p50_ms": fmt(base_p50),
                "offered_rps": cfg["rank_rate"],
            },
            conditions={"zero_5xx": ok5},
        ),
        Figure(
            "rank_growth",
            ratio(big_p99, on_small["p99"]),
            "<=",
            1.2,
            details={
                "p99_1m_ms": fmt(big_p99),
                "p99_10k_ms": fmt(on_small["p99"]),
                "small_members": cfg["board_small"],
            },
            conditions={"zero_5xx": ok5},
        ),
    ]


def ping_around(cfg, tokens: list[str], users: int, subject):
    """Baseline and subject interleaved: ping, the subject, ping; returns (subject's tally, the
    mean ping rate, whether any of the three answered 5xx). Each simulated user pings with its own
    token for the whole phase, as the subject's users do: with a token per request the baseline
    was one request per token, a burst of 100 new connections instead of a rate (finding 31)."""
    base_a = locust("ping", path="/api/me/ping", tokens=tokens, users=users, seconds=cfg["phase"], per_user=True)
    tally = subject()
    base_b = locust("ping", path="/api/me/ping", tokens=tokens, users=users, seconds=cfg["phase"], per_user=True)
    return tally, (base_a["rps"] + base_b["rps"]) / 2, base_a["errors_5xx"] + base_b["errors_5xx"] > 0


def statuses(tally) -> str:
    return "/".join(f"{k}:{v}" for k, v in sorted(tally["status"].items()))


def bench_redeem(cfg, user_ids) -> list[Figure]:
    """redeem_flash: successful redemptions per second of one product with ample stock, 100 buyers
    at once, against me/ping at the same concurrency."""
    from bench import fixtures
    from mall.models import Coupon, Order

    buyers = fixtures.buyers_slice(user_ids, cfg, "buyers")
    stock = cfg["flash_stock"]
    log(f"flash redemption: {len(buyers)} buyers, stock {stock}")
    fixtures.buyers_fund(buyers, 10 * stock)
    product = fixtures.flash_product(stock)
    tokens = tokens_for(buyers)
    body = json.dumps({"product": product.pk, "quantity": 1})
    tally, base_rps, base_5xx = ping_around(
        cfg,
        tokens,
        len(buyers),
        lambda: locust(
            "redeem",
            path="/api/mall/redemptions",
            body=body,
            tokens=tokens,
            users=len(buyers),
            seconds=cfg["phase"],
            per_user=True,
        ),
    )
    product.refresh_from_db()
    orders = Order.objects.filter(product=product).exclude(status=Order.Status.CANCELLED).count()
    oversell = product.stock < 0 or orders != stock - product.stock
    oversell = oversell or Coupon.objects.filter(product=product).count() != orders
    return [
        Figure(
            "redeem_flash",
            ratio(tally["rps"], base_rps),
            ">=",
            0.5,
            details={
                "redeem_rps": fmt(tally["rps"]),
                "baseline_rps": fmt(base_rps),
                "buyers": len(buyers),
                "orders": orders,
                "p50_ms": fmt(tally["p50"]),
                "statuses": statuses(tally),
            },
            conditions={"zero_oversell": not oversell, "zero_5xx": tally["errors_5xx"] == 0 and not base_5xx},
        )
    ]


def bench_sellout(cfg, user_ids) -> list[Figure]:
    """flash_sellout: a product with stock 100 and 2,000 funded buyers sending one redemption each
    as fast as they can; out_of_stock answers per second after the sell-out against me/ping at the
    same concurrency (one request per distinct user for both), and the seconds to the sell-out."""
    from bench import fixtures
    from mall.models import Order, Product

    buyers = fixtures.buyers_slice(user_ids, cfg, "sellout_buyers")
    stock, users = cfg["sellout_stock"], cfg["buyers"]
    log(f"flash sell-out: {len(buyers)} buyers, one request each, {users} at once, stock {stock}")
    fixtures.buyers_fund(buyers, 100)
    product = fixtures.flash_product(stock, per_user_limit=1)
    tokens = tokens_for(buyers)
    sold_out_at: list[float] = []
    stop = threading.Event()

    def watch():  # when the stock reaches 0, seen from outside (a read every 20 ms)
        import psycopg

        with psycopg.connect(settings_env.bench_env()["DATABASE_URL"], autocommit=True) as conn:
            while not stop.is_set():
                left = conn.execute("SELECT stock FROM points_product WHERE id = %s", [product.pk]).fetchone()[0]
                if left == 0:
                    sold_out_at.append(time.time())
                    return
                time.sleep(0.02)

    body = json.dumps({"product": product.pk, "quantity": 1})
    watcher = threading.Thread(target=watch)
    watcher.start()
    seconds = max(cfg["phase"], 10)
    rush = locust("sellout", path="/api/mall/redemptions", body=body, tokens=tokens, users=users, seconds=seconds)
    stop.set()
    watcher.join()
    base = locust("ping", path="/api/me/ping", tokens=tokens, users=users, seconds=seconds)
    refused = rush["status"].get("409", 0)
    after = (rush["last_end"] - sold_out_at[0]) if sold_out_at else None
    sellout_rps = refused / after if after else None
    orders = Order.objects.filter(product=product).exclude(status=Order.Status.CANCELLED).count()
    left = Product.objects.get(pk=product.pk).stock
    return [
        Figure(
            "flash_sellout",
            ratio(sellout_rps, base["rps"]),
            ">=",
            0.9,
            details={
                "refused_rps": fmt(sellout_rps),
                "baseline_rps": fmt(base["rps"]),
                "to_sellout_s": fmt(sold_out_at[0] - rush["first_start"], 2) if sold_out_at else None,
                "buyers": len(buyers),
                "orders": orders,
                "statuses": statuses(rush),
            },
            conditions={
                "exactly_stock_orders": orders == stock and left == 0,
                "zero_5xx": rush["errors_5xx"] == 0 and base["errors_5xx"] == 0,
            },
        )
    ]


def bench_lottery(cfg, user_ids) -> list[Figure]:
    """lottery_draw: successful draws per second of one lottery whose prizes have little stock, 100
    users at once, against me/ping."""
    from bench import fixtures
    from campaigns.lottery.models import LotteryDraw

    players = fixtures.buyers_slice(user_ids, cfg, "buyers")
    log(f"lottery: {len(players)} players drawing as fast as answered")
    fixtures.buyers_fund(players, 100_000)
    lottery, prizes = fixtures.lottery_with_stock()
    tokens = tokens_for(players)
    tally, base_rps, base_5xx = ping_around(
        cfg,
        tokens,
        len(players),
        lambda: locust(
            "draw",
            path=f"/api/lotteries/{lottery.pk}/draw",
            body="{}",
            tokens=tokens,
            users=len(players),
            seconds=cfg["phase"],
            per_user=True,
        ),
    )
    oversold = []
    for prize in prizes:
        prize.refresh_from_db()
        won = LotteryDraw.objects.filter(prize=prize).count()
        if prize.stock is not None and (
            prize.stock < 0 or won != fixtures.LOTTERY_PRIZE_STOCK[prize.name] - prize.stock
        ):
            oversold.append(prize.name)
    return [
        Figure(
            "lottery_draw",
            ratio(tally["rps"], base_rps),
            ">=",
            0.5,
            details={
                "draw_rps": fmt(tally["rps"]),
                "baseline_rps": fmt(base_rps),
                "players": len(players),
                "draws": LotteryDraw.objects.filter(lottery=lottery).count(),
                "p50_ms": fmt(tally["p50"]),
                "statuses": statuses(tally),
            },
            conditions={"zero_oversold": not oversold, "zero_5xx": tally["errors_5xx"] == 0 and not base_5xx},
        )
    ]


def bench_redpacket(cfg, user_ids) -> list[Figure]:
    """redpacket_open: friends' opens per second across many packets (the requests take the packets
    in turn), against me/ping at the same concurrency."""
    from bench import fixtures
    from campaigns.redpacket.models import RedPacket, RedPacketOpen

    friends = fixtures.buyers_slice(user_ids, cfg, "buyers")
    packets = fixtures.redpackets_started(
        fixtures.buyers_slice(user_ids, cfg, "packets"), needed=fixtures.REDPACKET_NEEDED
    )
    log(f"red packets: {len(friends)} friends opening {len(packets)} packets")
    tokens = tokens_for(friends)
    mix = {}
    for i, packet in enumerate(packets):
        turn = tokens[i % len(tokens) :] + tokens[: i % len(tokens)]  # each packet its own order of friends
        mix[f"p{packet.pk}"] = (f"/api/redpackets/{packet.pk}/open", turn, "{}")
    run, base_rps, base_5xx = ping_around(
        cfg,
        tokens,
        len(friends),
        lambda: locust("open", path="", tokens=[""], users=len(friends), seconds=cfg["phase"], mix=mix),
    )
    opened = sum(t["status"].get("200", 0) for t in run["by_name"].values())
    open_rps = run["rps"]
    broken = []
    for packet in RedPacket.objects.filter(pk__in=[p.pk for p in packets]):
        shares = sum(RedPacketOpen.objects.filter(packet=packet).values_list("amount", flat=True))
        if shares != packet.pool_paid or (packet.status == RedPacket.Status.PAID and shares != packet.pool):
            broken.append(packet.pk)
    return [
        Figure(
            "redpacket_open",
            ratio(open_rps, base_rps),
            ">=",
            0.5,
            details={
                "open_rps": fmt(open_rps),
                "baseline_rps": fmt(base_rps),
                "packets": len(packets),
                "friends": len(friends),
                "opens": opened,
            },
            conditions={"shares_sum_to_pools": not broken, "zero_5xx": run["errors_5xx"] == 0 and not base_5xx},
        )
    ]


def bench_poster(cfg, user_ids) -> list[Figure]:
    posters = user_ids[-cfg["poster_users"] :]
    tokens = tokens_for(posters)
    log(f"posters: composing {len(tokens)} posters once (cache warm-up)")
    for token in tokens:
        request = urllib.request.Request(f"{HOST}/api/referral/poster", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
    users, phase = cfg["rush_users"], cfg["phase"]
    many = tokens * (20000 // len(tokens))
    base = locust("ping", path="/api/me/ping", tokens=many, users=users, seconds=phase)
    cached = locust("poster", path="/api/referral/poster", tokens=many, users=users, seconds=phase)
    return [
        Figure(
            "poster_cached",
            ratio(cached["rps"], base["rps"]),
            ">=",
            0.8,
            details={"poster_rps": fmt(cached["rps"]), "baseline_rps": fmt(base["rps"]), "concurrency": users},
            conditions={"zero_5xx": cached["errors_5xx"] == 0 and base["errors_5xx"] == 0},
        )
    ]


# -- main ---------------------------------------------------------------------------------------

STEPS = [
    ("checkin", bench_checkin),
    ("rank", bench_rank),
    ("redeem", bench_redeem),
    ("sellout", bench_sellout),
    ("lottery", bench_lottery),
    ("redpacket", bench_redpacket),
    ("poster", bench_poster),
    ("settle", bench_settle),
    ("parallel", bench_settle_parallel),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a run under five minutes (100,000-entry settlement)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated: checkin,rank,redeem,sellout,lottery,redpacket,poster,settle,parallel (default: all)",
    )
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    only = set(filter(None, args.only.split(","))) or {name for name, _step in STEPS}
    started = time.time()
    database_ensure()
    django_setup()
    from bench import fixtures

    needed = max(cfg["settle"], cfg["board"]) + fixtures.tail_users(cfg)
    log(f"users: ensuring {needed} bench users with wallets")
    user_ids = fixtures.users_ensure(needed)
    log(
        f"{'quick' if args.quick else 'full'} run; gunicorn {WORKERS}x{THREADS} gthread, "
        f"{os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    figures: list[Figure] = []
    with Server():
        for name, step in STEPS:
            if name in only:
                figures += step(cfg, user_ids)
    for figure in figures:
        print(figure.line(), flush=True)
    missed = [f.name for f in figures if not f.met]
    log(f"done in {time.time() - started:.0f}s; goals missed: {', '.join(missed) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
