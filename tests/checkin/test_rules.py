"""The pure rules: the split of a pool (as Hypothesis properties), business days and windows, scores."""

import datetime as dt
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkin import rules
from checkin.rules import EQUAL, PROPORTIONAL, Winner, split_pool

SHANGHAI = ZoneInfo("Asia/Shanghai")


@st.composite
def pools(draw):
    """Winners with stakes and qualifying times, and a pool at least their stakes (losers and bonus add)."""
    count = draw(st.integers(min_value=1, max_value=40))
    stakes = draw(st.lists(st.integers(min_value=1, max_value=10_000), min_size=count, max_size=count))
    times = draw(st.lists(st.integers(min_value=0, max_value=50), min_size=count, max_size=count))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**6), min_size=count, max_size=count, unique=True))
    extra = draw(st.integers(min_value=0, max_value=10**7))
    winners = [Winner(i, s, t) for i, s, t in zip(ids, stakes, times, strict=True)]
    return sum(stakes) + extra, winners


@given(pools(), st.sampled_from([PROPORTIONAL, EQUAL]))
def test_the_payouts_sum_to_the_pool_exactly(data, rule):
    pool, winners = data
    assert sum(split_pool(pool=pool, winners=winners, rule=rule).values()) == pool


@given(pools(), st.sampled_from([PROPORTIONAL, EQUAL]))
def test_no_winner_gets_back_less_than_the_stake(data, rule):
    pool, winners = data
    shares = split_pool(pool=pool, winners=winners, rule=rule)
    assert set(shares) == {w.entry_id for w in winners}
    assert all(shares[w.entry_id] >= w.stake for w in winners)


@given(pools())
def test_proportional_shares_are_within_one_point_of_pool_times_stake_over_stakes(data):
    pool, winners = data
    stakes = sum(w.stake for w in winners)
    shares = split_pool(pool=pool, winners=winners, rule=PROPORTIONAL)
    for w in winners:
        exact = Fraction(pool * w.stake, stakes)
        assert abs(shares[w.entry_id] - exact) < 1
        # rounded down, then at most one leftover point
        assert shares[w.entry_id] in (exact.__floor__(), exact.__floor__() + 1)


@given(pools())
def test_equal_shares_give_every_winner_the_same_surplus_within_one_point(data):
    pool, winners = data
    shares = split_pool(pool=pool, winners=winners, rule=EQUAL)
    surpluses = [shares[w.entry_id] - w.stake for w in winners]
    assert max(surpluses) - min(surpluses) <= 1


@given(pools(), st.sampled_from([PROPORTIONAL, EQUAL]), st.randoms())
def test_the_split_is_deterministic_whatever_the_order_of_winners(data, rule, random):
    pool, winners = data
    shuffled = list(winners)
    random.shuffle(shuffled)
    assert split_pool(pool=pool, winners=winners, rule=rule) == split_pool(pool=pool, winners=shuffled, rule=rule)


def test_leftover_points_go_to_the_earlier_check_in_then_the_lower_entry_id():
    # 3 winners with equal stakes, pool 10: 3 each and one leftover point.
    winners = [Winner(7, 1, 30), Winner(5, 1, 20), Winner(9, 1, 20)]
    assert split_pool(pool=10, winners=winners, rule=PROPORTIONAL) == {5: 4, 9: 3, 7: 3}
    # The earlier qualifying check-in wins over a lower entry id.
    winners = [Winner(1, 1, 99), Winner(2, 1, 3)]
    assert split_pool(pool=3, winners=winners, rule=EQUAL) == {2: 2, 1: 1}


def test_one_to_three_stakes_split_one_to_three():
    winners = [Winner(1, 10, 0), Winner(2, 30, 1)]
    assert split_pool(pool=160, winners=winners, rule=PROPORTIONAL) == {1: 40, 2: 120}


def test_a_pool_smaller_than_the_stakes_is_refused():
    with pytest.raises(ValueError):
        split_pool(pool=5, winners=[Winner(1, 10, 0)], rule=PROPORTIONAL)


# -- business days and windows -----------------------------------------------------------------


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("instant", "cutoff", "expected"),
    [
        (sh(2026, 3, 2, 0, 0), dt.time(0, 0), dt.date(2026, 3, 2)),
        (sh(2026, 3, 1, 23, 59, 59), dt.time(0, 0), dt.date(2026, 3, 1)),
        (sh(2026, 3, 2, 1, 0), dt.time(4, 0), dt.date(2026, 3, 1)),  # the night owl's 01:00
        (sh(2026, 3, 2, 3, 59, 59), dt.time(4, 0), dt.date(2026, 3, 1)),
        (sh(2026, 3, 2, 4, 0), dt.time(4, 0), dt.date(2026, 3, 2)),
        # an instant given in UTC is read in the challenge's zone
        (dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC), dt.time(0, 0), dt.date(2026, 3, 2)),
    ],
)
def test_business_date(instant, cutoff, expected):
    assert rules.business_date(instant, zone=SHANGHAI, cutoff=cutoff) == expected


def test_a_window_after_midnight_belongs_to_the_business_day_before_with_a_cutoff():
    opens, closes = rules.window_bounds(
        dt.date(2026, 3, 1), zone=SHANGHAI, cutoff=dt.time(4, 0), start=dt.time(22, 0), end=dt.time(1, 30)
    )
    assert opens == sh(2026, 3, 1, 22, 0)
    assert closes == sh(2026, 3, 2, 1, 31)


def test_the_window_closes_at_the_end_of_its_last_minute():
    opens, closes = rules.window_bounds(
        dt.date(2026, 3, 1), zone=SHANGHAI, cutoff=dt.time(0, 0), start=dt.time(20, 0), end=dt.time(23, 59)
    )
    assert (opens, closes) == (sh(2026, 3, 1, 20, 0), sh(2026, 3, 2, 0, 0))


def test_window_offsets_reject_a_window_that_wraps_past_the_cutoff():
    opens, closes = rules.window_offsets(dt.time(0, 0), dt.time(22, 0), dt.time(1, 0))
    assert closes <= opens


# -- scores --------------------------------------------------------------------------------------


@given(
    st.integers(min_value=1, max_value=rules.VALUE_MAX),
    st.integers(min_value=1, max_value=rules.VALUE_MAX),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
)
def test_a_board_score_orders_by_value_then_by_who_got_there_first(v1, v2, s1, s2):
    t1 = rules.SCORE_EPOCH + dt.timedelta(seconds=s1)
    t2 = rules.SCORE_EPOCH + dt.timedelta(seconds=s2)
    a, b = rules.board_score(v1, t1), rules.board_score(v2, t2)
    assert a < 2**53 and b < 2**53
    assert rules.board_value(a) == v1
    if v1 != v2:
        assert (a > b) == (v1 > v2)
    elif s1 != s2:
        assert (a > b) == (s1 < s2)
    else:
        assert a == b
