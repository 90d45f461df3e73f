"""The 拼手气 split: the double-average method, each share in its bounds, the shares summing to the pool."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.redpacket.services import redpacket_share_bounds, redpacket_share_draw, redpacket_split


def _check(shares: list[int], pool: int) -> None:
    assert sum(shares) == pool
    remaining = pool
    for index, share in enumerate(shares):
        left = len(shares) - index
        low, high = redpacket_share_bounds(remaining=remaining, shares_left=left)
        assert 1 <= low <= share <= high
        if left > 1:
            assert high <= 2 * remaining // left  # the double average
            assert remaining - share >= left - 1  # every later share can still have a point
        else:
            assert share == remaining  # the last takes the rest
        remaining -= share


@given(
    shares=st.integers(min_value=1, max_value=100),
    extra=st.integers(min_value=0, max_value=100_000),
    seed=st.randoms(use_true_random=False),
)
def test_shares_sum_to_the_pool_and_each_lies_in_its_bounds(shares, extra, seed):
    pool = shares + extra
    drawn = redpacket_split(pool=pool, shares=shares, randbelow=seed.randrange)
    assert len(drawn) == shares
    _check(drawn, pool)


@given(shares=st.integers(min_value=1, max_value=30), extra=st.integers(min_value=0, max_value=300))
def test_the_extreme_draws_stay_in_bounds(shares, extra):
    pool = shares + extra
    _check(redpacket_split(pool=pool, shares=shares, randbelow=lambda n: 0), pool)  # always the least
    _check(redpacket_split(pool=pool, shares=shares, randbelow=lambda n: n - 1), pool)  # always the most


def test_the_real_draw_uses_secrets_and_keeps_the_rules():
    for _round in range(200):
        shares = random.randint(1, 20)
        pool = shares + random.randint(0, 500)
        _check(redpacket_split(pool=pool, shares=shares), pool)


def test_the_draw_is_random_across_the_whole_range():
    seen = {redpacket_share_draw(remaining=30, shares_left=3) for _draw in range(500)}
    assert seen == set(range(1, 21))  # 1 .. 2 x 30 / 3


def test_a_pool_too_small_for_its_shares_is_refused():
    with pytest.raises(ValueError):
        redpacket_share_bounds(remaining=2, shares_left=3)
