"""The admin as an operator meets it: their apps first, system tables last under 系统, Chinese
throughout (two-box pickers, permission names), beat times in the site's zone, and a broken
database constraint explained beside its field."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from core.admin import permission_label
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_the_home_lists_operators_apps_first_and_system_tables_last(superuser_client):
    response = superuser_client.get("/admin/")
    app_list = response.context["app_list"]
    labels = [app["app_label"] for app in app_list]

    assert labels[:5] == ["analytics", "checkin", "mall", "campaigns", "referral"]
    assert app_list[0]["models"][0]["object_name"] == "DailyMetric"  # the growth dashboard first
    assert labels[-1] == "system"
    system_models = {model["object_name"] for model in app_list[-1]["models"]}
    assert {"Group", "PeriodicTask", "OutstandingToken", "Event"} <= system_models
    assert not {"auth", "token_blacklist", "django_celery_beat", "events"} & set(labels)
    assert "系统" in response.content.decode()


def test_the_two_box_pickers_speak_chinese(superuser_client):
    import json

    catalog = superuser_client.get("/admin/jsi18n/").content.decode()
    for chinese in ["全选%s", "全部移除%s"]:  # "Choose all 组" before
        assert chinese in catalog or json.dumps(chinese)[1:-1] in catalog, chinese


def test_permission_names_are_translated():
    change_product = Permission.objects.get(codename="change_product", content_type__app_label="mall")
    verify = Permission.objects.get(codename="verify_coupon")

    assert permission_label(change_product) == "积分商城 | 积分商城商品 | 可以修改积分商城商品"
    assert permission_label(verify).startswith("积分商城 | ") and "Can" not in permission_label(verify)


def test_the_group_form_shows_translated_permissions(superuser_client):
    page = superuser_client.get(f"/admin/auth/group/{Group.objects.create(name='运营').pk}/change/").content.decode()
    assert "可以修改积分商城商品" in page and "Can change" not in page


def test_beat_entries_show_the_site_time(superuser_client):
    from core.jobs import beat_schedule_install

    beat_schedule_install()
    page = superuser_client.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert "每天 00:10" in page  # settle_rounds: "10 16 * * *" in UTC is 00:10 in Asia/Shanghai


def test_a_broken_constraint_is_a_chinese_message_on_its_field(superuser_client):
    response = superuser_client.post(
        "/admin/mall/product/add/",
        {
            "name": "洗牙体验券",
            "kind": "voucher",
            "price": "0",
            "low_stock_threshold": "5",
            "per_user_limit": "0",
            "voucher_valid_days": "30",
            "sort_order": "0",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["price"] == ["价格至少为 1 积分。"]
    assert "points_product_price_positive" not in response.content.decode()


def test_every_constraint_an_operator_form_can_break_explains_itself_in_chinese():
    from django.apps import apps
    from django.contrib import admin
    from django.db.models import CheckConstraint
    from django.utils import translation

    from core.db import ConstraintErrorsOnFields

    checked = 0
    for model, model_admin in admin.site._registry.items():
        editable = model_admin.has_add_permission.__func__ is not admin.ModelAdmin.has_add_permission or True
        for constraint in model._meta.constraints:
            if not isinstance(constraint, CheckConstraint) or not editable:
                continue
            if model._meta.app_label not in {"mall", "checkin", "referral", "campaigns", "analytics"}:
                continue
            if model_admin.get_readonly_fields(None) and not model_admin.get_fields(None):
                continue
            if not issubclass(model, ConstraintErrorsOnFields):
                continue  # written by services only: no operator form reaches it
            field = constraint.violation_error_code
            assert field is None or field in {f.name for f in model._meta.fields}, constraint.name
            with translation.override("zh-hans"):
                message = str(constraint.get_violation_error_message())
            assert "约束" not in message and constraint.name not in message, constraint.name
            assert any("\u4e00" <= char <= "\u9fff" for char in message), constraint.name
            checked += 1
    assert checked >= 25
    assert apps.get_model("mall", "Product").__mro__[1] is ConstraintErrorsOnFields


@pytest.mark.parametrize(
    "path",
    [
        "/admin/campaigns/assistcampaign/add/",
        "/admin/campaigns/groupbuyoffer/add/",
        "/admin/analytics/automationrule/add/",
    ],
)
def test_product_pickers_search_instead_of_asking_for_raw_ids(superuser_client, path):
    page = superuser_client.get(path).content.decode()
    assert 'data-model-name="product"' in page or "admin-autocomplete" in page
    assert "vForeignKeyRawIdAdminField" not in page


def test_the_assist_form_does_not_show_the_test_seed(superuser_client):
    page = superuser_client.get("/admin/campaigns/assistcampaign/add/").content.decode()
    assert 'name="seed"' not in page
