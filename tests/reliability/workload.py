"""A mixed workload, Jepsen style: many phones hit every write endpoint at once, then the books are checked.

The engine shared by the suite test (tests/reliability/test_mixed_workload.py) and the soak
runner (tests/reliability/soak.py):

- `build_world(seed=..., users=...)` sets up, through the project's services and factories, a
  world to act in: funded wallets (ledger postings from issuance), mall products with small
  stock and per-user limits, referral reward rules, group-buy offers (one for new users only, one
  whose product has a per-user limit), assist campaigns paid in points and in a product, a
  bargain, a daily challenge and a multi-day challenge with makeups, both with a round running
  today (window 00:00-23:59) and entries in it.
- `run_workload(world, seconds=..., threads=...)` starts one thread per home user; each thread
  draws operations from `OPERATIONS` (name, weight, function) with its own `random.Random`
  derived from the master seed, and sends them through the real URL routing and views with an
  `APIClient` and a Bearer token, as a phone would. Some operations race two or three requests
  on purpose (a double tap, a double refresh, the last seats of a group, one user taking a
  one-per-user product two ways, a newcomer joining a new-users-only group while redeeming, two
  users verifying one number, new users helping each other's tasks at the same instant to close
  a referral cycle, a member deleting their account while one of their phones redeems or joins
  a group, or a friend fills their group or completes their task). An operator meanwhile refunds
  groups and closes tasks, and the nightly sweep of deleted accounts runs (services: there is no
  endpoint for them). Every answer is recorded, 5xx with their exception and where it was raised.
- `check_invariants(world)` returns the broken invariants as a list of sentences (empty: all
  hold); `deadlock_count()` reads PostgreSQL's deadlock counter of the current database;
  `Recorder.summary()` prints status counts per endpoint, 5xx with their exception and location,
  503 busy and every status the endpoint does not document.

The world is built in the caller's thread (and transaction-less connection); only the workload
runs in threads, each closing its database connection at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import logging
import random
import re
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import CommandError, call_command
from django.core.signals import got_request_exception
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.test import override_settings
from rest_framework.test import APIClient

# -- knobs --------------------------------------------------------------------------------------

# Phone numbers shared on purpose by many users (fake WeChat: the phone code is the number).
PHONE_POOL = [f"1390000{n:04d}" for n in range(6)]
# At most this many racing groups (double taps, rings) at once: each holds 2-3 extra connections.
RACE_SLOTS = 6
# 503 busy is tolerated only below this share of all requests (the target is zero).
BUSY_MAX_SHARE = 0.005
# "No two users with the same verified phone" (one phone, one account: me/phone answers 409
# phone_in_use). Off, only the weaker referral rule is checked: a number earns one phone reward.
PHONE_ONE_ACCOUNT = True
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A request whose token was good when sent, from a member whose deletion committed first.
DELETED_ACCOUNT_401 = {"user_inactive", "authentication_failed"}

# The 2xx and 4xx answers each endpoint documents (docs/API.md, the services' error codes).
# A status mapped to None accepts any code.
EXPECTED: dict[str, dict[int, set[str] | None]] = {
    "POST auth/wechat/login": {200: None},
    "POST auth/refresh": {200: None, 401: {"token_not_valid"}},
    "POST me/phone": {200: None, 409: {"phone_in_use"}},
    "POST points/signin": {200: None, 409: {"already_signed_in"}},
    "POST lotteries/{id}/draw": {200: None, 201: None, 400: {"insufficient_points"}, 409: {"no_draws_left"}},
    "POST quiz/today": {200: None, 400: {"invalid"}, 409: {"already_answered"}},
    "POST points/tasks/{code}/complete": {200: None, 409: {"task_already_done", "task_daily_cap_reached"}},
    "POST challenges/{id}/join": {
        201: None,
        400: {"insufficient_points"},
        409: {"already_joined", "enrollment_closed", "round_full"},
    },
    "POST challenges/{id}/checkin": {
        200: None,
        201: None,
        404: {"not_enrolled"},
        409: {"checkin_window_closed", "visit_required"},
    },
    "GET me/member-code": {200: None, 401: DELETED_ACCOUNT_401},
    # A member deleted meanwhile has no valid code any more (404 member_code_invalid).
    "POST staff/visits": {200: None, 404: {"member_code_invalid"}},
    "POST challenges/{id}/makeup": {
        201: None,
        400: {"insufficient_points", "invalid_makeup_date"},
        404: {"not_enrolled"},
        409: {"already_checked_in", "no_makeup_left", "makeup_not_allowed"},
    },
    "POST mall/redemptions": {
        200: None,
        201: None,
        400: {"insufficient_points"},
        401: DELETED_ACCOUNT_401,  # a phone of a member deleting their account at that instant
        409: {"out_of_stock", "limit_reached"},
    },
    "POST mall/redemptions/{id}/cancel": {200: None, 409: {"invalid_state", "already_used", "coupon_expired"}},
    # The store verifies a voucher (its order completes: the inviter's commission is paid), some
    # while the customer cancels the same order.
    "POST staff/coupons/verify": {200: None, 409: {"already_used", "coupon_cancelled"}},
    "POST groupbuys/offers/{id}/open": {
        201: None,
        400: {"insufficient_points"},
        409: {"out_of_stock", "limit_reached", "offer_sold_out"},
    },
    "POST groupbuys/groups/{id}/join": {
        200: None,
        400: {"insufficient_points"},
        401: DELETED_ACCOUNT_401,
        403: {"new_users_only"},
        409: {"group_full", "group_closed", "already_member", "out_of_stock", "limit_reached"},
    },
    "POST assists/campaigns/{id}/start": {200: None, 201: None, 409: {"limit_reached", "out_of_stock"}},
    "POST assists/tasks/{id}/help": {
        200: None,
        409: {"already_helped", "cannot_help_self", "task_closed", "help_limit_reached"},
    },
    "POST assists/tasks/{id}/redeem": {
        200: None,
        201: None,
        400: {"insufficient_points"},
        409: {"task_closed", "out_of_stock", "limit_reached"},
    },
    "POST redpackets/campaigns/{id}/start": {200: None, 201: None, 409: {"limit_reached"}},
    "POST redpackets/{id}/open": {
        200: None,
        409: {"already_opened", "cannot_open_own", "packet_closed", "open_limit_reached"},
    },
    # Account deletion (docs/privacy.md): always 204, the same for a second tap.
    "DELETE me": {204: None},
    # Operators' closes (the admin's manual refund / close), called as services, not over HTTP.
    "SERVICE groupbuy_group_expire": {200: None},
    "SERVICE assist_task_expire": {200: None},
    "SERVICE redpacket_expire": {200: None},
    # The nightly sweep of deleted accounts (points that reached them afterwards), as a service.
    "SERVICE accounts_deleted_sweep": {200: None},
}


# -- the world ----------------------------------------------------------------------------------


@dataclass
class Actor:
    """A mini-program user as a phone knows them: tokens and their own referral code."""

    user_id: int
    access: str
    refresh: str
    code: str
    access_made: float = field(default_factory=time.monotonic)

    def bearer(self) -> str:
        if time.monotonic() - self.access_made > 45 * 60:  # access tokens live 60 minutes
            from rest_framework_simplejwt.tokens import AccessToken

            from core.models import User

            self.access, self.access_made = str(AccessToken.for_user(User(pk=self.user_id))), time.monotonic()
        return f"Bearer {self.access}"


@dataclass
class World:
    seed: int
    actors: list[Actor]
    homes: int  # the first `homes` actors are the threads' home users
    today: dt.date
    daily_id: int
    multi_id: int
    makeup_days: list[dt.date]
    mall_products: list[int]
    offers: dict[str, int]
    campaigns: dict[str, int]
    task_codes: list[str]
    products: dict[str, int]
    initial_stock: dict[int, int]
    lock: threading.Lock = field(default_factory=threading.Lock)
    race_slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(RACE_SLOTS))
    groups: list[tuple[int, int]] = field(default_factory=list)  # (group id, leader id)
    tasks: list[tuple[int, int, str]] = field(default_factory=list)  # (task id, starter id, campaign key)
    packets: list[tuple[int, int]] = field(default_factory=list)  # (red packet id, starter id)
    closed_packets: set[int] = field(default_factory=set)  # red packets seen filled or closed
    orders_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    bargains_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    last_key_of: dict[int, tuple[str, int]] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))  # login codes, keys, phones
    closed: set[int] = field(default_factory=set)  # groups (id) and tasks (-id) seen closed or full
    # Members who asked to delete their account: user id -> the referral rows they were in before;
    # and those whose DELETE me answered 204.
    deleted: dict[int, set[int]] = field(default_factory=dict)
    deleted_ok: set[int] = field(default_factory=set)

    def add_actor(self, actor: Actor) -> None:
        with self.lock:
            self.actors.append(actor)

    def random_actor(self, rng: random.Random) -> Actor:
        with self.lock:
            return rng.choice(self.actors)

    def add_group(self, group_id: int, leader_id: int) -> None:
        with self.lock:
            if all(g != group_id for g, _l in self.groups):
                self.groups.append((group_id, leader_id))

    def add_task(self, task_id: int, starter_id: int, campaign: str) -> None:
        with self.lock:
            if all(t != task_id for t, _s, _c in self.tasks):
                self.tasks.append((task_id, starter_id, campaign))
                if campaign == "bargain":
                    self.bargains_of[starter_id].append(task_id)

    def recent_group(self, rng: random.Random, *, not_led_by: int | None = None) -> int | None:
        """A recent group of someone else, mostly one still believed open (a full one now and then)."""
        with self.lock:
            recent = [(g, leader) for g, leader in self.groups[-40:] if rng.random() < 0.2 or g not in self.closed]
            pool = [g for g, leader in recent if leader != not_led_by] or [g for g, _l in recent]
        return rng.choice(pool) if pool else None

    def recent_task(self, rng: random.Random, *, not_started_by: int | None = None) -> int | None:
        """A recent task of someone else, mostly one still believed open."""
        with self.lock:
            recent = [(t, s) for t, s, _c in self.tasks[-50:] if rng.random() < 0.2 or -t not in self.closed]
            pool = [t for t, s in recent if s != not_started_by] or [t for t, _s in recent]
        return rng.choice(pool) if pool else None

    def note_closed(self, *, group: int | None = None, task: int | None = None) -> None:
        """Remember a group (id) or task (-id) that answered closed or full, to pick it less often."""
        with self.lock:
            self.closed.add(group if group is not None else -task)


def _local_noon(day: dt.date) -> dt.datetime:
    from core.clock import site_zone

    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=site_zone())


def _fund(user, amount: int, key: str) -> None:
    from points.models import Transaction
    from points.services.ledger import account_for_user, account_issuance, ledger_post

    ledger_post(
        kind=Transaction.Kind.ADMIN_ADJUST,
        key=key,
        legs=[(account_issuance(), -amount), (account_for_user(user), amount)],
        memo="workload funding",
    )


def build_world(*, seed: int, users: int = 40) -> World:
    """Create everything the workload acts on, through factories and services. Returns the World."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from campaigns.assist.models import AssistCampaign
    from core.clock import local_today, now
    from mall.models import Product
    from points.models import PointsTask, SigninReward
    from referral.models import Milestone, Referral, RewardRule
    from referral.services import referral_profile_ensure
    from tests.campaigns.assist.factories import AssistCampaignFactory, BargainCampaignFactory
    from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory
    from tests.checkin.factories import ChallengeFactory, MultiDayChallengeFactory
    from tests.mall.factories import ProductFactory
    from tests.points.factories import PointsTaskFactory
    from tests.referral.factories import UserFactory

    rng = random.Random(seed)
    today = local_today()

    # Points: sign-in rewards, server tasks (registration, phone, first check-in) and two tasks
    # the app completes itself (daily, and unlimited under a daily cap).
    for day, points in [(1, 5), (2, 6), (3, 8), (7, 20)]:
        SigninReward.objects.get_or_create(day=day, defaults={"points": points})
    for code, points in [("welcome", 100), ("phone_verified", 50), ("first_checkin", 10)]:
        PointsTask.objects.get_or_create(
            code=code,
            defaults={"title": code, "points": points, "frequency": PointsTask.Frequency.ONCE},
        )
    share = PointsTaskFactory(code=f"wl-share-{seed}", points=5, frequency=PointsTask.Frequency.DAILY)
    read = PointsTaskFactory(code=f"wl-read-{seed}", points=2, frequency=PointsTask.Frequency.UNLIMITED, daily_cap=3)
    # A level every member holds, whose privileges the paths apply (docs/membership.md): 10% off the
    # mall's redemptions, one more free draw a day, one more makeup card a month.
    from points.models import Level

    Level.objects.update_or_create(
        threshold=0,
        defaults={
            "name": "wl level",
            "discount_percent": 10,
            "extra_lottery_draws_per_day": 1,
            "extra_makeups_per_month": 1,
        },
    )
    _lottery_world()  # a paid wheel with a points prize and a voucher prize, both of small stock
    _quiz_and_share_world()  # the daily quiz's bank, and the share task a friend's open pays

    # Referral: rewards on registration, phone verification (with a milestone) and first redemption.
    phone_rule = RewardRule.objects.create(
        name="wl phone", trigger=RewardRule.Trigger.PHONE_VERIFIED, inviter_points=50, invitee_points=20
    )
    Milestone.objects.create(rule=phone_rule, friends=3, points=100)
    RewardRule.objects.create(
        name="wl registered",
        trigger=RewardRule.Trigger.REGISTERED,
        inviter_points=5,
        invitee_points=5,
        requires_phone=False,
        qualifies=False,
    )
    RewardRule.objects.create(
        name="wl first redemption",
        trigger=RewardRule.Trigger.FIRST_REDEMPTION,
        inviter_points=30,
        invitee_points=0,
        requires_phone=False,
    )
    # Distribution commission: 10% of friends' redemptions, a cap the run reaches (docs/commission.md).
    from referral.models import CommissionRule

    CommissionRule.objects.create(name="wl commission", percent=10, days=0, monthly_cap=COMMISSION_CAP)
    _verifier_world()

    # The mall: small stock, per-user limits; some products are also sold by group-buys and assists.
    products = {
        "mall_a": ProductFactory(name="wl A", price=40, stock=6, per_user_limit=1),
        "mall_b": ProductFactory(name="wl B", price=60, stock=4, per_user_limit=1),
        "mall_c": ProductFactory(name="wl C", kind=Product.Kind.COUPON, price=15, stock=30, per_user_limit=3),
        "gb_plain": ProductFactory(name="wl group", price=80, stock=15),
        "gb_new": ProductFactory(name="wl newcomer group", price=80, stock=12),
        "gb_limited": ProductFactory(name="wl limited group", price=50, stock=10, per_user_limit=1),
        "assist_prize": ProductFactory(name="wl assist prize", price=100, stock=6, per_user_limit=1),
        "bargain_item": ProductFactory(name="wl bargain", price=200, stock=8),
    }
    offers = {
        "plain": GroupBuyOfferFactory(product=products["gb_plain"], group_size=3, price=30),
        "new_users": GroupBuyOfferFactory(product=products["gb_new"], group_size=2, price=20, new_users_only=True),
        "limited": GroupBuyOfferFactory(product=products["gb_limited"], group_size=3, price=25),
    }
    campaigns = {
        "assist_points": AssistCampaignFactory(
            reward_points=30, helpers_required=3, tasks_per_user=0, helps_per_day=10
        ),
        "assist_product": AssistCampaignFactory(
            reward_kind=AssistCampaign.RewardKind.PRODUCT,
            reward_points=0,
            product=products["assist_prize"],
            helpers_required=2,
            new_user_counts_double=True,
            helps_per_day=10,
        ),
        "bargain": BargainCampaignFactory(
            product=products["bargain_item"], floor_price=20, helpers_required=3, tasks_per_user=0, helps_per_day=10
        ),
    }

    _redpacket_world()  # a red packet campaign (campaigns/redpacket)

    # Challenges whose window covers the whole day, each with a round running today.
    daily = ChallengeFactory(
        title="wl daily", window_start=dt.time(0, 0), window_end=dt.time(23, 59), stake_min=10, stake_max=50
    )
    multi = MultiDayChallengeFactory(
        title="wl multi",
        start_date=today - dt.timedelta(days=2),
        duration_days=6,
        required_days=3,
        window_start=dt.time(0, 0),
        window_end=dt.time(23, 59),
        makeup_limit=2,
        makeup_cost=5,
        stake_min=10,
        stake_max=40,
    )

    # Users: half joined a month ago, half today (new: a share may still bind them); funded;
    # a few already invited by another (chains a cycle could close on).
    people, actors = [], []
    for index in range(users):
        user = UserFactory(nickname=f"wl{index}")
        if index % 2 == 0:
            type(user).objects.filter(pk=user.pk).update(date_joined=now() - dt.timedelta(days=30))
        _fund(user, rng.randint(400, 1500), f"wl:fund:{seed}:{user.pk}")
        profile = referral_profile_ensure(user=user)
        refresh = RefreshToken.for_user(user)
        actors.append(Actor(user.pk, str(refresh.access_token), str(refresh), profile.code))
        people.append(user)
    for inviter, invitee in zip(people[0:8:2], people[1:9:2], strict=False):
        Referral.objects.create(inviter=inviter, invitee=invitee)

    # Entries in today's rounds: joined yesterday (daily) or the day before the multi-day round.
    _enrol(people, daily, rng=rng, on=today - dt.timedelta(days=1))
    _enrol(people, multi, rng=rng, on=multi.start_date - dt.timedelta(days=1))

    _visit_world(people, rng=rng, today=today)  # an attendance challenge and a clerk at the desk

    return World(
        seed=seed,
        actors=actors,
        homes=len(actors),
        today=today,
        daily_id=daily.pk,
        multi_id=multi.pk,
        makeup_days=[multi.start_date, multi.start_date + dt.timedelta(days=1)],
        mall_products=[products[k].pk for k in ("mall_a", "mall_b", "mall_c", "gb_limited", "assist_prize")],
        offers={key: offer.pk for key, offer in offers.items()},
        campaigns={key: campaign.pk for key, campaign in campaigns.items()},
        task_codes=[share.code, read.code],
        products={key: product.pk for key, product in products.items()},
        initial_stock={product.pk: product.stock for product in products.values()},
    )


def _enrol(people, challenge, *, rng: random.Random, on: dt.date) -> None:
    """Three users in four join `challenge` at noon of `on`, each with a stake in its range.
    Setup is not under test: the lock-order tripwire (core.locks) stays off for it, so a path the
    run itself reports (a join posting the stake, then the bonus) cannot stop the setup."""
    import time_machine

    from checkin.services import challenge_join

    with override_settings(LOCK_ORDER_CHECK=False), time_machine.travel(_local_noon(on), tick=True):
        for user in people:
            if rng.random() < 0.75:
                challenge_join(
                    user=user, challenge=challenge, stake=rng.randint(challenge.stake_min, challenge.stake_max)
                )


def replenish(world: World, *, rng: random.Random, round_no: int) -> None:
    """Between soak epochs: operators top up stock (logged as stock changes) and wallets (ledger),
    so the soak keeps exercising the success paths and not only the refusals."""
    from django.db import transaction

    from core.models import User
    from mall.models import Product, StockLog

    for product in Product.objects.filter(pk__in=world.initial_stock):
        change = rng.randint(2, 6)
        with transaction.atomic():  # as mall.services.product_stock_adjust does
            Product.objects.filter(pk=product.pk).update(stock=F("stock") + change)
            after = Product.objects.values_list("stock", flat=True).get(pk=product.pk)
            StockLog.objects.create(
                product=product, before=after - change, after=after, change=change, reason=f"soak epoch {round_no}"
            )
    with world.lock:
        ids = [a.user_id for a in world.actors]
    for user in User.objects.filter(pk__in=ids):
        _fund(user, rng.randint(100, 400), f"wl:topup:{world.seed}:{round_no}:{user.pk}")


# -- recording ----------------------------------------------------------------------------------


_exc_local = threading.local()


def _on_request_exception(sender, request=None, **kwargs):
    """Django signals an unhandled view exception in the thread that handles the request."""
    _exc_local.exc = sys.exc_info()


def _where(tb, depth: int = 5) -> str:
    """The innermost frames of the project (not a library, not the lock tripwire that only
    reports): `path:line in function < caller < caller`."""
    frames = traceback.extract_tb(tb)
    ours = [
        f
        for f in frames
        if str(PROJECT_ROOT) in f.filename
        and ".venv" not in f.filename
        and "/tests/" not in f.filename
        and not f.filename.endswith("core/locks.py")
    ]
    picked = list(reversed((ours or frames)[-depth:]))
    places = []
    for frame in picked:
        path = Path(frame.filename)
        with contextlib.suppress(ValueError):
            path = path.relative_to(PROJECT_ROOT)
        places.append(f"{path}:{frame.lineno} in {frame.name}")
    return " < ".join(places) or "?"


def describe_exception(exc_info) -> str:
    """`Type: message @ where`, with the numbers of the message folded (ids differ every time), so
    the same bug counts as one line."""
    _type, value, tb = exc_info
    text = str(value).strip()
    message = text.splitlines()[0][:200] if text else ""
    message = re.sub(r"\[[\d, ]+\]", "[N]", re.sub(r"\b\d+\b", "N", message))
    return f"{type(value).__name__}: {message} @ {_where(tb)}"


@dataclass
class Call:
    op: str
    endpoint: str
    status: int
    code: str
    error: str = ""  # for a 5xx: the exception and where it was raised


class Recorder:
    """Every answer of the run, with counts by endpoint and status, and the 5xx in detail."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.workload_errors: list[str] = []  # bugs in this engine, not in the service
        self.lock_retries: Counter = Counter()  # core.locks warnings (a service retried a lost race)
        self.lock_order_logged: Counter = Counter()  # out-of-order locks logged (LOCK_ORDER_CHECK off)
        self.deadlocks: list[str] = []  # PostgreSQL's account of each deadlock seen in an answer
        self.ops: Counter = Counter()

    def deadlock(self, text: str) -> None:
        with self.lock:
            if len(self.deadlocks) < 50:
                self.deadlocks.append(text)

    def add(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def workload_error(self, text: str) -> None:
        with self.lock:
            self.workload_errors.append(text)

    # figures

    def by_endpoint(self) -> dict[str, Counter]:
        table: dict[str, Counter] = defaultdict(Counter)
        for call in self.calls:
            table[call.endpoint][f"{call.status} {call.code}".strip()] += 1
        return table

    def server_errors(self) -> list[Call]:
        return [c for c in self.calls if c.status >= 500 and not self.is_busy(c)]

    @staticmethod
    def is_busy(call: Call) -> bool:
        return call.status == 503 and call.code == "busy"

    def busy(self) -> list[Call]:
        return [c for c in self.calls if self.is_busy(c)]

    def unexpected(self) -> list[Call]:
        found = []
        for call in self.calls:
            if call.status >= 500:
                continue
            allowed = EXPECTED.get(call.endpoint, {})
            if call.status not in allowed or (
                allowed[call.status] is not None and call.code not in allowed[call.status]
            ):
                found.append(call)
        return found

    def failures(self) -> list[str]:
        """What fails a run on the answers alone: any 5xx but 503 busy, busy beyond a rare share,
        and any error of the workload engine itself."""
        problems = []
        errors = Counter(f"{c.endpoint} -> {c.status} {c.error or c.code}" for c in self.server_errors())
        problems += [f"{n} x {text}" for text, n in errors.most_common()]
        busy = len(self.busy())
        if self.calls and busy / len(self.calls) > BUSY_MAX_SHARE:
            problems.append(f"503 busy on {busy} of {len(self.calls)} requests (over {BUSY_MAX_SHARE:.1%})")
        problems += [f"workload error: {text}" for text in self.workload_errors]
        return problems

    def summary(self) -> str:
        lines = [f"requests: {len(self.calls)}; operations run: {dict(self.ops.most_common())}"]
        lines.append("status counts per endpoint:")
        for endpoint, counts in sorted(self.by_endpoint().items()):
            parts = ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))
            lines.append(f"  {endpoint:40} {sum(counts.values()):6}  {parts}")
        errors = Counter(f"{c.endpoint} -> {c.status} {c.error or c.code}" for c in self.server_errors())
        lines.append(f"5xx (not busy): {sum(errors.values())}")
        lines += [f"  {n:5} x {text}" for text, n in errors.most_common()]
        lines.append(f"503 busy: {len(self.busy())} (target 0)")
        unexpected = Counter(f"{c.endpoint} -> {c.status} {c.code}" for c in self.unexpected())
        lines.append(f"undocumented statuses: {sum(unexpected.values())}")
        lines += [f"  {n:5} x {text}" for text, n in unexpected.most_common()]
        lines.append(f"lock races retried by core.locks.retry_on_conflict: {sum(self.lock_retries.values())}")
        lines += [f"  {n:5} x {text}" for text, n in self.lock_retries.most_common()]
        if self.lock_order_logged:
            lines.append(f"out-of-order locks logged by core.locks: {sum(self.lock_order_logged.values())}")
            lines += [f"  {n:5} x {text}" for text, n in self.lock_order_logged.most_common()]
        if self.deadlocks:
            lines.append(f"deadlocks answered with a 5xx, as PostgreSQL described them (first {len(self.deadlocks)}):")
            lines += [f"  - {text}" for text in _name_relations(self.deadlocks)[:10]]
        if self.workload_errors:
            lines.append(f"workload engine errors: {len(self.workload_errors)}")
            lines += [f"  {text}" for text in self.workload_errors[:20]]
        return "\n".join(lines)


def _deadlock_text(value: BaseException) -> str | None:
    """PostgreSQL's detail of a deadlock (who waited for what), from a Django or a raw psycopg error."""
    for error in (value, value.__cause__, value.__context__):
        diag = getattr(error, "diag", None)
        if diag is not None and getattr(error, "sqlstate", None) == "40P01":
            return " ".join(f"{diag.message_detail or ''} | {diag.context or ''}".split())
    return None


def _name_relations(texts: list[str]) -> list[str]:
    """Replace `relation 12345 of database 678` by the table's name."""
    oids = {int(oid) for text in texts for oid in re.findall(r"relation (\d+)", text)}
    if not oids:
        return texts
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT oid::int, relname FROM pg_class WHERE oid = ANY(%s)", [list(oids)])
            names = dict(cursor.fetchall())
    except Exception:  # noqa: BLE001 - the raw text is still worth printing
        return texts
    return [
        re.sub(r"relation (\d+) of database \d+", lambda m: names.get(int(m.group(1)), m.group(0)), text)
        for text in texts
    ]


class _RetryCounter(logging.Handler):
    def __init__(self, recorder: Recorder):
        super().__init__(logging.WARNING)
        self.recorder = recorder

    def emit(self, record):
        # "<service> lost a lock race (attempt n): deadlock detected\nDETAIL: ..." -> its first line,
        # folded; with LOCK_ORDER_CHECK off, an out-of-order lock is logged as an error instead.
        text = record.getMessage().splitlines()[0] if record.msg else "?"
        text = re.sub(r"\[[\d, ]+\]", "[N]", re.sub(r"\b\d+\b", "N", text))
        with self.recorder.lock:
            if "lock order" in text:
                self.recorder.lock_order_logged[text] += 1
            else:
                self.recorder.lock_retries[text.replace(" (attempt N)", "")] += 1


# -- a phone ------------------------------------------------------------------------------------


class Phone:
    """One thread's client: an APIClient (never shared between threads), a seeded RNG, the world."""

    def __init__(self, world: World, recorder: Recorder, rng: random.Random, index: int, home: Actor):
        self.world, self.recorder, self.rng, self.index, self.home = world, recorder, rng, index, home
        self.client = APIClient()
        # An exception in one thread's view must not be re-raised in another thread's client (the
        # test client listens to a global signal): record it from our own receiver instead.
        self.client.raise_request_exception = False
        self.op = ""

    def fork(self) -> Phone:
        phone = Phone(self.world, self.recorder, random.Random(self.rng.random()), self.index, self.home)
        phone.op = self.op
        return phone

    def unique(self) -> int:
        return next(self.world.counter)

    def actor(self) -> Actor:
        """Mostly the thread's home user, sometimes anyone (two phones acting as one user is real)."""
        return self.home if self.rng.random() < 0.75 else self.world.random_actor(self.rng)

    def post(self, endpoint: str, path: str, data=None, *, actor: Actor | None = None, headers=None):
        """POST through the real routing and views; records and returns (status, body)."""
        return self.send("post", endpoint, path, data, actor=actor, headers=headers)

    def send(self, method: str, endpoint: str, path: str, data=None, *, actor: Actor | None = None, headers=None):
        """A request of `method` through the real routing and views; records and returns (status, body)."""
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        if actor is not None:
            extra["HTTP_AUTHORIZATION"] = actor.bearer()
        _exc_local.exc = None
        try:
            response = getattr(self.client, method)(f"/api/{path}", data or {}, format="json", **extra)
        except Exception:  # noqa: BLE001 - the client itself failed: counted as a 500 of that endpoint
            self.recorder.add(Call(self.op, endpoint, 500, "client_exception", describe_exception(sys.exc_info())))
            return 500, {}
        try:
            body = response.json() if response.get("Content-Type", "").startswith("application/json") else {}
        except ValueError:
            body = {}
        error = ""
        if response.status_code >= 500:
            exc = getattr(_exc_local, "exc", None)
            error = describe_exception(exc) if exc else ""
            detail = _deadlock_text(exc[1]) if exc else None
            if detail:
                self.recorder.deadlock(f"{endpoint}: {detail}")
        code = body.get("code", "") if isinstance(body, dict) and response.status_code >= 400 else ""
        self.recorder.add(Call(self.op, endpoint, response.status_code, code, error))
        return response.status_code, body if isinstance(body, dict) else {}

    def service(self, endpoint: str, function: Callable[[], object]) -> None:
        """An operator's action called as a service (no HTTP endpoint exists for it)."""
        from core.exceptions import ApplicationError

        try:
            function()
            status, code, error = 200, "", ""
        except ApplicationError as exc:
            status, code, error = exc.status, exc.code, ""
        except Exception:  # noqa: BLE001 - recorded as the 500 a task or admin action would log
            status, code, error = 500, "exception", describe_exception(sys.exc_info())
            detail = _deadlock_text(sys.exc_info()[1])
            if detail:
                self.recorder.deadlock(f"{endpoint}: {detail}")
        finally:
            connection.close_if_unusable_or_obsolete()
        self.recorder.add(Call(self.op, endpoint, status, code, error))

    def race(self, *steps: Callable[[Phone], None]) -> None:
        """Run the steps at the same instant, each in its own thread with its own client."""
        with self.world.race_slots:
            barrier = threading.Barrier(len(steps))

            def run(step, phone):
                try:
                    barrier.wait(timeout=60)
                    step(phone)
                except Exception:  # noqa: BLE001 - an engine bug, reported as such
                    self.recorder.workload_error(f"{self.op} (race): {describe_exception(sys.exc_info())}")
                finally:
                    connection.close()

            threads = [threading.Thread(target=run, args=(step, self.fork())) for step in steps]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    # the calls a phone makes, shared by several operations

    def login(self, *, referral: str = "", shared: bool = True) -> Actor | None:
        """A new user logs in. `shared`: other threads may act as them (not for one who will
        delete their account: nobody else holds their tokens)."""
        code = f"wl{self.world.seed % 1_000_000}-{self.unique()}"
        body = {"code": code, **({"referral": referral} if referral else {})}
        status, answer = self.post("POST auth/wechat/login", "auth/wechat/login", body)
        if status != 200:
            return None
        actor = Actor(answer["user"]["id"], answer["access"], answer["refresh"], answer["user"]["referral_code"])
        if shared:
            self.world.add_actor(actor)
        return actor

    def start_task(self, actor: Actor, campaign: str) -> int | None:
        campaign_id = self.world.campaigns[campaign]
        status, body = self.post(
            "POST assists/campaigns/{id}/start", f"assists/campaigns/{campaign_id}/start", actor=actor
        )
        if status in (200, 201):
            self.world.add_task(body["id"], actor.user_id, campaign)
            return body["id"]
        return None

    def help(self, actor: Actor, task_id: int) -> None:
        status, body = self.post("POST assists/tasks/{id}/help", f"assists/tasks/{task_id}/help", actor=actor)
        if body.get("code") == "task_closed" or (status == 200 and body.get("status") != "open"):
            self.world.note_closed(task=task_id)

    def open_group(self, actor: Actor, offer: str) -> int | None:
        offer_id = self.world.offers[offer]
        status, body = self.post("POST groupbuys/offers/{id}/open", f"groupbuys/offers/{offer_id}/open", actor=actor)
        if status == 201:
            self.world.add_group(body["id"], actor.user_id)
            return body["id"]
        return None

    def join_group(self, actor: Actor, group_id: int) -> None:
        status, body = self.post("POST groupbuys/groups/{id}/join", f"groupbuys/groups/{group_id}/join", actor=actor)
        if body.get("code") in ("group_full", "group_closed") or (status == 200 and body.get("status") != "open"):
            self.world.note_closed(group=group_id)

    def verify_phone(self, actor: Actor) -> None:
        number = self.rng.choice(PHONE_POOL) if self.rng.random() < 0.5 else f"137{self.unique() % 10**8:08d}"
        self.post("POST me/phone", "me/phone", {"code": number}, actor=actor)

    def redeem(self, actor: Actor, product_id: int, *, key: str = "", quantity: int = 1) -> None:
        headers = {"Idempotency-Key": key} if key else None
        body = {"product": product_id, "quantity": quantity}
        status, answer = self.post("POST mall/redemptions", "mall/redemptions", body, actor=actor, headers=headers)
        if status in (200, 201):
            with self.world.lock:
                if answer["id"] not in self.world.orders_of[actor.user_id]:
                    self.world.orders_of[actor.user_id].append(answer["id"])


# -- operations: one function each --------------------------------------------------------------


def op_signin(phone: Phone) -> None:
    """Daily sign-in; sometimes a double tap."""
    actor = phone.actor()
    step = lambda p: p.post("POST points/signin", "points/signin", actor=actor)  # noqa: E731
    phone.race(step, step) if phone.rng.random() < 0.25 else step(phone)


def op_task(phone: Phone) -> None:
    """A task the app completes itself (daily, or unlimited under a cap); sometimes a double tap."""
    actor, code = phone.actor(), phone.rng.choice(phone.world.task_codes)
    step = lambda p: p.post("POST points/tasks/{code}/complete", f"points/tasks/{code}/complete", actor=actor)  # noqa: E731
    phone.race(step, step) if phone.rng.random() < 0.2 else step(phone)


def op_join(phone: Phone) -> None:
    """Stake on the round open for enrolment (tomorrow's daily round, the next multi-day round)."""
    challenge = phone.rng.choice([phone.world.daily_id, phone.world.multi_id])
    stake = phone.rng.randint(10, 40)
    phone.post("POST challenges/{id}/join", f"challenges/{challenge}/join", {"stake": stake}, actor=phone.actor())


def op_checkin(phone: Phone) -> None:
    """Check in to today's round (the window is open all day); sometimes a double tap."""
    actor = phone.actor()
    challenge = phone.rng.choice([phone.world.daily_id, phone.world.multi_id])

    def step(p):
        p.post("POST challenges/{id}/checkin", f"challenges/{challenge}/checkin", {"note": "wl"}, actor=actor)

    phone.race(step, step) if phone.rng.random() < 0.2 else step(phone)


def op_makeup(phone: Phone) -> None:
    """A makeup check-in of a missed day of the running multi-day round."""
    day = phone.rng.choice(phone.world.makeup_days)
    path = f"challenges/{phone.world.multi_id}/makeup"
    phone.post("POST challenges/{id}/makeup", path, {"date": day.isoformat()}, actor=phone.actor())


def op_redeem(phone: Phone) -> None:
    """Redeem, without a key, with a fresh key, replaying the last key, or a double tap of one key."""
    actor, rng = phone.actor(), phone.rng
    product = rng.choice(phone.world.mall_products)
    quantity = 2 if product == phone.world.products["mall_c"] and rng.random() < 0.2 else 1
    mode = rng.random()
    if mode < 0.35:
        phone.redeem(actor, product, quantity=quantity)
        return
    with phone.world.lock:
        last = phone.world.last_key_of.get(actor.user_id)
    if mode < 0.5 and last is not None:
        phone.redeem(actor, last[1], key=last[0])
        return
    key = f"wl-{phone.world.seed}-{phone.unique()}"
    with phone.world.lock:
        phone.world.last_key_of[actor.user_id] = (key, product)
    if mode < 0.65:
        phone.race(*[lambda p: p.redeem(actor, product, key=key, quantity=quantity)] * 2)
    else:
        phone.redeem(actor, product, key=key, quantity=quantity)


def op_cancel(phone: Phone) -> None:
    """Cancel one of one's own orders (any state: some are refused, a cancelled one answers 200)."""
    actor = phone.actor()
    with phone.world.lock:
        orders = list(phone.world.orders_of.get(actor.user_id, []))
    if orders:
        order = phone.rng.choice(orders)
        phone.post("POST mall/redemptions/{id}/cancel", f"mall/redemptions/{order}/cancel", actor=actor)


WL_VERIFIER = "wl-verifier"


def _verifier_world() -> None:
    """A store clerk who verifies vouchers (核销) at the front desk."""
    from django.contrib.auth.models import Group

    from mall.services import STORE_STAFF_GROUP, roles_seed
    from tests.factories import StaffFactory
    from tests.mall.factories import StoreFactory

    roles_seed()
    clerk = StaffFactory(username=WL_VERIFIER, is_staff=False)
    clerk.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    StoreFactory(name="wl verifying store").staff.add(clerk)


def op_voucher_verify(phone: Phone) -> None:
    """The clerk verifies an unused voucher of someone's order (completing it pays the inviter's
    commission); now and then the customer cancels that order at the same instant."""
    from rest_framework_simplejwt.tokens import AccessToken

    from core.models import User
    from mall.models import Coupon

    actor = phone.actor()
    with phone.world.lock:
        orders = list(phone.world.orders_of.get(actor.user_id, []))
    if not orders:
        return
    order = phone.rng.choice(orders)
    code = Coupon.objects.filter(order_id=order, status=Coupon.Status.UNUSED).values_list("code", flat=True).first()
    if code is None:
        return
    clerk = User.objects.get(username=WL_VERIFIER)
    clerk_actor = Actor(clerk.pk, str(AccessToken.for_user(clerk)), "", "")
    verify = lambda p: p.post("POST staff/coupons/verify", "staff/coupons/verify", {"code": code}, actor=clerk_actor)  # noqa: E731
    if phone.rng.random() < 0.3:
        cancel = lambda p: p.post("POST mall/redemptions/{id}/cancel", f"mall/redemptions/{order}/cancel", actor=actor)  # noqa: E731
        phone.race(verify, cancel)
    else:
        verify(phone)


def op_group_open(phone: Phone) -> None:
    """Open a group of an offer (plain, new users only, or a product with a per-user limit)."""
    phone.open_group(phone.actor(), phone.rng.choice(list(phone.world.offers)))


def op_group_join(phone: Phone) -> None:
    """Join a group another workload user opened; sometimes a double tap."""
    actor = phone.actor()
    group = phone.world.recent_group(phone.rng, not_led_by=actor.user_id)
    if group is not None:
        step = lambda p: p.join_group(actor, group)  # noqa: E731
        phone.race(step, step) if phone.rng.random() < 0.15 else step(phone)


def op_assist_start(phone: Phone) -> None:
    """Start an assist (points or product reward) or a bargain."""
    phone.start_task(phone.actor(), phone.rng.choice(list(phone.world.campaigns)))


def op_assist_help(phone: Phone) -> None:
    """Help another user's assist or bargain task; sometimes a double tap."""
    actor = phone.actor()
    task = phone.world.recent_task(phone.rng, not_started_by=actor.user_id)
    if task is not None:
        step = lambda p: p.help(actor, task)  # noqa: E731
        phone.race(step, step) if phone.rng.random() < 0.15 else step(phone)


def op_bargain_redeem(phone: Phone) -> None:
    """Buy one's own bargain at its current price (sometimes a double tap)."""
    actor = phone.actor()
    with phone.world.lock:
        tasks = list(phone.world.bargains_of.get(actor.user_id, []))
    if not tasks:
        return
    task = phone.rng.choice(tasks)
    step = lambda p: p.post("POST assists/tasks/{id}/redeem", f"assists/tasks/{task}/redeem", actor=actor)  # noqa: E731
    phone.race(step, step) if phone.rng.random() < 0.2 else step(phone)


def op_phone(phone: Phone) -> None:
    """Verify a phone: half the time one of a few numbers many users share."""
    phone.verify_phone(phone.actor())


def op_login_referral(phone: Phone) -> None:
    """A new user logs in with another user's code (or scene), then verifies a phone or redeems."""
    inviter = phone.world.random_actor(phone.rng)
    referral = inviter.code if phone.rng.random() < 0.5 else f"r={inviter.code}"
    actor = phone.login(referral=referral)
    if actor is None:
        return
    follow_up = phone.rng.random()
    if follow_up < 0.4:
        phone.verify_phone(actor)
    elif follow_up < 0.7:
        phone.redeem(actor, phone.world.products["mall_c"])


def op_signup_share(phone: Phone) -> None:
    """A new user without a code joins a friend's group or helps a friend's task (bound via the share)."""
    actor = phone.login()
    if actor is None:
        return
    if phone.rng.random() < 0.5:
        group = phone.world.recent_group(phone.rng)
        if group is not None:
            phone.join_group(actor, group)
    else:
        task = phone.world.recent_task(phone.rng)
        if task is not None:
            phone.help(actor, task)


def op_cycle_ring(phone: Phone) -> None:
    """Two or three new users, none bound yet, each help (or join) the next one's task (or group) at
    the same instant: each share would bind, and together they would close a referral cycle."""
    size = phone.rng.choice([2, 2, 3])
    ring = [phone.login() for _ in range(size)]
    if any(actor is None for actor in ring):
        return
    by_group = phone.rng.random() < 0.4
    targets = [phone.open_group(a, "plain") if by_group else phone.start_task(a, "assist_points") for a in ring]
    if any(target is None for target in targets):
        return

    def step_for(i):
        actor, target = ring[i], targets[(i + 1) % size]
        return (lambda p: p.join_group(actor, target)) if by_group else (lambda p: p.help(actor, target))

    phone.race(*[step_for(i) for i in range(size)])


def op_cycle_chain(phone: Phone) -> None:
    """Logins with each other's codes: B signs up with A's code, C with B's; then A (new, unbound)
    helps C's task while C helps A's, which would close A -> B -> C -> A."""
    first = phone.login()
    if first is None:
        return
    second = phone.login(referral=first.code)
    third = phone.login(referral=second.code) if second else None
    if third is None:
        return
    tasks = [phone.start_task(first, "assist_points"), phone.start_task(third, "assist_points")]
    if None in tasks:
        return
    phone.race(lambda p: p.help(first, tasks[1]), lambda p: p.help(third, tasks[0]))


def op_group_rush(phone: Phone) -> None:
    """A group opened, then more friends than it has seats join at the same instant (the last seat)."""
    leader = phone.actor()
    group = phone.open_group(leader, phone.rng.choice(["plain", "limited"]))
    if group is None:
        return
    friends = [phone.world.random_actor(phone.rng) for _ in range(phone.rng.randint(3, 4))]
    phone.race(*[(lambda p, friend=friend: p.join_group(friend, group)) for friend in friends])


def op_limit_race(phone: Phone) -> None:
    """One user takes the same one-per-user product two ways at once: two redemptions with
    different keys, a redemption and a group of it, or a redemption and an assist that reserves it."""
    actor, world, rng = phone.actor(), phone.world, phone.rng
    way = rng.randrange(3)
    if way == 0:
        product = rng.choice([world.products["mall_a"], world.products["mall_b"]])
        keys = [f"wl-{world.seed}-{phone.unique()}" for _ in range(2)]
        phone.race(*[(lambda p, key=key: p.redeem(actor, product, key=key)) for key in keys])
    elif way == 1:
        phone.race(lambda p: p.redeem(actor, world.products["gb_limited"]), lambda p: p.open_group(actor, "limited"))
    else:
        phone.race(
            lambda p: p.redeem(actor, world.products["assist_prize"]),
            lambda p: p.start_task(actor, "assist_product"),
        )


def op_newcomer_race(phone: Phone) -> None:
    """A brand-new user joins a new-users-only group while redeeming in the mall at the same instant:
    the join must see the order or the order must come after it."""
    newcomer = phone.login()
    if newcomer is None:
        return
    group = phone.open_group(phone.actor(), "new_users")
    if group is None:
        return
    product = phone.world.products["mall_c"]
    phone.race(lambda p: p.join_group(newcomer, group), lambda p: p.redeem(newcomer, product))


def op_phone_race(phone: Phone) -> None:
    """Two users verify the same, never used, number at the same instant."""
    number = f"136{phone.unique() % 10**8:08d}"
    first, second = phone.actor(), phone.world.random_actor(phone.rng)
    phone.race(
        *[(lambda p, a=a: p.post("POST me/phone", "me/phone", {"code": number}, actor=a)) for a in (first, second)]
    )


def op_refresh(phone: Phone) -> None:
    """Refresh the tokens; sometimes two refreshes with one token at once."""
    actor = phone.actor()
    token = actor.refresh

    def step(p):
        status, body = p.post("POST auth/refresh", "auth/refresh", {"refresh": token})
        if status == 200:
            actor.access, actor.access_made = body["access"], time.monotonic()
            actor.refresh = body.get("refresh", actor.refresh)

    phone.race(step, step) if phone.rng.random() < 0.3 else step(phone)


def op_expire_group(phone: Phone) -> None:
    """An operator refunds an open group by hand (the admin's action), racing the last joins."""
    from campaigns.groupbuy.services import groupbuy_group_expire

    group = phone.world.recent_group(phone.rng)
    if group is not None:
        phone.service("SERVICE groupbuy_group_expire", lambda: groupbuy_group_expire(group_id=group, force=True))


def op_expire_task(phone: Phone) -> None:
    """An operator closes an unfinished assist or bargain task by hand, racing helps and redeems."""
    from campaigns.assist.services import assist_task_expire

    task = phone.world.recent_task(phone.rng)
    if task is not None:
        phone.service("SERVICE assist_task_expire", lambda: assist_task_expire(task_id=task, force=True))


def _quiz_and_share_world() -> None:
    from campaigns.quiz.models import QuizConfig, QuizQuestion
    from points.models import PointsTask

    for i in range(8):
        QuizQuestion.objects.create(text=f"wl question {i}", options=["a", "b", "c"], correct_index=i % 3)
    QuizConfig.objects.create(questions_per_day=3, points_per_correct=4)
    PointsTask.objects.get_or_create(
        code="share_opened",
        defaults={"title": "share opened", "points": 5, "frequency": PointsTask.Frequency.UNLIMITED, "daily_cap": 3},
    )


def op_quiz(phone: Phone) -> None:
    """Answer today's quiz (the answers a phone would pick after GET quiz/today); sometimes a double
    tap, now and then an answer outside today's draw."""
    from campaigns.quiz.selectors import quiz_draw
    from core.clock import local_today
    from core.models import User

    actor = phone.actor()
    drawn = quiz_draw(user=User(pk=actor.user_id), day=local_today())
    answers = {str(q.id): phone.rng.randrange(len(q.options)) for q in drawn}
    if answers and phone.rng.random() < 0.1:
        answers[next(iter(answers))] = 9
    step = lambda p: p.post("POST quiz/today", "quiz/today", {"answers": answers}, actor=actor)  # noqa: E731
    phone.race(step, step) if phone.rng.random() < 0.25 else step(phone)


WL_LOTTERY = "wl lottery"
WL_LOTTERY_STOCK = {"wl lottery 50": 6, "wl lottery voucher": 4}  # prize name -> its stock at the start
WL_LOTTERY_PRODUCT_STOCK = 5


def _lottery_world() -> None:
    """A wheel: 1 free draw a day and 1 more for signing in, then 5 points, at most 4 a day; a
    points prize and a voucher prize (its product limited to 1 per user) of small stock, and 谢谢参与."""
    from campaigns.lottery.models import Lottery, LotteryPrize
    from tests.mall.factories import ProductFactory

    lottery = Lottery.objects.create(
        title=WL_LOTTERY, cost=5, free_draws_per_day=1, extra_draws_per_signin=1, daily_limit=4
    )
    product = ProductFactory(name="wl lottery voucher", stock=WL_LOTTERY_PRODUCT_STOCK, per_user_limit=1)
    LotteryPrize.objects.create(lottery=lottery, name="wl lottery 1", points=1, weight=30)
    LotteryPrize.objects.create(lottery=lottery, name="wl lottery 50", points=50, weight=10, stock=6)
    LotteryPrize.objects.create(
        lottery=lottery, name="wl lottery voucher", kind="product", product=product, weight=10, stock=4
    )
    LotteryPrize.objects.create(lottery=lottery, name="wl lottery nothing", kind="none", weight=50)


def op_lottery_draw(phone: Phone) -> None:
    """Draw in the wheel; sometimes a double tap with one Idempotency-Key, sometimes two keys at once."""
    from campaigns.lottery.models import Lottery

    actor = phone.actor()
    lottery_id = Lottery.objects.filter(title=WL_LOTTERY).values_list("pk", flat=True).first()
    path = f"lotteries/{lottery_id}/draw"

    def step(key):
        return lambda p: p.post("POST lotteries/{id}/draw", path, actor=actor, headers={"Idempotency-Key": key})

    key = f"wl-draw-{next(phone.world.counter)}"
    roll = phone.rng.random()
    if roll < 0.2:
        phone.race(step(key), step(key))
    elif roll < 0.35:
        phone.race(step(key), step(f"{key}-b"))
    else:
        step(key)(phone)


WL_VISITS = "wl visits"
WL_CLERK = "wl-clerk"


def _visit_world(people, *, rng: random.Random, today: dt.date) -> None:
    """An attendance challenge (到店打卡) with a round running today and entries of most users, and a
    clerk on the staff of a store, who records the visits."""
    from django.contrib.auth.models import Group

    from checkin.models import Challenge
    from mall.services import STORE_STAFF_GROUP, roles_seed
    from tests.checkin.factories import MultiDayChallengeFactory
    from tests.factories import StaffFactory
    from tests.mall.factories import StoreFactory

    visits = MultiDayChallengeFactory(
        title=WL_VISITS,
        checkin_by=Challenge.CheckinBy.VISIT,
        start_date=today - dt.timedelta(days=1),
        duration_days=5,
        required_days=2,
        window_start=dt.time(0, 0),
        window_end=dt.time(23, 59),
        makeup_limit=0,
        makeup_cost=0,
        stake_min=10,
        stake_max=30,
    )
    roles_seed()
    clerk = StaffFactory(username=WL_CLERK, is_staff=False)
    clerk.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    StoreFactory(name="wl store").staff.add(clerk)
    _enrol(people, visits, rng=rng, on=visits.start_date - dt.timedelta(days=1))


def op_visit(phone: Phone) -> None:
    """A member shows their code (GET me/member-code) and the clerk records the visit; sometimes
    two desks scan the same code at once, or a member's app check-in races the scan."""
    from rest_framework_simplejwt.tokens import AccessToken

    from checkin.models import Challenge
    from core.models import User

    actor = phone.actor()
    status, body = phone.send("get", "GET me/member-code", "me/member-code", actor=actor)
    if status != 200:
        return
    clerk = User.objects.get(username=WL_CLERK)
    clerk_actor = Actor(clerk.pk, str(AccessToken.for_user(clerk)), "", "")
    scan = lambda p: p.post("POST staff/visits", "staff/visits", {"code": body["code"]}, actor=clerk_actor)  # noqa: E731
    roll = phone.rng.random()
    if roll < 0.2:
        phone.race(scan, scan)
    elif roll < 0.3:
        challenge = Challenge.objects.filter(title=WL_VISITS).values_list("pk", flat=True).get()

        def tap(p):  # refused: a visit challenge is checked in at the desk
            p.post("POST challenges/{id}/checkin", f"challenges/{challenge}/checkin", {}, actor=actor)

        phone.race(scan, tap)
    else:
        scan(phone)


def op_account_delete(phone: Phone) -> None:
    """A member who joined today, holding a voucher, a group they opened and an assist task,
    deletes their account (DELETE me) while, at the same instant, one of their own phones redeems
    or joins a group, or a friend fills their group or helps their task; sometimes a double tap."""
    from referral.models import Referral

    world, rng = phone.world, phone.rng
    me = phone.login(shared=False)
    if me is None:
        return
    phone.redeem(me, world.products["mall_c"])
    group = phone.open_group(me, "plain") if rng.random() < 0.7 else None
    task = phone.start_task(me, "assist_points") if rng.random() < 0.5 else None
    with world.lock:
        world.deleted[me.user_id] = set(
            Referral.objects.filter(Q(invitee_id=me.user_id) | Q(inviter_id=me.user_id)).values_list("pk", flat=True)
        )

    def delete(p):
        status, _body = p.send("delete", "DELETE me", "me", actor=me)
        if status == 204:
            with world.lock:
                world.deleted_ok.add(me.user_id)

    other = world.random_actor(rng)
    racers = [lambda p: p.redeem(me, world.products["mall_c"])]
    target = world.recent_group(rng, not_led_by=me.user_id)
    if target is not None:
        racers.append(lambda p: p.join_group(me, target))
    if group is not None:
        racers.append(lambda p: p.join_group(other, group))
    if task is not None:
        racers.append(lambda p: p.help(other, task))
    racer = rng.choice(racers)
    phone.race(delete, delete) if rng.random() < 0.15 else phone.race(delete, racer)


def op_sweep_deleted(phone: Phone) -> None:
    """The nightly sweep of deleted accounts (points that reached them after), racing everything."""
    from accounts.services import accounts_deleted_sweep

    phone.service("SERVICE accounts_deleted_sweep", accounts_deleted_sweep)


def _redpacket_world() -> None:
    from tests.campaigns.redpacket.factories import RedPacketCampaignFactory

    RedPacketCampaignFactory(
        title="wl red packet", amount=40, helpers_needed=3, pool=30, new_user_bonus=5, opens_per_day=6
    )


def _redpacket_campaign() -> int:
    from campaigns.redpacket.models import RedPacketCampaign

    return RedPacketCampaign.objects.filter(title="wl red packet").order_by("-pk").values_list("pk", flat=True)[0]


def _recent_packet(world: World, rng: random.Random, *, not_started_by: int | None = None) -> int | None:
    with world.lock:
        recent = world.packets[-40:]
        pool = [p for p, s in recent if s != not_started_by and p not in world.closed_packets] or [
            p for p, _s in recent
        ]
    return rng.choice(pool) if pool else None


def _open_packet(phone: Phone, actor: Actor, packet_id: int) -> None:
    status, body = phone.post("POST redpackets/{id}/open", f"redpackets/{packet_id}/open", actor=actor)
    if body.get("code") == "packet_closed" or (status == 200 and body["packet"]["status"] != "open"):
        with phone.world.lock:
            phone.world.closed_packets.add(packet_id)


def op_redpacket_start(phone: Phone) -> None:
    """Start a red packet (a double tap now and then: one packet)."""
    actor, campaign = phone.actor(), _redpacket_campaign()

    def step(p):
        status, body = p.post(
            "POST redpackets/campaigns/{id}/start", f"redpackets/campaigns/{campaign}/start", actor=actor
        )
        if status in (200, 201):
            with p.world.lock:
                if all(pk != body["id"] for pk, _s in p.world.packets):
                    p.world.packets.append((body["id"], actor.user_id))

    phone.race(step, step) if phone.rng.random() < 0.15 else step(phone)


def op_redpacket_open(phone: Phone) -> None:
    """Open a friend's red packet: a double tap, a rush of friends on its last shares, or a brand-new
    user (bound to the starter through the share) now and then."""
    rng = phone.rng
    if rng.random() < 0.15:
        newcomer = phone.login()
        packet = _recent_packet(phone.world, rng)
        if newcomer is not None and packet is not None:
            _open_packet(phone, newcomer, packet)
        return
    actor = phone.actor()
    packet = _recent_packet(phone.world, rng, not_started_by=actor.user_id)
    if packet is None:
        return
    mode = rng.random()
    if mode < 0.15:
        phone.race(*[lambda p: _open_packet(p, actor, packet)] * 2)
    elif mode < 0.3:
        friends = [phone.world.random_actor(rng) for _ in range(rng.randint(3, 4))]
        phone.race(*[(lambda p, friend=friend: _open_packet(p, friend, packet)) for friend in friends])
    else:
        _open_packet(phone, actor, packet)


def op_redpacket_expire(phone: Phone) -> None:
    """An operator closes an open red packet by hand (the admin's action), racing the last opens."""
    from campaigns.redpacket.services import redpacket_expire

    packet = _recent_packet(phone.world, phone.rng)
    if packet is not None:
        phone.service("SERVICE redpacket_expire", lambda: redpacket_expire(packet_id=packet, force=True))


@dataclass(frozen=True)
class Operation:
    name: str
    weight: int
    run: Callable[[Phone], None]


OPERATIONS = [
    Operation("signin", 5, op_signin),
    Operation("task_complete", 4, op_task),
    Operation("lottery_draw", 3, op_lottery_draw),
    Operation("quiz_answer", 3, op_quiz),
    Operation("challenge_join", 4, op_join),
    Operation("checkin", 7, op_checkin),
    Operation("makeup", 3, op_makeup),
    Operation("redeem", 10, op_redeem),
    Operation("cancel", 4, op_cancel),
    Operation("voucher_verify", 3, op_voucher_verify),
    Operation("group_open", 4, op_group_open),
    Operation("group_join", 8, op_group_join),
    Operation("assist_start", 4, op_assist_start),
    Operation("assist_help", 8, op_assist_help),
    Operation("bargain_redeem", 2, op_bargain_redeem),
    Operation("phone_verify", 3, op_phone),
    Operation("login_referral", 3, op_login_referral),
    Operation("signup_share", 3, op_signup_share),
    Operation("cycle_ring", 1, op_cycle_ring),
    Operation("cycle_chain", 1, op_cycle_chain),
    Operation("refresh", 3, op_refresh),
    Operation("group_rush", 1, op_group_rush),
    Operation("limit_race", 2, op_limit_race),
    Operation("newcomer_race", 1, op_newcomer_race),
    Operation("phone_race", 1, op_phone_race),
    Operation("expire_group", 1, op_expire_group),
    Operation("expire_task", 1, op_expire_task),
    Operation("account_delete", 1, op_account_delete),
    Operation("sweep_deleted", 1, op_sweep_deleted),
    Operation("redpacket_start", 3, op_redpacket_start),
    Operation("redpacket_open", 6, op_redpacket_open),
    Operation("redpacket_expire", 1, op_redpacket_expire),
    Operation("visit", 4, op_visit),
]


# -- running ------------------------------------------------------------------------------------


@contextlib.contextmanager
def throttles_lifted():
    """Every throttle rate very high for the run (the throttles have their own tests)."""
    from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

    classes = (SimpleRateThrottle, AnonRateThrottle, UserRateThrottle, ScopedRateThrottle)
    saved = {cls: cls.__dict__.get("THROTTLE_RATES") for cls in classes}
    rates = dict.fromkeys(
        [*SimpleRateThrottle.THROTTLE_RATES, "anon", "user", "login", "write", "checkin"], "10000000/min"
    )
    for cls in classes:
        cls.THROTTLE_RATES = rates
    try:
        yield
    finally:
        for cls, value in saved.items():
            if value is None:
                with contextlib.suppress(AttributeError):
                    delattr(cls, "THROTTLE_RATES")
            else:
                cls.THROTTLE_RATES = value


def thread_seed(master: int, index: int) -> int:
    return random.Random(f"{master}:{index}").getrandbits(63)


def run_workload(
    world: World, *, seconds: float, threads: int | None = None, max_ops: int = 10_000, recorder: Recorder | None = None
) -> Recorder:
    """One thread per home user (or `threads`), each drawing weighted operations until `seconds`
    have passed or it has run `max_ops`. Returns the recorder of every answer."""
    recorder = recorder or Recorder()
    threads = threads or world.homes
    deadline = time.monotonic() + seconds
    names, weights = [op.name for op in OPERATIONS], [op.weight for op in OPERATIONS]
    by_name = {op.name: op for op in OPERATIONS}
    start = threading.Barrier(threads)

    def worker(index: int) -> None:
        phone = Phone(
            world, recorder, random.Random(thread_seed(world.seed, index)), index, world.actors[index % world.homes]
        )
        try:
            start.wait(timeout=60)
            for _n in range(max_ops):
                if time.monotonic() >= deadline:
                    break
                operation = by_name[phone.rng.choices(names, weights)[0]]
                phone.op = operation.name
                with recorder.lock:
                    recorder.ops[operation.name] += 1
                try:
                    operation.run(phone)
                except Exception:  # noqa: BLE001 - an engine bug, reported as such
                    recorder.workload_error(f"{operation.name}: {describe_exception(sys.exc_info())}")
        finally:
            connection.close()

    retry_logger = logging.getLogger("core.locks")
    counter = _RetryCounter(recorder)
    request_logger = logging.getLogger("django.request")
    request_level = request_logger.level
    retry_logger.addHandler(counter)
    request_logger.setLevel(logging.CRITICAL)  # 500s are recorded with their exception instead
    logging.disable(logging.INFO)  # thousands of task and binding lines; warnings still count
    got_request_exception.connect(_on_request_exception, weak=False, dispatch_uid="mixed-workload")
    try:
        workers = [threading.Thread(target=worker, args=(i,), name=f"phone-{i}") for i in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    finally:
        got_request_exception.disconnect(dispatch_uid="mixed-workload")
        logging.disable(logging.NOTSET)
        request_logger.setLevel(request_level)
        retry_logger.removeHandler(counter)
    return recorder


def deadlock_count(*, settle: bool = False) -> int:
    """PostgreSQL's deadlock counter for the current database. With `settle`, first give the other
    backends' statistics time to be flushed (they flush on exit and at most once a second)."""
    if settle:
        time.sleep(1.5)
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:
            cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


# -- the checks ---------------------------------------------------------------------------------


def _check_ledger(world: World) -> list[str]:
    from points.services.audit import ledger_audit

    problems = [f"ledger audit: {p}" for p in ledger_audit().problems]
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_ledger", stdout=out, stderr=err)
    except CommandError as exc:
        problems.append(f"audit_ledger command: {exc}: {err.getvalue().strip()[:500]}")
    return problems


def _check_wallets(world: World) -> list[str]:
    from points.models import Account, Entry

    last = Entry.objects.filter(account=OuterRef("pk")).order_by("-id").values("balance_after")[:1]
    total = (
        Entry.objects.filter(account=OuterRef("pk")).order_by().values("account").annotate(s=Sum("amount")).values("s")
    )
    rows = (
        Account.objects.filter(kind=Account.Kind.USER)
        .annotate(entries_sum=Coalesce(Subquery(total), 0), last_after=Subquery(last))
        .values_list("code", "balance", "entries_sum", "last_after")
    )
    problems = []
    for code, balance, entries_sum, last_after in rows:
        if balance != entries_sum or (last_after is not None and balance != last_after) or balance < 0:
            problems.append(
                f"wallet {code}: balance {balance}, entries sum {entries_sum}, last balance_after {last_after}"
            )
    return problems


def _check_stock(world: World) -> list[str]:
    from mall.models import Order, Product, StockLog

    problems = []
    for product in Product.objects.filter(pk__in=world.initial_stock):
        adjusted = StockLog.objects.filter(product=product).aggregate(s=Sum("change"))["s"] or 0
        taken = (
            Order.objects.filter(product=product)
            .exclude(status=Order.Status.CANCELLED)
            .aggregate(s=Sum("quantity"))["s"]
            or 0
        )
        expected = world.initial_stock[product.pk] + adjusted - taken
        if product.stock != expected:
            problems.append(
                f"product {product.name} (#{product.pk}): stock {product.stock}, but initial "
                f"{world.initial_stock[product.pk]} + adjustments {adjusted} - orders not cancelled {taken} "
                f"= {expected}"
            )
    return problems


def _check_limits(world: World) -> list[str]:
    from mall.models import Order

    rows = (
        Order.objects.filter(product__per_user_limit__gt=0)
        .exclude(status=Order.Status.CANCELLED)
        .values("user_id", "product_id", "product__per_user_limit")
        .annotate(quantity=Sum("quantity"))
        .filter(quantity__gt=F("product__per_user_limit"))
    )
    return [
        f"user {r['user_id']} holds {r['quantity']} of product #{r['product_id']} "
        f"(limit {r['product__per_user_limit']})"
        for r in rows
    ]


def _check_new_users_only(world: World) -> list[str]:
    from campaigns.groupbuy.models import GroupBuyMember
    from mall.models import Order

    members = GroupBuyMember.objects.filter(group__offer__new_users_only=True).exclude(user_id=F("group__leader_id"))
    problems = []
    for member in members.values("user_id", "group_id", "order_id"):
        earlier = Order.objects.filter(user_id=member["user_id"], pk__lt=member["order_id"] or 0)
        if earlier.exists():
            problems.append(
                f"user {member['user_id']} joined new-users-only group #{member['group_id']} with earlier orders "
                f"{list(earlier.values_list('pk', flat=True)[:5])}"
            )
    return problems


def _check_referral_cycles(world: World) -> list[str]:
    from referral.models import Referral

    inviter_of = dict(Referral.objects.values_list("invitee_id", "inviter_id"))
    problems, reported = [], set()
    for start in inviter_of:
        path, current = [], start
        while current in inviter_of and current not in path:
            path.append(current)
            current = inviter_of[current]
        if current in path:
            cycle = path[path.index(current) :]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                problems.append(f"referral cycle: {' -> '.join(map(str, [*cycle, current]))} (invitee -> inviter)")
    return problems


def _check_phones(world: World) -> list[str]:
    from core.models import User
    from referral.models import Reward

    problems = []
    if PHONE_ONE_ACCOUNT:
        shared = (
            User.objects.filter(phone_verified=True)
            .exclude(phone="")
            .values("phone")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        problems += [f"phone {row['phone']} verified by {row['n']} users" for row in shared]
    # The documented rule: a number counts once for referral rewards that require a phone.
    counted = (
        Reward.objects.filter(rule__requires_phone=True, status=Reward.Status.PAID)
        .values("referral__invitee__phone")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    problems += [
        f"phone {row['referral__invitee__phone']} earned {row['n']} phone rewards (a number counts once)"
        for row in counted
    ]
    return problems


def _check_groups(world: World) -> list[str]:
    from accounts.models import AccountDeletion
    from campaigns.groupbuy.models import GroupBuyGroup
    from mall.models import Order
    from points.models import Account

    balances = dict(Account.objects.filter(kind=Account.Kind.ESCROW).values_list("code", "balance"))
    deleted = set(AccountDeletion.objects.values_list("user_id", flat=True))
    want_orders = {
        GroupBuyGroup.Status.OPEN: {Order.Status.AWAITING_GROUP},
        GroupBuyGroup.Status.SUCCEEDED: {Order.Status.FULFILLED, Order.Status.CREATED, Order.Status.COMPLETED},
        GroupBuyGroup.Status.FAILED: {Order.Status.CANCELLED},
    }
    problems = []
    groups = GroupBuyGroup.objects.annotate(members_n=Count("members"))
    for group in groups:
        label = f"group #{group.pk} ({group.status})"
        if group.member_count != group.members_n:
            problems.append(f"{label}: member_count {group.member_count} but {group.members_n} members")
        if group.members_n > group.group_size:
            problems.append(f"{label}: {group.members_n} members for {group.group_size} seats")
        if group.status == GroupBuyGroup.Status.SUCCEEDED and group.members_n != group.group_size:
            problems.append(f"{label}: succeeded with {group.members_n} of {group.group_size}")
        escrow = balances.get(f"escrow:group:{group.pk}", 0)
        want = group.price * group.members_n if group.status == GroupBuyGroup.Status.OPEN else 0
        if escrow != want:
            problems.append(f"{label}: escrow holds {escrow}, expected {want}")
        orders = Order.objects.filter(pk__in=group.members.values("order_id"))
        statuses = set(orders.exclude(user_id__in=deleted).values_list("status", flat=True))
        if not statuses <= want_orders[group.status]:
            problems.append(f"{label}: member orders in {sorted(statuses)}")
        # A member who deleted their account after the group succeeded had their vouchers
        # cancelled and refunded (docs/privacy.md): cancelled is theirs to have, too.
        theirs = set(orders.filter(user_id__in=deleted).values_list("status", flat=True))
        if not theirs <= want_orders[group.status] | {Order.Status.CANCELLED}:
            problems.append(f"{label}: deleted members' orders in {sorted(theirs)}")
        if group.members.filter(order__isnull=True).exists():
            problems.append(f"{label}: a member without an order")
    return problems


def _check_assists(world: World) -> list[str]:
    from campaigns.assist.models import AssistCampaign, AssistHelp, AssistTask
    from mall.models import Order
    from points.models import Transaction

    problems = []
    helps = AssistHelp.objects.filter(task=OuterRef("pk")).order_by().values("task")
    tasks = AssistTask.objects.select_related("campaign").annotate(
        weights=Coalesce(Subquery(helps.annotate(s=Sum("weight")).values("s")), 0),
        cuts=Coalesce(Subquery(helps.annotate(s=Sum("cut")).values("s")), 0),
    )
    for task in tasks:
        label = f"{task.campaign.kind} task #{task.pk} ({task.status})"
        if task.progress != task.weights:
            problems.append(f"{label}: progress {task.progress} but helps weigh {task.weights}")
        if task.progress > task.required:
            problems.append(f"{label}: progress {task.progress} over {task.required}")
        if task.status == AssistTask.Status.COMPLETED and task.progress != task.required:
            problems.append(f"{label}: completed at {task.progress} of {task.required}")
        campaign = task.campaign
        if campaign.kind == AssistCampaign.Kind.BARGAIN:
            if task.current_price != task.start_price - task.cuts:
                problems.append(f"{label}: price {task.current_price}, start {task.start_price} - cuts {task.cuts}")
            if task.status == AssistTask.Status.REDEEMED:
                order = Order.objects.filter(pk=task.order_id).first()
                if order is None or order.points != task.current_price:
                    problems.append(f"{label}: redeemed by order {task.order_id} of {getattr(order, 'points', None)}")
        elif campaign.reward_kind == AssistCampaign.RewardKind.POINTS:
            paid = Transaction.objects.filter(key=f"assist:reward:{task.pk}").count()
            done = task.status in (AssistTask.Status.COMPLETED, AssistTask.Status.REDEEMED)
            if paid != (1 if done else 0):
                problems.append(f"{label}: reward posted {paid} times")
        else:
            status = Order.objects.filter(pk=task.order_id).values_list("status", flat=True).first()
            want = {
                AssistTask.Status.OPEN: {Order.Status.AWAITING_ASSIST},
                AssistTask.Status.COMPLETED: {Order.Status.FULFILLED, Order.Status.CREATED, Order.Status.COMPLETED},
                AssistTask.Status.EXPIRED: {Order.Status.CANCELLED},
            }.get(task.status, set())
            if status not in want:
                problems.append(f"{label}: reserved order #{task.order_id} is {status}")
    twice = AssistHelp.objects.values("task_id", "helper_id").annotate(n=Count("id")).filter(n__gt=1)
    problems += [f"user {r['helper_id']} helped task #{r['task_id']} {r['n']} times" for r in twice]
    problems += [
        f"user {h} helped their own task #{t}"
        for t, h in AssistHelp.objects.filter(helper_id=F("starter_id")).values_list("task_id", "helper_id")
    ]
    daily = (
        AssistHelp.objects.values("helper_id", "campaign_id", "local_date", "campaign__helps_per_day")
        .annotate(n=Count("id"))
        .filter(n__gt=F("campaign__helps_per_day"))
    )
    problems += [
        f"user {r['helper_id']} helped {r['n']} times on {r['local_date']} in campaign #{r['campaign_id']}"
        for r in daily
    ]
    return problems


def _check_redpackets(world: World) -> list[str]:
    """Red packets (docs/redpackets.md): never over-filled, the shares paid once each and summing to
    the pool, the starter paid exactly when filled, no own or repeated open, the daily limit kept."""
    from campaigns.redpacket.models import RedPacket, RedPacketOpen
    from campaigns.redpacket.services import KIND_PAID
    from points.models import Entry, Transaction

    problems = []
    opens = RedPacketOpen.objects.filter(packet=OuterRef("pk")).order_by().values("packet")
    packets = RedPacket.objects.annotate(
        n=Coalesce(Subquery(opens.annotate(c=Count("id")).values("c")), 0),
        shares=Coalesce(Subquery(opens.annotate(s=Sum("amount")).values("s")), 0),
    )
    paid_keys = Counter(Transaction.objects.filter(kind=KIND_PAID).values_list("key", flat=True))
    for packet in packets:
        label = f"red packet #{packet.pk} ({packet.status})"
        if (packet.helpers, packet.pool_paid) != (packet.n, packet.shares):
            problems.append(f"{label}: counts {packet.helpers}/{packet.pool_paid}, opens {packet.n}/{packet.shares}")
        if packet.n > packet.needed or packet.shares > packet.pool:
            problems.append(f"{label}: {packet.n} opens sharing {packet.shares} of {packet.needed}/{packet.pool}")
        filled = packet.n == packet.needed and packet.shares == packet.pool
        if (packet.status == RedPacket.Status.PAID) != filled:
            problems.append(f"{label}: {packet.n} of {packet.needed} opens, {packet.shares} of {packet.pool}")
        want = 1 if packet.status == RedPacket.Status.PAID else 0
        if paid_keys.get(f"redpacket:paid:{packet.pk}", 0) != want:
            problems.append(f"{label}: the starter was paid {paid_keys.get(f'redpacket:paid:{packet.pk}', 0)} times")
    for opened in RedPacketOpen.objects.all():
        credited = Entry.objects.filter(transaction_id=opened.transaction_id, amount__gt=0)
        if list(credited.values_list("amount", flat=True)) != [opened.amount + opened.bonus]:
            problems.append(f"open #{opened.pk}: paid {list(credited.values_list('amount', flat=True))}")
    problems += [
        f"user {h} opened their own red packet #{p}"
        for p, h in RedPacketOpen.objects.filter(helper_id=F("starter_id")).values_list("packet_id", "helper_id")
    ]
    daily = (
        RedPacketOpen.objects.values("helper_id", "campaign_id", "local_date", "campaign__opens_per_day")
        .annotate(n=Count("id"))
        .filter(n__gt=F("campaign__opens_per_day"))
    )
    problems += [f"user {r['helper_id']} opened {r['n']} red packets on {r['local_date']}" for r in daily]
    return problems


def _check_challenges(world: World) -> list[str]:
    from checkin.models import CheckIn, Entry, Round
    from points.models import Account

    problems = []
    pools = dict(Account.objects.filter(kind=Account.Kind.POOL).values_list("code", "balance"))
    for round_ in Round.objects.annotate(n=Count("entries"), stakes=Coalesce(Sum("entries__stake"), 0)):
        label = f"round #{round_.pk} of challenge #{round_.challenge_id}"
        if round_.participants != round_.n or round_.stake_total != round_.stakes:
            problems.append(
                f"{label}: participants {round_.participants}/stakes {round_.stake_total}, "
                f"but {round_.n} entries staking {round_.stakes}"
            )
        pool = pools.get(f"pool:round:{round_.pk}", 0)
        want = round_.stake_total + (round_.bonus if round_.bonus_posted else 0)
        if round_.status == Round.Status.OPEN and pool != want:
            problems.append(f"{label}: pool holds {pool}, expected stakes + bonus = {want}")
    counts = CheckIn.objects.filter(entry=OuterRef("pk")).order_by().values("entry")
    entries = Entry.objects.select_related("round__challenge").annotate(
        rows=Coalesce(Subquery(counts.annotate(n=Count("id")).values("n")), 0),
        makeups=Coalesce(Subquery(counts.filter(makeup=True).annotate(n=Count("id")).values("n")), 0),
    )
    for entry in entries:
        if entry.checkins != entry.rows:
            problems.append(f"entry #{entry.pk}: counts {entry.checkins} check-ins, has {entry.rows}")
        if entry.makeups_used != entry.makeups or entry.makeups > entry.round.challenge.makeup_limit:
            problems.append(
                f"entry #{entry.pk}: makeups_used {entry.makeups_used}, {entry.makeups} makeup rows, "
                f"limit {entry.round.challenge.makeup_limit}"
            )
    return problems


def _check_visits(world: World) -> list[str]:
    """One visit per member a day; every check-in of the attendance challenge is a visit's, on its
    day, and its entry's count is its check-ins."""
    from checkin.models import CheckIn, Entry, Visit

    problems = []
    per_day = Visit.objects.values("user", "local_date").annotate(n=Count("id")).filter(n__gt=1)
    problems += [f"member {row['user']} has {row['n']} visits on {row['local_date']}" for row in per_day]
    visited = set(Visit.objects.values_list("user", "local_date"))
    for user_id, day in CheckIn.objects.filter(challenge__title=WL_VISITS).values_list("user", "local_date"):
        if (user_id, day) not in visited:
            problems.append(f"member {user_id} checked in to the attendance challenge on {day} without a visit")
    entries = Entry.objects.filter(round__challenge__title=WL_VISITS).annotate(n=Count("checkin_set"))
    problems += [f"entry {e.pk} counts {e.checkins} check-ins but has {e.n}" for e in entries if e.checkins != e.n]
    return problems


def _check_quiz_and_shares(world: World) -> list[str]:
    """One quiz attempt per user and day, paid exactly its points once; the share task paid at most
    its daily cap a day and never more often than distinct friends opened the sharer's shares."""
    from campaigns.quiz.models import QuizAttempt
    from points.models import Entry, PointsTask, TaskCompletion
    from referral.models import ShareOpen

    problems = []
    paid = {
        txn_key: amount
        for txn_key, amount in Entry.objects.filter(
            transaction__key__startswith="quiz:", account__user__isnull=False
        ).values_list("transaction__key", "amount")
    }
    for attempt in QuizAttempt.objects.all():
        key = f"quiz:{attempt.user_id}:{attempt.local_date.isoformat()}"
        if paid.pop(key, 0) != attempt.points:
            problems.append(f"quiz attempt #{attempt.pk}: {attempt.points} points but the ledger says otherwise")
    problems += [f"quiz posting {key} without an attempt" for key in paid]
    task = PointsTask.objects.filter(code="share_opened").first()
    if task is not None:
        per_day = Counter(TaskCompletion.objects.filter(task=task).values_list("user_id", "local_date"))
        problems += [
            f"share task paid {n} times to user {u} on {d}" for (u, d), n in per_day.items() if n > task.daily_cap
        ]
        opens = Counter(ShareOpen.objects.values_list("sharer_id", flat=True))
        per_user = Counter(TaskCompletion.objects.filter(task=task).values_list("user_id", flat=True))
        problems += [
            f"share task paid {n} times to user {u}, {opens[u]} friends" for u, n in per_user.items() if n > opens[u]
        ]
    return problems


def _check_lottery(world: World) -> list[str]:
    """No prize won more often than its stock allowed, and each prize's stock (and the voucher's
    product stock) is its start minus the draws that won it; every paid draw paid its cost once and
    every points prize was credited once, through the ledger; no user drew more than the daily limit."""
    from django.db.models import Count

    from campaigns.lottery.models import Lottery, LotteryDraw, LotteryPrize
    from campaigns.lottery.services import KIND_COST, KIND_PRIZE
    from mall.models import Order, Product
    from points.models import Entry

    problems = []
    lottery = Lottery.objects.filter(title=WL_LOTTERY).first()
    if lottery is None:
        return ["the workload's lottery is missing"]
    won = Counter(LotteryDraw.objects.filter(lottery=lottery).values_list("prize__name", flat=True))
    for prize in LotteryPrize.objects.filter(lottery=lottery, name__in=WL_LOTTERY_STOCK):
        start = WL_LOTTERY_STOCK[prize.name]
        if prize.stock != start - won[prize.name]:
            problems.append(f"prize {prize.name}: stock {prize.stock}, {start} at the start, won {won[prize.name]}")
    product = Product.objects.get(name="wl lottery voucher")
    orders = Order.objects.filter(product=product).exclude(status=Order.Status.CANCELLED).count()
    if product.stock != WL_LOTTERY_PRODUCT_STOCK - orders or orders != won["wl lottery voucher"]:
        problems.append(f"lottery voucher: stock {product.stock}, {orders} orders, {won['wl lottery voucher']} won")
    paid = dict(
        Entry.objects.filter(transaction__kind=KIND_COST, account__user__isnull=False).values_list(
            "transaction__key", "amount"
        )
    )
    credited = dict(
        Entry.objects.filter(transaction__kind=KIND_PRIZE, account__user__isnull=False).values_list(
            "transaction__key", "amount"
        )
    )
    for draw in LotteryDraw.objects.filter(lottery=lottery):
        if paid.pop(f"lottery:cost:{draw.pk}", 0) != -draw.cost:
            problems.append(f"draw #{draw.pk} cost {draw.cost} but the ledger says otherwise")
        if credited.pop(f"lottery:prize:{draw.pk}", 0) != draw.points_won:
            problems.append(f"draw #{draw.pk} won {draw.points_won} points but the ledger says otherwise")
    problems += [f"lottery posting {key} without a draw" for key in [*paid, *credited]]
    over = (
        LotteryDraw.objects.filter(lottery=lottery)
        .values("user_id", "local_date")
        .annotate(n=Count("id"))
        .filter(n__gt=lottery.daily_limit)
    )
    problems += [f"user {row['user_id']} drew {row['n']} times on {row['local_date']}" for row in over]
    return problems


def _check_orders(world: World) -> list[str]:
    from mall.models import Order

    problems = []
    unpaid = Order.objects.filter(points__gt=0, transaction__isnull=True).values_list("pk", "status")
    problems += [f"order #{pk} ({status}) has points but no debit" for pk, status in unpaid]
    unrefunded = Order.objects.filter(
        points__gt=0, status=Order.Status.CANCELLED, transaction__isnull=False, refund__isnull=True
    ).values_list("pk", flat=True)
    problems += [f"cancelled order #{pk} was never refunded" for pk in unrefunded]
    return problems


COMMISSION_CAP = 60


def _check_commissions(world: World) -> list[str]:
    """Distribution commission: one per order, matching its order and referral; paid exactly when
    its one credit was posted; never held on a cancelled or completed order; within the monthly
    cap per inviter; and every standing order of an invited buyer that earns a point has one."""
    from django.db.models.functions import TruncMonth

    from mall.models import Order
    from points.models import Transaction
    from referral.models import Commission, Referral

    problems = []
    commissions = {c.order: c for c in Commission.objects.select_related("referral")}
    orders = Order.objects.in_bulk(list(commissions))
    credits = {
        t.key: t
        for t in Transaction.objects.filter(kind=Transaction.Kind.COMMISSION).prefetch_related("entries__account")
    }
    for order_id, c in commissions.items():
        order = orders.get(order_id)
        who = f"commission #{c.pk} (order {order_id}, {c.status})"
        if order is None or order.user_id != c.invitee_id or order.points != c.price:
            problems.append(f"{who}: does not match its order")
        if c.referral.invitee_id != c.invitee_id or c.referral.inviter_id != c.inviter_id:
            problems.append(f"{who}: does not match its referral")
        if c.amount > c.price // 10:
            problems.append(f"{who}: {c.amount} is more than 10% of {c.price}")
        credit = credits.pop(f"commission:{c.pk}", None)
        if (credit is not None) != (c.status == Commission.Status.PAID):
            problems.append(f"{who}: credit posted {credit is not None}")
        elif credit is not None:
            legs = sorted((e.account.code, e.amount) for e in credit.entries.all())
            if legs != sorted([("issuance", -c.amount), (f"user:{c.inviter_id}", c.amount)]):
                problems.append(f"{who}: credit legs {legs}")
        finished = (Order.Status.CANCELLED, Order.Status.COMPLETED)
        if order is not None and c.status == Commission.Status.HELD and order.status in finished:
            problems.append(f"{who}: still held on a {order.status} order")
    problems += [f"commission credit {key} has no paid commission" for key in credits]
    months = (
        Commission.objects.filter(status__in=["held", "paid"])
        .annotate(month=TruncMonth("local_date"))
        .values("inviter_id", "month")
        .annotate(total=Sum("amount"))
    )
    problems += [
        f"inviter {m['inviter_id']}: {m['total']} commission points in {m['month']:%Y-%m}, over {COMMISSION_CAP}"
        for m in months
        if m["total"] > COMMISSION_CAP
    ]
    bound = {
        r.invitee_id: r for r in Referral.objects.select_related("inviter").exclude(status=Referral.Status.REJECTED)
    }
    standing = Order.objects.filter(points__gte=10, user_id__in=list(bound)).exclude(
        status__in=[Order.Status.CANCELLED, Order.Status.AWAITING_GROUP, Order.Status.AWAITING_ASSIST]
    )
    for order in standing.exclude(pk__in=list(commissions)):
        if bound[order.user_id].inviter.is_active and order.created_at >= bound[order.user_id].created_at:
            problems.append(f"order #{order.pk} ({order.status}) of an invited buyer has no commission")
    return problems


def _check_deleted_accounts(world: World) -> list[str]:
    """Every account deleted during the run (docs/privacy.md): anonymised, every token revoked, its
    referral rows kept and pointing at it; and once the nightly sweep has run (here, as the night
    after the run would: points can still reach a deleted inviter or winner afterwards), an empty
    wallet and nothing left open."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.models import AccountDeletion
    from accounts.services import accounts_deleted_sweep
    from accounts.services.deletion import DIGEST_PREFIX, deleted_nickname
    from campaigns.assist.models import AssistCampaign, AssistTask
    from campaigns.groupbuy.models import GroupBuyGroup
    from core.models import User, VerifiedPhone
    from mall.models import Coupon, Order
    from points.models import Account
    from referral.models import Referral

    problems = []
    accounts_deleted_sweep()
    recorded = set(AccountDeletion.objects.values_list("user_id", flat=True))
    problems += [f"user {pk}: DELETE me answered 204, but no deletion recorded" for pk in world.deleted_ok - recorded]
    label = deleted_nickname()
    for user in User.objects.filter(pk__in=recorded):
        who = f"deleted user {user.pk}"
        personal = {
            "nickname": user.nickname != label,
            "phone": user.phone != "" or user.phone_verified,
            "openid": user.openid is not None or user.unionid != "",
            "avatar": bool(user.avatar) or user.avatar_url != "",
            "active": user.is_active,
        }
        problems += [f"{who}: {name} not anonymised" for name, bad in personal.items() if bad]
        if VerifiedPhone.objects.filter(user=user).exclude(phone__startswith=DIGEST_PREFIX).exists():
            problems.append(f"{who}: a verified number kept in clear")
        if OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists():
            problems.append(f"{who}: a refresh token not revoked")
        balance = Account.objects.filter(user=user).values_list("balance", flat=True).first() or 0
        if balance:
            problems.append(f"{who}: wallet holds {balance} after the sweep")
        open_orders = Order.objects.filter(
            user=user, status__in=[Order.Status.CREATED, Order.Status.AWAITING_GROUP, Order.Status.AWAITING_ASSIST]
        )
        if open_orders.exists():
            problems.append(f"{who}: orders left open {list(open_orders.values_list('pk', 'status'))}")
        if Coupon.objects.filter(user=user, status=Coupon.Status.UNUSED).exists():
            problems.append(f"{who}: an unused voucher left")
        if GroupBuyGroup.objects.filter(members__user=user, status=GroupBuyGroup.Status.OPEN).exists():
            problems.append(f"{who}: in an open group-buy")
        unfinished = AssistTask.objects.filter(user=user).filter(
            Q(status=AssistTask.Status.OPEN)
            | Q(status=AssistTask.Status.COMPLETED, campaign__kind=AssistCampaign.Kind.BARGAIN)
        )
        if unfinished.exists():
            problems.append(f"{who}: an unfinished assist task")
    for user_id, referral_ids in world.deleted.items():
        if user_id not in recorded:
            continue
        kept = Referral.objects.filter(pk__in=referral_ids).filter(Q(invitee_id=user_id) | Q(inviter_id=user_id))
        if kept.count() != len(referral_ids):
            problems.append(f"deleted user {user_id}: referral rows lost (had {sorted(referral_ids)})")
    return problems


CHECKS = [
    # First: it runs the nightly sweep of deleted accounts, so the checks after it see the books
    # as the next morning would.
    ("deleted accounts", _check_deleted_accounts),
    ("ledger", _check_ledger),
    ("wallets", _check_wallets),
    ("stock", _check_stock),
    ("per-user limits", _check_limits),
    ("new users only", _check_new_users_only),
    ("referral cycles", _check_referral_cycles),
    ("phones", _check_phones),
    ("group-buys", _check_groups),
    ("assists", _check_assists),
    ("red packets", _check_redpackets),
    ("challenges", _check_challenges),
    ("orders", _check_orders),
    ("commissions", _check_commissions),
    ("lottery", _check_lottery),
    ("quiz and shares", _check_quiz_and_shares),
    ("visits", _check_visits),
]


def check_invariants(world: World) -> list[str]:
    """Every invariant that must hold whatever the interleaving; returns the violations found."""
    violations = []
    for name, check in CHECKS:
        try:
            violations += [f"[{name}] {text}" for text in check(world)]
        except Exception:  # noqa: BLE001 - a broken check is itself reported
            violations.append(f"[{name}] the check failed: {describe_exception(sys.exc_info())}")
    return violations


def world_figures(world: World) -> str:
    """A line of what the run produced, to see that it did something."""
    from campaigns.assist.models import AssistHelp, AssistTask
    from campaigns.groupbuy.models import GroupBuyGroup
    from checkin.models import CheckIn
    from core.models import User
    from mall.models import Order
    from referral.models import Commission, Referral

    groups = Counter(GroupBuyGroup.objects.values_list("status", flat=True))
    tasks = Counter(AssistTask.objects.values_list("status", flat=True))
    orders = Counter(Order.objects.values_list("status", flat=True))
    return (
        f"users {User.objects.count()}, referrals {Referral.objects.count()}, orders {dict(orders)}, "
        f"groups {dict(groups)}, tasks {dict(tasks)}, helps {AssistHelp.objects.count()}, "
        f"check-ins {CheckIn.objects.count()}, verified phones "
        f"{User.objects.filter(phone_verified=True).count()}, "
        f"commissions {dict(Counter(Commission.objects.values_list('status', flat=True)))}"
    )


def violations_text(violations: list[str], limit: int = 60) -> str:
    lines = [f"invariant violations: {len(violations)}"]
    by_check = Counter(v.split("]", 1)[0] + "]" for v in violations)
    lines += [f"  {name}: {n}" for name, n in by_check.most_common()]
    lines += [f"  - {v}" for v in violations[:limit]]
    if len(violations) > limit:
        lines.append(f"  ... and {len(violations) - limit} more")
    return "\n".join(lines)
