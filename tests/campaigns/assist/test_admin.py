import pytest
from django.test import Client

from campaigns.assist.models import AssistCampaign, AssistTask
from campaigns.assist.services import assist_task_help, assist_task_start
from mall.models import Order
from tests.campaigns.assist.factories import AssistCampaignFactory, ProductFactory
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


def campaign_form(**overrides):
    form = {
        "title": "助力领好礼",
        "kind": "assist",
        "reward_kind": "points",
        "reward_points": "30",
        "product": "",
        "floor_price": "0",
        "helpers_required": "3",
        "time_limit_hours": "48",
        "helps_per_day": "3",
        "tasks_per_user": "1",
        "seed": "",
        "is_active": "on",
        "sort_order": "0",
    }
    form.update(overrides)
    return form


def test_pages_render_in_chinese_with_state_filters(staff_client):
    campaign = AssistCampaignFactory(helpers_required=2)
    task, _ = assist_task_start(user=UserFactory(), campaign_id=campaign.pk)
    assist_task_help(helper=UserFactory(), task_id=task.pk)
    for url in (
        "/admin/campaigns/assistcampaign/",
        f"/admin/campaigns/assistcampaign/{campaign.pk}/change/",
        "/admin/campaigns/assisttask/?status=open",
        f"/admin/campaigns/assisttask/{task.pk}/change/",
    ):
        response = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
    assert "助力任务" in staff_client.get("/admin/campaigns/assisttask/").content.decode()


def test_operators_create_a_campaign_and_bad_ones_are_refused(staff_client):
    url = "/admin/campaigns/assistcampaign/add/"
    assert staff_client.post(url, campaign_form()).status_code == 302
    assert AssistCampaign.objects.get(title="助力领好礼").reward_points == 30

    no_points = staff_client.post(url, campaign_form(title="零积分", reward_points="0"))
    assert no_points.status_code == 200 and "reward_points" in no_points.context["adminform"].form.errors

    product = ProductFactory(price=100)
    bargain = campaign_form(title="砍价", kind="bargain", reward_points="0", product=str(product.pk), floor_price="150")
    refused = staff_client.post(url, bargain)
    assert refused.status_code == 200 and "floor_price" in refused.context["adminform"].form.errors
    assert not AssistCampaign.objects.filter(title__in=["零积分", "砍价"]).exists()


def test_the_close_action_returns_a_reserved_reward(staff_client):
    product = ProductFactory(price=100, stock=1)
    campaign = AssistCampaignFactory(reward_kind="product", reward_points=0, product=product)
    task, _ = assist_task_start(user=UserFactory(), campaign_id=campaign.pk)

    response = staff_client.post(
        "/admin/campaigns/assisttask/", {"action": "expire_tasks", "_selected_action": [task.pk]}, follow=True
    )

    assert response.status_code == 200
    task.refresh_from_db()
    product.refresh_from_db()
    assert task.status == AssistTask.Status.EXPIRED and product.stock == 1
    assert Order.objects.get(pk=task.order_id).status == Order.Status.CANCELLED
