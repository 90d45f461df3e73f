"""Figures of a small hand-built history (tests/analytics/conftest.py) against hand-computed numbers."""

import pytest

from analytics.models import DailyMetric, UserSegment
from analytics.selectors import funnel, k_factor, retention_cohorts
from analytics.services import analytics_nightly, metrics_compute_day, metrics_nightly, segments_compute
from tests.analytics.conftest import day

pytestmark = pytest.mark.django_db


def figures(on) -> dict:
    return {(m, d): v for m, d, v in DailyMetric.objects.filter(date=on).values_list("metric", "dimension", "value")}


def test_cohort_figures_of_d0(history):
    metrics_compute_day(day=day(0), complete_until=day(40))
    got = figures(day(0))
    # u1..u4 registered on local day D0 (u4 at 00:30, the previous day in UTC).
    assert got[("new_users", "")] == 4
    assert got[("new_users_channel", "")] == 3
    assert got[("new_users_channel", "clinic")] == 1
    assert got[("new_users_inviter", str(history["u1"].pk))] == 3
    # Activation (sign-in/join/check-in within 7 days): u1, u2 (joined D2), u3. Not u4.
    assert got[("activated", "")] == 3
    assert got[("first_redeemed", "")] == 1  # u3
    assert got[("retained_d1", "")] == 2  # u1 and u3 active on D1
    assert got[("retained_d7", "")] == 1  # u1 checked in on D7
    assert got[("retained_d30", "")] == 0
    assert got[("dau", "")] == 4 + 1  # the four sign-ups, and u6 (active every day from D-9)
    assert got[("invites", "")] == 3
    assert got[("invites_converted", "")] == 2  # u2 and u3 activated, u4 never did
    # No scans at all: every sign-up is organic and counts as its own visit.
    assert got[("visits", "")] == 4


def test_retention_waits_for_finished_days(history):
    metrics_compute_day(day=day(0), complete_until=day(3))
    got = figures(day(0))
    assert got[("retained_d1", "")] == 2
    assert ("retained_d7", "") not in got  # D7 has not happened yet
    assert got[("activated", "")] == 3  # u2 joined on D2, within the finished days


def test_k_factor_is_invites_per_user_times_conversion(history):
    metrics_nightly(today=day(2))  # the 31 days up to D1: u2 has not joined a challenge yet
    assert k_factor(end=day(1)).converted == 1
    metrics_nightly(today=day(3))  # up to D2
    # Active in the 30 days D-27..D2: u1..u4 (registered D0), u5 and u6 (active D1), u7 (until D-12).
    assert figures(day(2))[("mau", "")] == 7
    k = k_factor(end=day(2))
    assert (k.invites, k.converted, k.active_users) == (3, 2, 7)
    # 3 invites / 7 active users per user, times 2 of 3 invitees converted: 2/7.
    assert k.invites_per_user == pytest.approx(3 / 7)
    assert k.conversion == pytest.approx(2 / 3)
    assert k.k == pytest.approx(2 / 7)


def test_funnel_and_cohort_table(history):
    metrics_nightly(today=day(31))  # D0..D30: D30 of the D0 cohort is finished
    steps = funnel(start=day(0), end=day(0))
    assert [(s.key, s.value) for s in steps] == [
        ("visits", 4),
        ("new_users", 4),
        ("activated", 3),
        ("first_redeemed", 1),
    ]
    cohorts = {row.cohort: row for row in retention_cohorts(start=day(0), end=day(0))}
    assert (cohorts[day(0)].size, cohorts[day(0)].retained) == (4, {1: 2, 7: 1, 30: 0})


def test_rfm_segments_and_stages(history):
    sizes = segments_compute(on=day(10))
    got = {
        s.user_id: (s.recency_days, s.frequency, s.monetary, s.r_score, s.f_score, s.m_score, s.segment, s.stage)
        for s in UserSegment.objects.all()
    }
    h = history
    # u6: active every day D-9..D10 (20 days), redeemed 150: the best customer.
    assert got[h["u6"].pk] == (0, 20, 150, 3, 3, 3, "important_value", "mature")
    # u7: active D-20..D-12 (8 days inside the 30-day window), redeemed 120, silent for 22 days.
    assert got[h["u7"].pk] == (22, 8, 120, 1, 3, 3, "important_winback", "dormant")
    # u8: last seen D-50.
    assert got[h["u8"].pk][6:] == ("lost", "churned")
    # u9 joined two days ago.
    assert got[h["u9"].pk][6:] == ("new", "introduction")
    # u1: active D0, D1, D7: recency 3, 3 active days, nothing redeemed.
    assert got[h["u1"].pk] == (3, 3, 0, 3, 2, 1, "general", "growing")
    # u3: active D0, D1, D3, redeemed 80 (below the 100 threshold).
    assert got[h["u3"].pk] == (7, 3, 80, 2, 2, 2, "general", "growing")
    assert len(got) == 9  # the staff user is not a customer
    assert sizes == {"important_value": 1, "important_winback": 1, "lost": 1, "new": 1, "general": 5}
    assert figures(day(10))[("segment", "general")] == 5
    assert figures(day(10))[("stage", "dormant")] == 1


def _snapshot():
    metrics = sorted(DailyMetric.objects.values_list("date", "metric", "dimension", "label", "value"))
    segments = sorted(UserSegment.objects.values_list("user_id", "computed_on", "segment", "stage", "frequency"))
    return metrics, segments


def test_nightly_job_is_idempotent(history):
    analytics_nightly(today=day(11))
    first = _snapshot()
    assert len(first[0]) > 31 * 5
    analytics_nightly(today=day(11))
    assert _snapshot() == first


def test_the_plays_have_daily_figures(history):
    from tests.analytics.conftest import active

    active(history["u1"], 3, kind="drew")
    active(history["u2"], 3, kind="drew")
    active(history["u1"], 3, kind="packet_opened")
    active(history["u3"], 3, kind="quizzed")
    active(history["u2"], 3, kind="visited")
    active(history["u3"], 3, kind="visited")
    metrics_compute_day(day=day(3), complete_until=day(40))
    got = figures(day(3))

    assert (got[("draws", "")], got[("packets_opened", "")], got[("quizzes", "")]) == (2, 1, 1)
    assert got[("store_visits", "")] == 2
    assert got[("prizes_won", "")] == 0
