"""Leaderboards per challenge: winnings (payouts received, stakes included), streak (consecutive
check-in days, still alive: last day today or yesterday) and early (today's earliest check-ins).

The database is the truth: `Standing` rows hold each user's winnings and streak with a packed
score (checkin.rules.board_score: value first, then whoever reached it first, then the lower user
id), and check-ins give the early board. With REDIS_URL set, sorted sets serve the boards (top N
and one user's rank in O(log N)); each set has a marker key, and a board whose marker is missing
(never built, expired, or Redis flushed) is rebuilt from the database before it is read. Writes
update the sets after commit; `rebuild_leaderboards` rebuilds every board.

Redis layout (per challenge id C):
  checkin:lb:C:winnings, checkin:lb:C:streak   score = packed score, member = 10**12 - user id
  checkin:lb:C:early:YYYY-MM-DD                score = microseconds after the window opened,
                                               member = user id, zero-padded
  <key>:built                                  the marker; the streak one lives an hour so broken
                                               streaks drop out, the early board lives 3 days
  <key>:v                                      the board's version, incremented by every write
  <key>:top                                    hash, limit -> the top rows with the users' faces
                                               (JSON) as of a version; a minute at most
"""

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, Q, Sum

from checkin import rules
from checkin.models import Challenge, CheckIn, Entry, Standing
from core.db import fetch_rows, insert_rows

logger = logging.getLogger(__name__)

WINNINGS, STREAK, EARLY = "winnings", "streak", "early"
BOARDS = (WINNINGS, STREAK, EARLY)
_ID_SPACE = 10**12
_MARKER_TTL = {WINNINGS: 24 * 3600, STREAK: 3600, EARLY: 3 * 24 * 3600}
_ZADD_CHUNK = 1000
# Every read shows the same top rows: they are kept with their users' faces, tagged with the
# board's version, so a read is one Redis round trip and no query. A write increments the version
# (the next read recomputes them); the minute only bounds how long a changed nickname or avatar
# takes to show, since faces are not part of the version.
_TOP_TTL = 60


@dataclass(frozen=True)
class Row:
    user_id: int
    score: int  # the raw score: packed for winnings/streak, microseconds for early


# -- standings (database) -----------------------------------------------------------------------


def _streak_runs(days: list[dt.date]) -> tuple[int, int]:
    """(current, best): the run of consecutive days ending at the latest day, and the longest run."""
    current = best = 0
    previous = None
    for day in sorted(set(days)):
        current = current + 1 if previous is not None and day - previous == dt.timedelta(days=1) else 1
        best = max(best, current)
        previous = day
    return current, best


# The streak's time and score move only when the streak or its last day changes: a check-in that
# does not extend the run keeps the moment it was reached (earlier ranks higher on a tie). The
# check-in's own statement (checkin.services.checkins) upserts with the same head and conflict.
# Every upsert of a standing (streak or winnings) names all its columns, so a new row is whole.
STANDING_INSERT_HEAD = """INSERT INTO checkin_standing AS s (challenge_id, user_id,
    winnings, winnings_at, winnings_score, streak, best_streak, streak_date, streak_at, streak_score)"""
STREAK_UPSERT_CONFLICT = """ON CONFLICT (challenge_id, user_id) DO UPDATE SET
    streak = excluded.streak,
    best_streak = excluded.best_streak,
    streak_date = excluded.streak_date,
    streak_at = CASE WHEN s.streak = excluded.streak AND s.streak_date IS NOT DISTINCT FROM excluded.streak_date
        THEN s.streak_at ELSE excluded.streak_at END,
    streak_score = CASE WHEN s.streak = excluded.streak AND s.streak_date IS NOT DISTINCT FROM excluded.streak_date
        THEN s.streak_score ELSE excluded.streak_score END"""
_STREAK_UPSERT = f"""
{STANDING_INSERT_HEAD}
VALUES (%s, %s, 0, NULL, 0, %s, %s, %s, %s, %s)
{STREAK_UPSERT_CONFLICT}
RETURNING *
"""


def standing_update_streak(*, challenge: Challenge, user, at: dt.datetime) -> Standing:
    """Recompute the user's streak in `challenge` from their check-in days (a makeup may close a
    gap), in one upsert: a check-in's hot path makes no separate read, insert and update of it."""
    days = list(CheckIn.objects.filter(challenge=challenge, user=user).values_list("local_date", flat=True))
    current, best = _streak_runs(days)
    last = max(days) if days else None
    params = [challenge.pk, user.pk, current, best, last, at, rules.board_score(current, at)]
    return next(iter(Standing.objects.raw(_STREAK_UPSERT, params)))


_NO_STREAK = {"streak": 0, "best_streak": 0, "streak_date": None, "streak_at": None, "streak_score": 0}


def standings_add_winnings(*, challenge_id: int, entry_ids: list[int]) -> dict[int, int]:
    """Add the payouts of just-paid winning entries (one per user, as in a settlement batch) to
    their users' winnings, in one upsert. Exactly once, because the caller marks the entries paid
    in the same transaction. Returns the winnings board's new scores ({user id: score})."""
    if not entry_ids:
        return {}
    # PostgreSQL adds the batch's payouts instead of re-totalling each user's entries of the challenge.
    added = fetch_rows(Standing, _WINNINGS_ADD, {"challenge": challenge_id, "entries": entry_ids})
    if added is not None:
        return {user_id: score for user_id, score in added if score > 0}
    user_ids = list(Entry.objects.filter(pk__in=entry_ids).values_list("user_id", flat=True))
    totals = (
        Entry.objects.filter(
            round__challenge_id=challenge_id, user_id__in=user_ids, status=Entry.Status.WON, paid_at__isnull=False
        )
        .values("user_id")
        .annotate(total=Sum("payout"), reached=Max("qualified_at"))
    )
    rows = [
        (row["user_id"], row["total"], row["reached"], rules.board_score(row["total"], row["reached"]))
        for row in totals
    ]
    # New standings start with no streak; existing ones keep theirs (only winnings are updated).
    insert_rows(
        Standing,
        ["user_id", "winnings", "winnings_at", "winnings_score"],
        rows,
        same={"challenge_id": challenge_id, **_NO_STREAK},
        conflict=["challenge", "user"],
        update=["winnings", "winnings_at", "winnings_score"],
    )
    return {user_id: score for user_id, _total, _reached, score in rows if score > 0}


_NEW_SCORE = rules.board_score_sql("e.payout", "e.qualified_at")
_ADDED_SCORE = rules.board_score_sql("s.winnings + excluded.winnings", "GREATEST(s.winnings_at, excluded.winnings_at)")
_WINNINGS_ADD = f"""
{STANDING_INSERT_HEAD}
SELECT %(challenge)s::bigint, e.user_id, e.payout, e.qualified_at, {_NEW_SCORE}, 0, 0, NULL, NULL, 0
FROM checkin_entry e WHERE e.id = ANY(%(entries)s::bigint[])
ON CONFLICT (challenge_id, user_id) DO UPDATE SET
    winnings = s.winnings + excluded.winnings,
    winnings_at = GREATEST(s.winnings_at, excluded.winnings_at),
    winnings_score = {_ADDED_SCORE}
RETURNING user_id, winnings_score
"""


# -- Redis --------------------------------------------------------------------------------------


def _redis():
    if not settings.REDIS_URL:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def board_key(challenge_id: int, board: str, day: dt.date | None = None) -> str:
    if board == EARLY:
        return f"checkin:lb:{challenge_id}:early:{day.isoformat()}"
    return f"checkin:lb:{challenge_id}:{board}"


def _member(board: str, user_id: int) -> str:
    return f"{user_id:012d}" if board == EARLY else f"{_ID_SPACE - user_id:012d}"


def _user_of(board: str, member) -> int:
    value = int(member.decode() if isinstance(member, bytes) else member)
    return value if board == EARLY else _ID_SPACE - value


def _redis_safely(action, *args, **kwargs):
    """Redis is a cache of the boards: when it fails, log and carry on (reads fall back to the database)."""
    from redis.exceptions import RedisError

    try:
        return action(*args, **kwargs)
    except RedisError:
        logger.warning("leaderboard: Redis unavailable", exc_info=True)
        return None


# -- rows from the database ---------------------------------------------------------------------


def _early_day_and_open(challenge: Challenge, day: dt.date | None) -> tuple[dt.date, dt.datetime]:
    from checkin.services.challenges import challenge_today, challenge_window

    day = day or challenge_today(challenge)
    return day, challenge_window(challenge, day)[0]


def _db_queryset(challenge: Challenge, board: str, day: dt.date | None = None):
    if board == WINNINGS:
        return Standing.objects.filter(challenge=challenge, winnings__gt=0).order_by("-winnings_score", "user_id")
    if board == STREAK:
        from checkin.services.challenges import challenge_today

        alive_since = challenge_today(challenge) - dt.timedelta(days=1)
        return Standing.objects.filter(challenge=challenge, streak__gt=0, streak_date__gte=alive_since).order_by(
            "-streak_score", "user_id"
        )
    return CheckIn.objects.filter(challenge=challenge, local_date=day, makeup=False).order_by(
        "checked_in_at", "user_id"
    )


def _db_rows(challenge: Challenge, board: str, day: dt.date | None = None, limit: int | None = None) -> list[Row]:
    queryset = _db_queryset(challenge, board, day)
    if limit is not None:
        queryset = queryset[:limit]
    if board == EARLY:
        _, opens = _early_day_and_open(challenge, day)
        return [Row(u, rules.early_score(t, opens)) for u, t in queryset.values_list("user_id", "checked_in_at")]
    field = "winnings_score" if board == WINNINGS else "streak_score"
    return [Row(u, s) for u, s in queryset.values_list("user_id", field)]


def _db_rank(challenge: Challenge, board: str, user_id: int, day: dt.date | None) -> tuple[int, int] | None:
    """(rank, raw score) of one user on the database board, or None when not on it."""
    queryset = _db_queryset(challenge, board, day)
    if board == EARLY:
        mine = queryset.filter(user_id=user_id).values_list("checked_in_at", flat=True).first()
        if mine is None:
            return None
        ahead = queryset.filter(Q(checked_in_at__lt=mine) | Q(checked_in_at=mine, user_id__lt=user_id)).count()
        _, opens = _early_day_and_open(challenge, day)
        return ahead + 1, rules.early_score(mine, opens)
    field = "winnings_score" if board == WINNINGS else "streak_score"
    mine = queryset.filter(user_id=user_id).values_list(field, flat=True).first()
    if mine is None:
        return None
    ahead = queryset.filter(Q(**{f"{field}__gt": mine}) | Q(**{field: mine, "user_id__lt": user_id})).count()
    return ahead + 1, mine


# -- building and writing the Redis sets --------------------------------------------------------


def leaderboard_rebuild(*, challenge: Challenge, board: str, day: dt.date | None = None) -> int:
    """Replace one Redis board with the database's. Returns its size (0 without Redis)."""
    redis = _redis()
    if redis is None:
        return 0
    if board == EARLY:
        day, _ = _early_day_and_open(challenge, day)
    rows = _db_rows(challenge, board, day)
    key = board_key(challenge.pk, board, day)
    pipe = redis.pipeline(transaction=True)
    pipe.delete(key)
    for start in range(0, len(rows), _ZADD_CHUNK):
        pipe.zadd(key, {_member(board, row.user_id): row.score for row in rows[start : start + _ZADD_CHUNK]})
    if board == EARLY:
        pipe.expire(key, _MARKER_TTL[EARLY])
    _version_bump(pipe, key, board)
    pipe.set(f"{key}:built", "1", ex=_MARKER_TTL[board])
    pipe.execute()
    return len(rows)


def leaderboards_rebuild(*, challenge_ids: list[int] | None = None) -> int:
    """Rebuild every board of every (or the given) challenge; today's early board only. Returns boards built."""
    challenges = Challenge.objects.all()
    if challenge_ids:
        challenges = challenges.filter(pk__in=challenge_ids)
    built = 0
    if _redis() is None:
        return 0
    for challenge in challenges:
        for board in BOARDS:
            leaderboard_rebuild(challenge=challenge, board=board)
            built += 1
    return built


def _version_bump(pipe, key: str, board: str) -> None:
    """In a write's pipeline: a new version of the board, so its cached top rows are recomputed."""
    pipe.incr(f"{key}:v")
    if board == EARLY:  # a day's board goes away after three days, its version with it
        pipe.expire(f"{key}:v", _MARKER_TTL[EARLY])


# A write into a built board, decided and done in Redis: one round trip for any number of boards
# (a pipeline of these), where asking which boards are built first took a round trip of its own.
# KEYS: the board, its marker, its version; ARGV: "nx" (only add new members) or "", the seconds
# the board lives (0: for good), then score and member pairs.
_WRITE_IF_BUILT = """
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
for i = 3, #ARGV, 2 do
    if ARGV[1] == 'nx' then
        redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1])
    else
        redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
    end
end
redis.call('INCR', KEYS[3])
if tonumber(ARGV[2]) > 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    redis.call('EXPIRE', KEYS[3], ARGV[2])
end
return 1
"""


def _push_many(pushes: list[tuple[str, dict[int, int], dt.date | None, bool]], challenge_id: int) -> None:
    """Write scores into built boards (a missing board is rebuilt from the database when next
    read), incrementing each written board's version; one round trip for them all."""
    redis = _redis()
    pushes = [p for p in pushes if p[1]]
    if redis is None or not pushes:
        return

    def write():
        script = redis.register_script(_WRITE_IF_BUILT)
        pipe = redis.pipeline(transaction=False)
        for board, scores, day, only_new in pushes:
            key = board_key(challenge_id, board, day)
            pairs = [value for user_id, score in scores.items() for value in (score, _member(board, user_id))]
            lives = _MARKER_TTL[EARLY] if board == EARLY else 0
            script(keys=[key, f"{key}:built", f"{key}:v"], args=["nx" if only_new else "", lives, *pairs], client=pipe)
        pipe.execute()

    _redis_safely(write)


def _push(challenge_id: int, board: str, scores: dict[int, int], day: dt.date | None = None, only_new=False) -> None:
    _push_many([(board, scores, day, only_new)], challenge_id)


def board_push_checkin(*, checkin: CheckIn, challenge: Challenge, standing: Standing | None) -> None:
    """After a check-in commits: the user's streak, and today's early board. Takes what the
    check-in's transaction wrote (its row, the challenge, the user's standing), so it reads nothing
    from the database."""
    pushes = []
    if standing is not None and standing.streak > 0:
        pushes.append((STREAK, {checkin.user_id: standing.streak_score}, None, False))
    if not checkin.makeup:
        _, opens = _early_day_and_open(challenge, checkin.local_date)
        score = rules.early_score(checkin.checked_in_at, opens)
        pushes.append((EARLY, {checkin.user_id: score}, checkin.local_date, True))
    _push_many(pushes, challenge.pk)


def board_push_winnings(*, challenge_id: int, scores: dict[int, int]) -> None:
    """After a settlement batch commits: the new winnings scores of its winners (as written)."""
    _push(challenge_id, WINNINGS, scores)


# -- reading ------------------------------------------------------------------------------------


@dataclass
class Board:
    board: str
    day: dt.date | None
    rows: list[tuple[int, int, int]]  # (rank, user id, raw score)
    me: tuple[int, int] | None  # (rank, raw score)
    opens_at: dt.datetime | None = None
    # The rows' users' faces when they were read with them (not part of what the board is).
    faces: dict[int, tuple[str, str]] | None = field(default=None, compare=False)


def _redis_read(redis, challenge: Challenge, board: str, day, limit: int, user_id: int | None):
    """(rows, me, faces) in one round trip when the top rows of this version are cached."""
    from core.faces import user_faces

    key = board_key(challenge.pk, board, day)
    # One round trip: the marker, the version, the cached top rows and the caller's rank together;
    # a board not built is built, then read again.
    for _attempt in range(2):
        pipe = redis.pipeline(transaction=False)
        pipe.exists(f"{key}:built")
        pipe.get(f"{key}:v")
        pipe.hget(f"{key}:top", limit)
        if user_id is not None:
            member = _member(board, user_id)
            pipe.zrank(key, member) if board == EARLY else pipe.zrevrank(key, member)
            pipe.zscore(key, member)
        built, version, cached, *mine = pipe.execute()
        if built:
            break
        leaderboard_rebuild(challenge=challenge, board=board, day=day)
    version = int(version or 0)
    me = None
    if user_id is not None and mine[0] is not None:
        me = (mine[0] + 1, int(mine[1]))
    top = json.loads(cached) if cached else None
    if top is not None and top["v"] == version:
        return [tuple(row) for row in top["rows"]], me, {int(k): tuple(face) for k, face in top["faces"].items()}
    # Read after the version: a write in between makes the rows newer than their tag, never older,
    # so the next read recomputes rather than trusting stale rows.
    if board == EARLY:
        members = redis.zrange(key, 0, limit - 1, withscores=True)
    else:
        members = redis.zrevrange(key, 0, limit - 1, withscores=True)
    rows = [(i + 1, _user_of(board, m), int(s)) for i, (m, s) in enumerate(members)]
    faces = user_faces(user_ids=[user_id for _, user_id, _ in rows])
    pipe = redis.pipeline(transaction=False)
    pipe.hset(f"{key}:top", limit, json.dumps({"v": version, "rows": rows, "faces": faces}))
    pipe.expire(f"{key}:top", _TOP_TTL)
    pipe.execute()
    return rows, me, faces


def leaderboard_read(*, challenge: Challenge, board: str, limit: int = 20, user=None) -> Board:
    """Top `limit` of a board and the caller's rank: from Redis when configured, else the database."""
    if board not in BOARDS:
        raise ValueError(f"unknown board {board!r}")
    day, opens = (None, None)
    if board == EARLY:
        day, opens = _early_day_and_open(challenge, None)
    user_id = user.pk if user is not None else None
    redis = _redis()
    if redis is not None:
        result = _redis_safely(_redis_read, redis, challenge, board, day, limit, user_id)
        if result is not None:
            rows, me, faces = result
            return Board(board, day, rows, me, opens, faces)
    rows = [(i + 1, row.user_id, row.score) for i, row in enumerate(_db_rows(challenge, board, day, limit))]
    me = _db_rank(challenge, board, user_id, day) if user_id is not None else None
    return Board(board, day, rows, me, opens)
