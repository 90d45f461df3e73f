"""The BENCH line format and the goal logic (no timing here: bench/run.py measures)."""

import math

import pytest

from bench.report import Figure, format_line, goal_met, parse_line, percentile, ratio


def test_line_round_trips_through_the_parser():
    figure = Figure("checkin_rush", 0.73, ">=", 0.5, details={"rps": 120.5, "baseline_rps": 165.0})
    line = format_line(figure)
    assert line.startswith("BENCH checkin_rush ratio=0.730 goal=>=0.5 ")
    parsed = parse_line(line)
    assert (parsed.name, parsed.ratio, parsed.op, parsed.goal) == ("checkin_rush", 0.73, ">=", 0.5)
    assert parsed.details == {"rps": "120.5", "baseline_rps": "165"}


def test_goals_in_both_directions():
    assert goal_met(0.5, ">=", 0.5) and not goal_met(0.49, ">=", 0.5)
    assert goal_met(3.0, "<=", 3) and not goal_met(3.01, "<=", 3)
    assert not goal_met(None, "<=", 3) and not goal_met(math.nan, ">=", 0.5)


def test_a_failed_condition_misses_the_goal_and_says_so():
    figure = Figure("redeem_flash", 0.9, ">=", 0.5, conditions={"no_oversell": False})
    assert not figure.met
    assert "no_oversell=no" in figure.line() and figure.line().endswith("met=no")
    assert Figure("redeem_flash", 0.9, ">=", 0.5, conditions={"no_oversell": True}).line().endswith("met=yes")


def test_unmeasured_ratio_is_nan_and_a_miss():
    assert ratio(10.0, 0) is None
    line = Figure("rank_1m", ratio(1.0, 0), "<=", 1.2).line()
    assert " ratio=nan " in line and line.endswith("met=no")
    assert parse_line(line).ratio is None


@pytest.mark.parametrize("bad", ["BENCH x ratio=1 goal=>1", "hello", "BENCH x ratio=1 goal=~1"])
def test_parser_refuses_other_lines(bad):
    with pytest.raises(ValueError):
        parse_line(bad)


def test_bad_op_is_refused_and_percentiles_by_nearest_rank():
    with pytest.raises(ValueError):
        Figure("x", 1.0, "==", 1.0)
    assert percentile([], 50) is None
    assert percentile([3, 1, 2, 4], 50) == 2
    assert percentile(list(range(1, 101)), 99) == 99
    assert ratio(3.0, 2.0) == 1.5
