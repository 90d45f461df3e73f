"""Large fixtures in the bench database, written with bulk SQL (INSERT ... SELECT, COPY).

Users and their wallets are made once and reused by every run; each run makes its own challenges,
rounds and entries, since check-ins and settlements use them up. Small objects (challenges, rounds,
products) go through the ORM; the pools are funded through the product's own ledger.
"""

import datetime as dt

from django.db import connection

USER_PREFIX = "bench-"


def users_ensure(count: int) -> list[int]:
    """At least `count` bench users with wallets; returns the ids of the first `count`."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM core_user WHERE username LIKE %s", [USER_PREFIX + "%"])
        have = cur.fetchone()[0]
        if have < count:
            cur.execute(
                """
                INSERT INTO core_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                    is_active, date_joined, unionid, phone, phone_verified, nickname, avatar, avatar_url)
                SELECT '!', false, %s || g, '', '', '', false, true, now(), '', '', false, 'b' || g, '', ''
                FROM generate_series(%s, %s) g
                """,
                [USER_PREFIX, have + 1, count],
            )
            cur.execute(
                """
                INSERT INTO points_account (kind, code, user_id, balance, created_at)
                SELECT 'user', 'user:' || u.id, u.id, 0, now() FROM core_user u
                WHERE u.username LIKE %s AND NOT EXISTS (SELECT 1 FROM points_account a WHERE a.user_id = u.id)
                """,
                [USER_PREFIX + "%"],
            )
        cur.execute("SELECT id FROM core_user WHERE username LIKE %s ORDER BY id LIMIT %s", [USER_PREFIX + "%", count])
        return [row[0] for row in cur.fetchall()]


def _challenge(title: str, *, window_start: dt.time, window_end: dt.time, **extra):
    from checkin.models import Challenge

    return Challenge.objects.create(
        title=title,
        kind=Challenge.Kind.DAILY,
        timezone="UTC",
        window_start=window_start,
        window_end=window_end,
        stake_min=10,
        stake_max=100,
        **{"is_active": True, **extra},
    )


def _entries_copy(round_id: int, user_ids: list[int], *, day: dt.date, checkins: int) -> None:
    """COPY one entry per user into the round; stakes 10..100 points."""
    with (
        connection.cursor() as cur,
        cur.copy(
            "COPY checkin_entry (round_id, user_id, stake, status, checkins, makeups_used, joined_date, created_at, "
            "qualified_at) FROM STDIN"
        ) as copy,
    ):
        created = dt.datetime.now(dt.UTC)
        for i, user_id in enumerate(user_ids):
            stake = 10 + (i * 7) % 91
            qualified = created if checkins else None
            copy.write_row((round_id, user_id, stake, "active", checkins, 0, day, created, qualified))


def _fund_pool(round_, amount: int) -> None:
    """Issuance -> the round's pool, as the stakes would have: one posting through the ledger."""
    from points.models import Transaction
    from points.services.ledger import account_issuance, account_pool, ledger_post

    ledger_post(
        kind=Transaction.Kind.STAKE,
        key=f"bench:pool:round:{round_.pk}",
        legs=[(account_issuance(), -amount), (account_pool(round_.pk), amount)],
        memo="bench stakes",
    )


def round_to_settle(tag: str, user_ids: list[int]):
    """A closed daily round (yesterday) whose every entry checked in: all win, all are paid."""
    from checkin.models import Round

    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    challenge = _challenge(f"bench settle {tag}", window_start=dt.time(0, 0), window_end=dt.time(23, 59))
    round_ = Round.objects.create(
        challenge=challenge,
        start_date=yesterday,
        end_date=yesterday,
        required_days=1,
        split_rule=challenge.split_rule,
        no_winner_rule=challenge.no_winner_rule,
        participants=len(user_ids),
    )
    _entries_copy(round_.pk, user_ids, day=yesterday - dt.timedelta(days=1), checkins=1)
    total = sum(10 + (i * 7) % 91 for i in range(len(user_ids)))
    Round.objects.filter(pk=round_.pk).update(stake_total=total)
    _fund_pool(round_, total)
    with connection.cursor() as cur:
        cur.execute("ANALYZE checkin_entry")
    return round_


def round_for_rush(user_ids: list[int]):
    """Today's open round of a challenge whose window opens now (UTC), every user enrolled."""
    from checkin.models import Round

    at = dt.datetime.now(dt.UTC)
    opens = at.replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
    closes = min(at + dt.timedelta(hours=2), at.replace(hour=23, minute=59, second=0, microsecond=0))
    if closes <= at + dt.timedelta(minutes=5):
        raise SystemExit("bench: too close to midnight UTC for the check-in window; run again after 00:00 UTC")
    challenge = _challenge("bench rush", window_start=opens.time(), window_end=closes.time())
    round_ = Round.objects.create(
        challenge=challenge,
        start_date=at.date(),
        end_date=at.date(),
        required_days=1,
        split_rule=challenge.split_rule,
        no_winner_rule=challenge.no_winner_rule,
        participants=len(user_ids),
    )
    _entries_copy(round_.pk, user_ids, day=at.date() - dt.timedelta(days=1), checkins=0)
    with connection.cursor() as cur:
        cur.execute("ANALYZE checkin_entry")
    return challenge


def board(members: int, user_ids: list[int]):
    """A challenge whose winnings board has `members` standings (made once, then reused)."""
    from checkin import rules
    from checkin.models import Challenge

    title = f"bench board {members}"
    challenge = Challenge.objects.filter(title=title).first()
    if challenge is not None:
        return challenge
    challenge = _challenge(title, window_start=dt.time(6, 0), window_end=dt.time(9, 0), is_active=False)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with connection.cursor() as cur:
        with cur.copy(
            "COPY checkin_standing (challenge_id, user_id, winnings, winnings_at, winnings_score, streak, "
            "best_streak, streak_score) FROM STDIN"
        ) as copy:
            for i, user_id in enumerate(user_ids[:members]):
                winnings = 1 + (i * 7919) % 100000
                reached = base + dt.timedelta(seconds=i)
                copy.write_row(
                    (challenge.pk, user_id, winnings, reached, rules.board_score(winnings, reached), 0, 0, 0)
                )
        cur.execute("ANALYZE checkin_standing")
    return challenge


def buyers_fund(user_ids: list[int], points: int) -> None:
    """Give each buyer `points` through the ledger (one bulk posting)."""
    from points.models import Account, Transaction
    from points.services.ledger import Posting, account_issuance, ledger_post_batch

    issuance = account_issuance()
    wallets = {a.user_id: a for a in Account.objects.filter(user_id__in=user_ids)}
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
    ledger_post_batch(
        kind=Transaction.Kind.BULK_GRANT,
        postings=[
            Posting(key=f"bench:fund:{stamp}:{uid}", legs=[(issuance, -points), (wallets[uid], points)], memo="bench")
            for uid in user_ids
        ],
    )


# The users at the end of the bench users, each part its own: the poster users last, then the
# flash buyers (also the lottery players and the red packets' friends), the sell-out's buyers and
# the red packets' starters.
TAIL_PARTS = ("poster_users", "buyers", "sellout_buyers", "packets")


def tail_users(cfg: dict) -> int:
    return sum(cfg[part] for part in TAIL_PARTS)


def buyers_slice(user_ids: list[int], cfg: dict, part: str) -> list[int]:
    """The ids of one part of the tail (TAIL_PARTS)."""
    end = len(user_ids)
    for name in TAIL_PARTS:
        start = end - cfg[name]
        if name == part:
            return user_ids[start:end]
        end = start
    raise KeyError(part)


def flash_product(stock: int, *, per_user_limit: int | None = None):
    from mall.models import Product

    return Product.objects.create(
        name="bench flash",
        kind=Product.Kind.COUPON,
        price=10,
        stock=stock,
        per_user_limit=per_user_limit or 0,
        is_active=True,
    )


# A wheel of little prize stock: most draws win nothing, the prizes sell out during the run.
LOTTERY_PRIZE_STOCK = {"bench 5 points": 300, "bench 50 points": 30}


def lottery_with_stock():
    """A paid lottery (1 point a draw, no free draws, as many a day as asked) with two points
    prizes of small stock and 谢谢参与; returns (lottery, prizes with stock)."""
    from campaigns.lottery.models import Lottery, LotteryPrize

    lottery = Lottery.objects.create(title="bench lottery", cost=1, free_draws_per_day=0, daily_limit=30000)
    prizes = [
        LotteryPrize.objects.create(lottery=lottery, name=name, points=int(name.split()[1]), weight=10, stock=stock)
        for name, stock in LOTTERY_PRIZE_STOCK.items()
    ]
    LotteryPrize.objects.create(lottery=lottery, name="bench nothing", kind=LotteryPrize.Kind.NONE, weight=80)
    return lottery, prizes


REDPACKET_NEEDED = 100  # the most a campaign allows: packets stay open through a quick run


def redpackets_started(starter_ids: list[int], *, needed: int):
    """One open packet per starter, of a campaign whose friends may open as many as they like."""
    from campaigns.redpacket.models import RedPacketCampaign
    from campaigns.redpacket.services import redpacket_start
    from core.models import User

    campaign = RedPacketCampaign.objects.create(
        title="bench packets", amount=10, helpers_needed=needed, pool=10 * needed, opens_per_day=30000
    )
    return [redpacket_start(user=user, campaign_id=campaign.pk)[0] for user in User.objects.filter(pk__in=starter_ids)]
