import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import ApplicationError
from points.demo import seed as seed_points
from points.models import Account, Level, PointsTask, SigninConfig, SigninReward, Transaction
from points.selectors import wallet_balance
from points.services.admin_ops import BulkRow, bulk_grant_parse, points_adjust, points_bulk_grant
from points.services.ledger import account_for_user
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return StaffFactory(is_superuser=True)


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def adjust(admin_client, user, amount, reason="补偿", key=None):
    return admin_client.post(
        "/admin/points/account/adjust/",
        {"user": str(user.pk), "amount": str(amount), "reason": reason, "key": str(key or uuid.uuid4())},
    )


class TestAdjustService:
    def test_adds_from_issuance_and_takes_to_sink(self, operator):
        user = UserFactory()
        added = points_adjust(user=user, amount=50, reason="补偿", actor=operator, key="k1")
        taken = points_adjust(user=user, amount=-20, reason="误发", actor=operator, key="k2")

        assert wallet_balance(user=user) == 30
        assert (added.kind, added.actor, added.memo) == ("admin_adjust", operator, "补偿")
        assert sorted(taken.entries.values_list("account__code", "amount")) == [("sink", 20), (f"user:{user.pk}", -20)]

    def test_refuses_below_zero_without_reason_or_zero(self, operator):
        user = UserFactory()
        for kwargs, code in [
            ({"amount": -1, "reason": "x"}, "insufficient_points"),
            ({"amount": 5, "reason": "  "}, "reason_required"),
            ({"amount": 0, "reason": "x"}, "invalid_amount"),
        ]:
            with pytest.raises(ApplicationError) as exc:
                points_adjust(user=user, actor=operator, key=str(uuid.uuid4()), **kwargs)
            assert exc.value.code == code
        assert Transaction.objects.count() == 0


class TestAdjustView:
    def test_form_renders_a_key(self, admin_client):
        response = admin_client.get("/admin/points/account/adjust/")

        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="key"' in html and 'type="hidden"' in html
        assert "调整积分" in html or "Adjust points" in html

    def test_double_submit_posts_once_with_actor(self, admin_client, operator):
        user = UserFactory()
        key = uuid.uuid4()

        first = adjust(admin_client, user, 80, key=key)
        second = adjust(admin_client, user, 80, key=key)

        assert first.status_code == second.status_code == 302
        assert wallet_balance(user=user) == 80
        txn = Transaction.objects.get(kind="admin_adjust")
        assert txn.actor == operator and txn.memo == "补偿"
        assert first["Location"] == f"/admin/points/transaction/{txn.pk}/change/"

    def test_by_phone_number(self, admin_client):
        user = UserFactory(phone="13800000042")
        response = admin_client.post(
            "/admin/points/account/adjust/",
            {"user": "13800000042", "amount": "7", "reason": "活动", "key": str(uuid.uuid4())},
        )
        assert response.status_code == 302
        assert wallet_balance(user=user) == 7

    def test_below_zero_is_a_clear_form_error(self, admin_client):
        user = UserFactory()
        adjust(admin_client, user, 10)

        response = adjust(admin_client, user, -11)

        assert response.status_code == 200
        errors = response.context["form"].errors
        assert "amount" in errors and "10" in errors["amount"][0]
        assert wallet_balance(user=user) == 10

    def test_reason_required_and_unknown_user(self, admin_client):
        user = UserFactory()
        response = adjust(admin_client, user, 10, reason="   ")
        assert "reason" in response.context["form"].errors

        response = admin_client.post(
            "/admin/points/account/adjust/", {"user": "999999", "amount": "5", "reason": "x", "key": str(uuid.uuid4())}
        )
        assert "user" in response.context["form"].errors
        assert Transaction.objects.count() == 0

    def test_staff_without_permission_is_refused(self, client):
        client.force_login(StaffFactory())
        assert client.get("/admin/points/account/adjust/").status_code == 403
        assert client.get("/admin/points/account/bulk-grant/").status_code == 403


class TestBulkGrant:
    def test_parse_skips_header_and_reports_bad_rows(self):
        rows, problems = bulk_grant_parse("\ufeffphone,points\n13800000001,100\n\n42,abc\n43,-5\n44\n7, 30 \n")

        assert [(r.line, r.ref, r.points) for r in rows] == [(2, "13800000001", 100), (7, "7", 30)]
        assert [p.line for p in problems] == [4, 5, 6]

    def test_service_posts_once_per_user_and_reports_unknown(self, operator):
        by_phone = UserFactory(phone="13800000001")
        by_id = UserFactory()
        rows = [
            BulkRow(1, "13800000001", 100),
            BulkRow(2, str(by_id.pk), 50),
            BulkRow(3, "13900000000", 10),
            BulkRow(4, "99999999", 10),
            BulkRow(5, str(by_phone.pk), 10),  # the same user again
            BulkRow(6, "99999999999999999999999", 10),
        ]
        batch = str(uuid.uuid4())

        result = points_bulk_grant(rows=rows, reason="双十一", actor=operator, batch_id=batch)
        again = points_bulk_grant(rows=rows, reason="双十一", actor=operator, batch_id=batch)

        assert (result.posted, result.already_posted) == (2, 0)
        assert [p.line for p in result.problems] == [3, 4, 5, 6]
        assert (again.posted, again.already_posted) == (0, 2)
        assert wallet_balance(user=by_phone) == 100 and wallet_balance(user=by_id) == 50
        txn = Transaction.objects.get(key=f"bulk:{batch}:{by_phone.pk}")
        assert (txn.kind, txn.actor, txn.memo) == ("bulk_grant", operator, "双十一")

    def test_upload_preview_confirm(self, admin_client):
        alice = UserFactory(phone="13800000001")
        bob = UserFactory()
        account_for_user(bob)  # an existing wallet and a new one
        csv_bytes = f"手机号,积分\n13800000001,100\n{bob.pk},30\n13700000000,5\n".encode("gbk")

        preview = admin_client.post(
            "/admin/points/account/bulk-grant/",
            {"file": SimpleUploadedFile("grant.csv", csv_bytes, "text/csv"), "reason": "老客回馈"},
        )

        assert preview.status_code == 200
        assert wallet_balance(user=alice) == 0  # nothing posted by the preview
        assert len(preview.context["grants"]) == 2 and preview.context["total"] == 130
        assert [p.ref for p in preview.context["problems"]] == ["13700000000"]
        batch_id = str(preview.context["confirm"].initial["batch_id"])

        done = admin_client.post("/admin/points/account/bulk-grant/", {"batch_id": batch_id})
        twice = admin_client.post("/admin/points/account/bulk-grant/", {"batch_id": batch_id})

        assert done.status_code == twice.status_code == 200
        assert (done.context["result"].posted, twice.context["result"].already_posted) == (2, 2)
        assert [p[1] for p in done.context["problems"]] == ["13700000000"]
        assert wallet_balance(user=alice) == 100 and wallet_balance(user=bob) == 30
        assert Transaction.objects.filter(kind="bulk_grant").count() == 2

    def test_confirm_without_preview_is_refused(self, admin_client):
        response = admin_client.post("/admin/points/account/bulk-grant/", {"batch_id": str(uuid.uuid4())})

        assert response.status_code == 302
        assert Transaction.objects.count() == 0

    def test_binary_file_is_a_form_error(self, admin_client):
        response = admin_client.post(
            "/admin/points/account/bulk-grant/",
            {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00\x81\x30", "text/csv"), "reason": "x"},
        )
        assert response.status_code == 200
        assert "file" in response.context["form"].errors


class TestAdminPages:
    def test_pages_load_for_the_operator(self, admin_client, operator):
        seed_points()
        user = UserFactory(nickname="小红", phone="13800000077")
        points_adjust(user=user, amount=5, reason="测试", actor=operator, key="pages")
        txn = Transaction.objects.get()
        account = Account.objects.get(user=user)
        pages = [
            "/admin/points/",
            "/admin/points/account/",
            f"/admin/points/account/{account.pk}/change/",
            "/admin/points/transaction/",
            f"/admin/points/transaction/{txn.pk}/change/",
            "/admin/points/transaction/?kind__exact=admin_adjust",
            "/admin/points/pointstask/",
            f"/admin/points/pointstask/{PointsTask.objects.get(code='welcome').pk}/change/",
            "/admin/points/pointstask/add/",
            "/admin/points/signinconfig/",
            f"/admin/points/signinconfig/{SigninConfig.objects.get().pk}/change/",
            "/admin/points/signinreward/",
            "/admin/points/level/",
            f"/admin/points/level/{Level.objects.first().pk}/change/",
            "/admin/points/taskcompletion/",
            "/admin/points/signin/",
            "/admin/points/growth/",
            "/admin/points/account/adjust/",
            "/admin/points/account/bulk-grant/",
        ]
        for page in pages:
            assert admin_client.get(page).status_code == 200, page

    def test_ledger_is_read_only(self, admin_client, operator):
        user = UserFactory()
        points_adjust(user=user, amount=5, reason="测试", actor=operator, key="ro")
        account = Account.objects.get(user=user)
        txn = Transaction.objects.get()

        assert admin_client.get("/admin/points/account/add/").status_code == 403
        assert admin_client.get("/admin/points/transaction/add/").status_code == 403
        assert admin_client.post(f"/admin/points/account/{account.pk}/delete/").status_code == 403
        response = admin_client.post(f"/admin/points/account/{account.pk}/change/", {"balance": "999999"})
        assert response.status_code == 403
        assert admin_client.post(f"/admin/points/transaction/{txn.pk}/delete/").status_code == 403
        assert wallet_balance(user=user) == 5

    def test_search_by_nickname_phone_and_key(self, admin_client, operator):
        user = UserFactory(nickname="小红", phone="13800000077")
        other = UserFactory(nickname="小绿")
        points_adjust(user=user, amount=5, reason="测试", actor=operator, key="s1")
        points_adjust(user=other, amount=6, reason="测试", actor=operator, key="s2")

        for query in ("小红", "13800000077", "adjust:s1"):
            html = admin_client.get("/admin/points/transaction/", {"q": query}).content.decode()
            assert "adjust:s1" in html and "adjust:s2" not in html, query
        html = admin_client.get("/admin/points/account/", {"q": "13800000077"}).content.decode()
        assert f"user:{user.pk}" in html and f"user:{other.pk}" not in html

    def test_rules_are_editable(self, admin_client):
        response = admin_client.post("/admin/points/signinreward/add/", {"day": "8", "points": "50", "growth": "2"})

        assert response.status_code == 302
        assert SigninReward.objects.get(day=8).points == 50


def test_demo_seed_is_idempotent():
    seed_points()
    seed_points()

    assert PointsTask.objects.get(code="welcome").points == 100
    assert PointsTask.objects.get(code="read_article").daily_cap == 3
    assert list(SigninReward.objects.values_list("points", flat=True)) == [5, 5, 10, 10, 15, 15, 30]
    assert list(Level.objects.values_list("name", "threshold")) == [
        ("青铜", 0),
        ("白银", 500),
        ("黄金", 2000),
        ("钻石", 5000),
    ]
    assert SigninConfig.objects.get().cycle_length == 7
