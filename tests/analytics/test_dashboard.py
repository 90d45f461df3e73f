"""The growth dashboard in admin: charts as inline SVG, filters, CSV exports, the automation dry run."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analytics.models import AutomationGrant, AutomationRule
from analytics.services import analytics_nightly, segments_compute
from tests.analytics.conftest import day
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
URL = "/admin/analytics/dailymetric/"


@pytest.fixture
def operator_client():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_admin_home_links_the_dashboard(operator_client):
    page = operator_client.get("/admin/").content.decode()
    assert URL in page


def test_dashboard_renders_svg_charts(history, operator_client):
    analytics_nightly(today=day(31))
    response = operator_client.get(URL, {"start": day(0).isoformat(), "end": day(30).isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") >= 6  # funnel, heatmap, users, points, channels, segments, stages
    assert 'class="cell"' in page and 'class="series"' in page and 'class="bar"' in page
    assert "50%" in page  # D1 retention of the D0 cohort: 2 of 4
    assert ">流失</text>" in page and ">流失期</text>" in page  # segment and stage labels in Chinese


def test_channel_filter_and_csv_exports(history, operator_client):
    analytics_nightly(today=day(31))
    query = {"start": day(0).isoformat(), "end": day(0).isoformat()}
    funnel = rows_of(operator_client.get(reverse("admin:analytics_dashboard_export", args=["funnel"]), query))
    assert funnel[0] == ["步骤", "标签", "用户"]  # headers in the operator's language
    assert [(r[0], r[2]) for r in funnel[1:]] == [
        ("visits", "4"),
        ("new_users", "4"),
        ("activated", "3"),
        ("first_redeemed", "1"),
    ]
    clinic = rows_of(
        operator_client.get(
            reverse("admin:analytics_dashboard_export", args=["funnel"]), {**query, "channel": "clinic"}
        )
    )
    assert [(r[0], r[2]) for r in clinic[1:]] == [
        ("visits", "1"),
        ("new_users", "1"),
        ("activated", "0"),
        ("first_redeemed", "0"),
    ]
    retention = rows_of(operator_client.get(reverse("admin:analytics_dashboard_export", args=["retention"]), query))
    assert retention[1][:5] == [day(0).isoformat(), "4", "2", "1", "0"]
    daily = rows_of(operator_client.get(reverse("admin:analytics_dashboard_export", args=["daily"]), query))
    assert daily[1][:3] == [day(0).isoformat(), "4", "5"]  # date, new users, DAU
    for table in ["channels", "inviters", "products", "pools", "winners", "segments"]:
        response = operator_client.get(reverse("admin:analytics_dashboard_export", args=[table]), query)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    inviters = rows_of(operator_client.get(reverse("admin:analytics_dashboard_export", args=["inviters"]), query))
    assert inviters[1] == [str(history["u1"].pk), str(history["u1"]), "3"]  # nickname (masked phone)
    assert operator_client.get(reverse("admin:analytics_dashboard_export", args=["nothing"])).status_code == 404


def test_bad_filters_fall_back_to_defaults(history, operator_client):
    analytics_nightly(today=day(31))
    response = operator_client.get(URL, {"start": "not-a-date", "end": "2026-13-45", "channel": "nope"})
    assert response.status_code == 200


def test_plain_staff_without_permission_cannot_see_it(history):
    client = Client()
    client.force_login(StaffFactory())
    assert client.get(URL).status_code == 403
    assert client.get(reverse("admin:analytics_dashboard_export", args=["funnel"])).status_code == 403


def test_dry_run_page_and_run_now(history, operator_client):
    segments_compute(on=day(10))
    rule = AutomationRule.objects.create(name="回归礼", stage="dormant", points=50, period_days=30)
    url = reverse("admin:analytics_automationrule_preview", args=[rule.pk])
    page = operator_client.get(url).content.decode()
    assert history["u7"].nickname in page
    assert not AutomationGrant.objects.exists()
    operator_client.post(url)
    operator_client.post(url)
    assert AutomationGrant.objects.filter(rule=rule).count() == 1


def test_the_operator_role_sees_the_dashboard_and_runs_automations(history):
    from django.contrib.auth.models import Group

    from mall.services import OPERATOR_GROUP, roles_seed

    roles_seed()
    operator = StaffFactory()
    operator.groups.add(Group.objects.get(name=OPERATOR_GROUP))
    client = Client()
    client.force_login(operator)
    analytics_nightly(today=day(31))
    assert client.get(URL).status_code == 200
    assert client.get(reverse("admin:analytics_dashboard_export", args=["daily"])).status_code == 200
    assert client.get("/admin/analytics/automationrule/add/").status_code == 200
    assert client.get("/admin/events/event/").status_code == 200
    assert client.post("/admin/events/event/add/").status_code == 403  # events stay read-only


def test_every_ranking_csv_lists_its_own_figure(operator_client):
    # winners.csv looked up "winner" (the table name without its "s") and was always empty.
    from analytics.models import DailyMetric

    on = day(0)
    for metric, value in [("pool", 300), ("winners", 4), ("redemptions", 2), ("new_users_inviter", 3)]:
        DailyMetric.objects.create(
            date=on, metric=metric, dimension="7", label="早起打卡", value=value, computed_at=timezone.now()
        )
    query = {"start": on.isoformat(), "end": on.isoformat()}
    for table, value in [("pools", "300"), ("winners", "4"), ("products", "2"), ("inviters", "3")]:
        rows = rows_of(operator_client.get(reverse("admin:analytics_dashboard_export", args=[table]), query))
        assert rows[1:] == [["7", "早起打卡", value]], table
