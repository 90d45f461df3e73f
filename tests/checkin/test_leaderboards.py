"""Leaderboards: winnings, streak and early, on the database and on Redis; ties to whoever got there first."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from checkin.models import Standing
from checkin.services import challenge_join, checkin_create, checkin_makeup, leaderboard_read, round_settle
from checkin.services.leaderboards import EARLY, STREAK, WINNINGS, board_key, leaderboard_rebuild
from tests.checkin.factories import ChallengeFactory, MultiDayChallengeFactory, at, fund
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["db", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request, settings):
    if request.param == "db":
        settings.REDIS_URL = None
    return request.param


def redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def join_and_check_in(challenge, user, stake, day: dt.date, hour=6, minute=30, second=0):
    """Join the daily round of `day` the day before, check in on `day`."""
    before = day - dt.timedelta(days=1)
    with time_machine.travel(at(before.year, before.month, before.day, 12), tick=False):
        challenge_join(user=user, challenge=challenge, stake=stake)
    with time_machine.travel(at(day.year, day.month, day.day, hour, minute, second), tick=False):
        checkin_create(user=user, challenge=challenge)


def settle_day(challenge, day: dt.date):
    round_ = challenge.rounds.get(start_date=day)
    after = day + dt.timedelta(days=1)
    with time_machine.travel(at(after.year, after.month, after.day, 0, 10), tick=False):
        round_settle(round_id=round_.pk)


def read(challenge, board, user=None, when=None, limit=20):
    with time_machine.travel(when or at(2026, 3, 5, 12), tick=False):
        return leaderboard_read(challenge=challenge, board=board, user=user, limit=limit)


def ranking(result):
    return [(rank, user_id) for rank, user_id, _ in result.rows]


class TestWinnings:
    def test_ranks_by_payouts_and_shows_the_callers_rank(self, backend):
        challenge = ChallengeFactory(bonus=100)
        a, b, c = UserFactory(), UserFactory(), UserFactory()
        for user in (a, b, c):
            fund(user, 100)
        day = dt.date(2026, 3, 2)
        join_and_check_in(challenge, a, 10, day, minute=30)
        join_and_check_in(challenge, b, 30, day, minute=31)
        with time_machine.travel(at(2026, 3, 1, 13), tick=False):
            challenge_join(user=c, challenge=challenge, stake=20)
        settle_day(challenge, day)

        result = read(challenge, WINNINGS, user=a)

        assert ranking(result) == [(1, b.pk), (2, a.pk)]
        assert [r[2] >> 30 for r in result.rows] == [120, 40]
        assert result.me[0] == 2
        assert read(challenge, WINNINGS, user=c).me is None

    def test_equal_winnings_go_to_whoever_qualified_first(self, backend):
        challenge = ChallengeFactory(bonus=0)
        late, early = UserFactory(), UserFactory()
        fund(early, 100)
        fund(late, 100)
        day = dt.date(2026, 3, 2)
        # `late` has the lower id but checked in later.
        join_and_check_in(challenge, late, 10, day, minute=45)
        join_and_check_in(challenge, early, 10, day, minute=5)
        assert late.pk < early.pk
        settle_day(challenge, day)
        assert ranking(read(challenge, WINNINGS)) == [(1, early.pk), (2, late.pk)]


class TestStreak:
    def test_consecutive_days_count_and_a_broken_streak_drops_off(self, backend):
        challenge = ChallengeFactory()
        steady, lapsed = UserFactory(), UserFactory()
        fund(steady, 1000)
        fund(lapsed, 1000)
        for day in (2, 3, 4):
            join_and_check_in(challenge, steady, 10, dt.date(2026, 3, day))
        join_and_check_in(challenge, lapsed, 10, dt.date(2026, 3, 2))
        join_and_check_in(challenge, lapsed, 10, dt.date(2026, 3, 3))

        on_the_4th = read(challenge, STREAK, user=lapsed, when=at(2026, 3, 4, 12))
        assert [(u, s >> 30) for _, u, s in on_the_4th.rows] == [(steady.pk, 3), (lapsed.pk, 2)]
        assert on_the_4th.me[0] == 2

        # On the 5th, `lapsed` last checked in on the 3rd: the streak is broken.
        if backend == "redis":
            redis().delete(board_key(challenge.pk, STREAK) + ":built")  # the marker would have expired
        on_the_5th = read(challenge, STREAK, user=lapsed, when=at(2026, 3, 5, 12))
        assert [(u, s >> 30) for _, u, s in on_the_5th.rows] == [(steady.pk, 3)]
        assert on_the_5th.me is None

    def test_a_makeup_closes_the_gap(self, backend):
        challenge = MultiDayChallengeFactory()  # 03-02..03-06, window 20:00-23:59
        user = UserFactory()
        fund(user, 100)
        with time_machine.travel(at(2026, 3, 1, 12), tick=False):
            challenge_join(user=user, challenge=challenge, stake=10)
        for day in (2, 4):
            with time_machine.travel(at(2026, 3, day, 21), tick=False):
                checkin_create(user=user, challenge=challenge)
        assert Standing.objects.get().streak == 1
        with time_machine.travel(at(2026, 3, 4, 22), tick=False):
            checkin_makeup(user=user, challenge=challenge, day=dt.date(2026, 3, 3))
        standing = Standing.objects.get()
        assert (standing.streak, standing.best_streak) == (3, 3)
        result = read(challenge, STREAK, user=user, when=at(2026, 3, 4, 23))
        assert result.me == (1, standing.streak_score)


class TestEarly:
    def test_todays_earliest_check_ins_first(self, backend):
        challenge = ChallengeFactory()
        users = [UserFactory() for _ in range(3)]
        for user in users:
            fund(user, 100)
        day = dt.date(2026, 3, 2)
        for user, minute in zip(users, [40, 5, 20], strict=True):
            join_and_check_in(challenge, user, 10, day, hour=5, minute=minute)
        result = read(challenge, EARLY, user=users[0], when=at(2026, 3, 2, 8))
        assert [u for _, u, _ in result.rows] == [users[1].pk, users[2].pk, users[0].pk]
        assert [s // 1_000_000 for _, _, s in result.rows] == [300, 1200, 2400]
        assert result.me[0] == 3
        # The next day's board is empty.
        assert read(challenge, EARLY, when=at(2026, 3, 3, 8)).rows == []

    def test_limit(self, backend):
        challenge = ChallengeFactory()
        users = [UserFactory() for _ in range(5)]
        for index, user in enumerate(users):
            fund(user, 100)
            join_and_check_in(challenge, user, 10, dt.date(2026, 3, 2), hour=6, minute=index)
        result = read(challenge, EARLY, user=users[4], when=at(2026, 3, 2, 8), limit=2)
        assert [u for _, u, _ in result.rows] == [users[0].pk, users[1].pk]
        assert result.me[0] == 5


def _populate():
    """Two challenges' worth of activity: settlements, streaks, ties."""
    challenge = ChallengeFactory(bonus=50)
    users = [UserFactory() for _ in range(6)]
    for user in users:
        fund(user, 1000)
    for day in (2, 3, 4):
        date = dt.date(2026, 3, day)
        for index, user in enumerate(users):
            if (index + day) % 3 == 0:
                continue
            join_and_check_in(challenge, user, 10 * (index % 3 + 1), date, hour=5, minute=(index * 7 + day) % 60)
        # one joiner who does not show up each day
        loser = users[day % len(users)]
        with time_machine.travel(at(2026, 3, day - 1, 13), tick=False):
            if not challenge.rounds.filter(start_date=date, entries__user=loser).exists():
                challenge_join(user=loser, challenge=challenge, stake=10)
        settle_day(challenge, date)
    return challenge, users


@pytest.mark.redis
class TestRedisMatchesTheDatabase:
    def boards(self, challenge, users, when):
        out = {}
        for board in (WINNINGS, STREAK, EARLY):
            result = read(challenge, board, when=when, limit=100)
            mine = [read(challenge, board, user=u, when=when, limit=1).me for u in users]
            out[board] = (result.rows, mine)
        return out

    def test_after_a_rebuild_and_after_flushdb(self, settings):
        challenge, users = _populate()
        when = at(2026, 3, 4, 12)
        with time_machine.travel(when, tick=False):
            call_command("rebuild_leaderboards")
        assert redis().exists(board_key(challenge.pk, WINNINGS))
        from_redis = self.boards(challenge, users, when)

        redis_url = settings.REDIS_URL
        settings.REDIS_URL = None
        from_db = self.boards(challenge, users, when)
        settings.REDIS_URL = redis_url
        assert from_db[WINNINGS][0], "the boards are not empty"
        assert from_redis == from_db

        # Redis loses everything: the next read rebuilds from the database.
        redis().flushdb()
        assert not redis().exists(board_key(challenge.pk, WINNINGS))
        assert self.boards(challenge, users, when) == from_db
        assert redis().exists(board_key(challenge.pk, WINNINGS) + ":built")

    def test_incremental_writes_keep_a_built_board_equal_to_a_fresh_rebuild(self, django_capture_on_commit_callbacks):
        challenge = ChallengeFactory(bonus=0)
        users = [UserFactory() for _ in range(4)]
        for user in users:
            fund(user, 100)
        when = at(2026, 3, 2, 8)
        # Build the (empty) boards first, then play: every write goes into Redis incrementally.
        for board in (WINNINGS, STREAK, EARLY):
            read(challenge, board, when=at(2026, 3, 2, 4))
        with time_machine.travel(at(2026, 3, 2, 4), tick=False):
            leaderboard_rebuild(challenge=challenge, board=EARLY)
        with django_capture_on_commit_callbacks(execute=True):
            for index, user in enumerate(users):
                join_and_check_in(challenge, user, 10 + index, dt.date(2026, 3, 2), hour=5, minute=10 - index)
            settle_day(challenge, dt.date(2026, 3, 2))
        incremental = {b: read(challenge, b, when=when, limit=100).rows for b in (WINNINGS, STREAK, EARLY)}
        with time_machine.travel(when, tick=False):
            call_command("rebuild_leaderboards")
        rebuilt = {b: read(challenge, b, when=when, limit=100).rows for b in (WINNINGS, STREAK, EARLY)}
        assert incremental == rebuilt
        assert len(rebuilt[EARLY]) == 4 and len(rebuilt[WINNINGS]) == 4


@pytest.mark.redis
class TestCachedTopRows:
    """A board's top rows are kept in Redis with their users' faces, tagged with the board's version."""

    def test_a_second_read_is_served_without_a_query(self, django_assert_num_queries):
        from checkin.selectors import leaderboard_body

        challenge, users = _populate()
        when = at(2026, 3, 4, 12)
        first = leaderboard_body(read(challenge, WINNINGS, user=users[0], when=when))
        with django_assert_num_queries(0):
            second = leaderboard_body(read(challenge, WINNINGS, user=users[0], when=when))
        assert second == first and first["entries"], "the same rows and faces, from the cache"
        assert first["entries"][0]["user"]["nickname"]

    def test_a_write_after_the_rows_were_cached_shows_on_the_next_read(self, django_capture_on_commit_callbacks):
        challenge = ChallengeFactory(bonus=0)
        early, late = UserFactory(), UserFactory()
        for user in (early, late):
            fund(user, 100)
        day = dt.date(2026, 3, 2)
        with django_capture_on_commit_callbacks(execute=True):
            join_and_check_in(challenge, late, 10, day, hour=6)
        when = at(2026, 3, 2, 8)
        assert [u for _, u, _ in read(challenge, EARLY, when=when).rows] == [late.pk]  # now cached
        with django_capture_on_commit_callbacks(execute=True):
            join_and_check_in(challenge, early, 10, day, hour=5)  # earlier: goes to the top
        assert [u for _, u, _ in read(challenge, EARLY, when=when).rows] == [early.pk, late.pk]

    def test_rows_tagged_with_another_version_are_recomputed(self):
        challenge, _users = _populate()
        when = at(2026, 3, 4, 12)
        truth = read(challenge, WINNINGS, when=when)
        key = board_key(challenge.pk, WINNINGS)
        version = int(redis().get(f"{key}:v") or 0)
        forged = '{"v": %d, "rows": [[1, 999999, 5]], "faces": {"999999": ["假", ""]}}'
        redis().hset(f"{key}:top", 20, forged % (version - 1))  # as if cached before the last write
        assert read(challenge, WINNINGS, when=when).rows == truth.rows
        redis().hset(f"{key}:top", 20, forged % version)  # the tag is what the read trusts
        assert read(challenge, WINNINGS, when=when).rows == [(1, 999999, 5)]


@pytest.mark.parametrize("board", [WINNINGS, EARLY])
def test_the_hand_written_board_rendering_equals_the_declared_fields(board, rf):
    """The leaderboard's output is rendered by hand for speed; the declared fields are the contract."""
    from rest_framework import serializers

    from checkin.api.serializers import ChallengeLeaderboardOutput

    opens = at(2026, 3, 2, 5)
    body = {
        "board": board,
        "date": dt.date(2026, 3, 2) if board == EARLY else None,
        "entries": [
            {
                "rank": rank,
                "user": {"id": 10 + rank, "nickname": f"用户{rank}", "avatar_url": avatar},
                "score": 100 - rank,
                **({"checked_in_at": opens + dt.timedelta(seconds=rank, microseconds=7)} if board == EARLY else {}),
            }
            for rank, avatar in enumerate(["/media/avatars/a.png", "https://wx.example/b.png", ""], start=1)
        ],
        "me": {"rank": None, "score": None} if board == EARLY else {"rank": 2, "score": 98},
    }
    output = ChallengeLeaderboardOutput(body, context={"request": rf.get("/")})
    by_hand = output.data
    by_fields = serializers.Serializer.to_representation(output, body)
    assert by_hand == by_fields
    assert by_hand["entries"][0]["user"]["avatar_url"] == "http://testserver/media/avatars/a.png"
