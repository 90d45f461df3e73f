import pytest
from django.core.management import call_command

from core.models import User

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_cache_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["broker"] in {"ok", "eager"}


def test_healthz_reports_a_broken_broker_as_503(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_admin_login_page_is_chinese(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名" in html and "密码" in html


def test_admin_user_search_by_phone(client):
    operator = User.objects.create_superuser("op", password="pw-123456789")
    User.objects.create(username="wx_1", openid="o-1", nickname="小明", phone="13800000009")
    client.force_login(operator)

    response = client.get("/admin/core/user/", {"q": "13800000009"})

    assert response.status_code == 200
    assert "小明" in response.content.decode()


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = User.objects.count()
    call_command("seed_demo")

    assert User.objects.count() == counts
    operator = User.objects.get(username="operator")
    assert operator.is_staff and not operator.is_superuser and operator.check_password("demo-operator-2026")
    assert operator.has_perm("mall.change_product") and operator.has_perm("campaigns.change_groupbuyoffer")
    assert operator.has_perm("accounts.view_customer") and not operator.has_perm("auth.change_group")
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-admin-2026")
    clerk = User.objects.get(username="clerk")
    assert clerk.check_password("demo-clerk-2026") and clerk.has_perm("mall.verify_coupon")
    assert clerk.mall_stores.get().name == "示范门店" and not clerk.is_staff


def test_run_nightly_runs_and_succeeds(capsys):
    call_command("run_nightly")

    assert "nightly jobs done" in capsys.readouterr().out


def test_setup_beat_creates_missing_entries_and_keeps_operator_edits():
    from django_celery_beat.models import PeriodicTask

    from core.jobs import all_jobs, beat_schedule_install

    created = beat_schedule_install()
    assert {"expire_points", "audit_ledger"} <= set(created)
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == {job.name for job in all_jobs()}

    audit = PeriodicTask.objects.get(name="audit_ledger")
    audit.crontab.hour = "20"
    audit.crontab.save()
    assert beat_schedule_install() == []
    audit.refresh_from_db()
    assert audit.crontab.hour == "20"
