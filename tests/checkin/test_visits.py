"""Attendance challenges (到店打卡): the member code, visits recorded by staff at the desk, and
how a visit counts as the day's check-in."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from checkin.models import Challenge, CheckIn, Entry, Visit
from checkin.services import challenge_join, checkin_create, checkin_makeup, round_settle, visit_record
from core.exceptions import ApplicationError
from core.member_codes import CHECK_DIGITS, member_code_issue, member_code_resolve
from events.models import Event
from mall.services import STORE_STAFF_GROUP, roles_seed
from points.models import PointsTask, TaskCompletion
from tests.checkin.factories import MultiDayChallengeFactory, at, balance, fund
from tests.conftest import client_for
from tests.factories import StaffFactory, UserFactory
from tests.mall.factories import StoreFactory
from tests.reliability.helpers import assert_ledger_clean, run_together

pytestmark = pytest.mark.django_db


class VisitChallengeFactory(MultiDayChallengeFactory):
    """5 visit days from 2026-03-02, 3 required, the desk's hours 08:00-20:00, no makeup."""

    title = "到店护牙"
    checkin_by = Challenge.CheckinBy.VISIT
    window_start = dt.time(8, 0)
    window_end = dt.time(20, 0)
    makeup_limit = 0
    makeup_cost = 0


def on(moment):
    return time_machine.travel(moment, tick=False)


def error_of(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        call()
    return info.value


@pytest.fixture
def clerk(db):
    roles_seed()
    staff = StaffFactory(is_staff=False)
    staff.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    StoreFactory(name="示范门店").staff.add(staff)
    return staff


@pytest.fixture
def enrolled():
    """A member with 20 points staked in the visit challenge's first round."""
    challenge = VisitChallengeFactory()
    member = UserFactory()
    fund(member, 100)
    with on(at(2026, 3, 1, 12)):
        challenge_join(user=member, challenge=challenge, stake=20)
    return challenge, member


def scan(member, clerk, moment, **kwargs):
    """The member shows their code at `moment`; the clerk records it a few seconds later."""
    with on(moment):
        code = member_code_issue(member).code
    with on(moment + dt.timedelta(seconds=5)):
        return visit_record(code=code, staff=clerk, **kwargs)


# -- member codes -------------------------------------------------------------------------------


class TestMemberCode:
    def test_a_code_is_digits_and_names_its_member_for_two_periods(self, settings):
        settings.MEMBER_CODE_SECONDS = 60
        member = UserFactory()
        issued_at = at(2026, 3, 2, 9, 0, 10)
        with on(issued_at):
            code = member_code_issue(member)
        assert code.code.isdigit() and code.code.endswith(str(member.pk))
        assert code.qr.startswith("data:image/png;base64,")
        # Issued 10 s into its period: accepted to the end of the next one, refused after.
        assert code.expires_at == at(2026, 3, 2, 9, 2, 0)
        assert member_code_resolve(code.code, at=code.expires_at - dt.timedelta(seconds=1)) == member
        assert member_code_resolve(code.code, at=code.expires_at) is None
        assert member_code_resolve(code.code, at=issued_at - dt.timedelta(minutes=1)) is None

    def test_spaces_and_dashes_a_scanner_or_person_adds_do_not_matter(self):
        member = UserFactory()
        code = member_code_issue(member).code
        spaced = f" {code[:4]} {code[4:8]}-{code[8:]} "
        assert member_code_resolve(spaced) == member

    def test_a_code_cannot_be_made_from_an_id(self):
        member, other = UserFactory(), UserFactory()
        mine = member_code_issue(member).code
        assert member_code_resolve(mine[:CHECK_DIGITS] + str(other.pk)) is None  # my check, their id
        assert member_code_resolve("0" * CHECK_DIGITS + str(member.pk)) is None
        assert member_code_resolve(mine[:CHECK_DIGITS] + "0" + str(member.pk)) is None  # a padded id

    @pytest.mark.parametrize("code", ["", "abc", "１２３４５６７８９", "12345678", "1" * 40, "12345678-x1"])
    def test_malformed_codes_name_nobody(self, code):
        UserFactory()
        assert member_code_resolve(code) is None

    def test_a_deactivated_account_has_no_valid_code(self):
        member = UserFactory()
        code = member_code_issue(member).code
        member.is_active = False
        member.save(update_fields=["is_active"])
        assert member_code_resolve(code) is None

    @given(offset=st.integers(min_value=0, max_value=86_400), later=st.integers(min_value=-200, max_value=300))
    def test_accepted_from_its_period_until_expiry_and_never_after(self, offset, later):
        member = UserFactory()
        issued_at = at(2026, 3, 2) + dt.timedelta(seconds=offset)
        with on(issued_at):
            code = member_code_issue(member)
        assert dt.timedelta(seconds=60) < code.expires_at - issued_at <= dt.timedelta(seconds=120)
        checked_at = issued_at + dt.timedelta(seconds=later)
        period_start = code.expires_at - dt.timedelta(seconds=120)
        accepted = member_code_resolve(code.code, at=checked_at) == member
        assert accepted == (period_start <= checked_at < code.expires_at)


# -- visits -------------------------------------------------------------------------------------


class TestVisit:
    def test_a_visit_is_the_days_check_in_once_a_day(self, enrolled, clerk):
        challenge, member = enrolled
        recorded = scan(member, clerk, at(2026, 3, 2, 10))
        assert not recorded.repeat
        assert recorded.visit.store.name == "示范门店" and recorded.visit.staff == clerk
        [result] = recorded.results
        assert (result.challenge, result.status, result.checkins, result.required) == (challenge, "checked_in", 1, 3)
        assert CheckIn.objects.get(user=member).local_date == dt.date(2026, 3, 2)
        assert Event.objects.filter(user=member, kind="visited").count() == 1

        again = scan(member, clerk, at(2026, 3, 2, 16))
        assert again.repeat and again.visit == recorded.visit
        assert [(r.status, r.checkins) for r in again.results] == [("already_checked_in", 1)]
        assert Visit.objects.filter(user=member).count() == 1
        assert CheckIn.objects.filter(user=member).count() == 1
        assert Event.objects.filter(user=member, kind="visited").count() == 1

        scan(member, clerk, at(2026, 3, 3, 9))
        assert Entry.objects.get(user=member).checkins == 2

    def test_three_visits_win_the_round_and_the_pool_is_paid(self, enrolled, clerk):
        challenge, member = enrolled
        absent = UserFactory()
        fund(absent, 100)
        with on(at(2026, 3, 1, 13)):
            challenge_join(user=absent, challenge=challenge, stake=20)
        for day in (2, 4, 6):
            scan(member, clerk, at(2026, 3, day, 11))
        entry = Entry.objects.get(user=member)
        assert entry.checkins == 3 and entry.qualified_at is not None
        with on(at(2026, 3, 7, 1)):
            round_settle(round_id=entry.round_id)
        assert balance(member) == 100 - 20 + 20 + 20 + challenge.bonus
        assert balance(absent) == 80
        assert_ledger_clean()

    def test_outside_the_desks_hours_the_visit_is_recorded_but_does_not_count(self, enrolled, clerk):
        _challenge, member = enrolled
        recorded = scan(member, clerk, at(2026, 3, 2, 21))
        assert [(r.status, r.checkins) for r in recorded.results] == [("checkin_window_closed", None)]
        assert Visit.objects.filter(user=member).exists()
        assert not CheckIn.objects.exists()

    def test_a_member_in_no_attendance_challenge_still_has_the_visit_recorded(self, clerk):
        member = UserFactory()
        recorded = scan(member, clerk, at(2026, 3, 2, 10))
        assert recorded.results == [] and Visit.objects.filter(user=member).count() == 1

    def test_an_app_challenge_is_not_checked_in_by_a_visit(self, enrolled, clerk):
        _challenge, member = enrolled
        app_challenge = MultiDayChallengeFactory(window_start=dt.time(8, 0), window_end=dt.time(20, 0))
        with on(at(2026, 3, 1, 12)):
            challenge_join(user=member, challenge=app_challenge, stake=10)
        recorded = scan(member, clerk, at(2026, 3, 2, 10))
        assert [r.challenge.checkin_by for r in recorded.results] == ["visit"]
        assert not CheckIn.objects.filter(challenge=app_challenge).exists()

    def test_the_first_visit_completes_the_first_checkin_task_once(self, enrolled, clerk):
        _challenge, member = enrolled
        PointsTask.objects.create(code="first_checkin", title="完成首次打卡", points=20)
        scan(member, clerk, at(2026, 3, 2, 10))
        scan(member, clerk, at(2026, 3, 3, 10))
        assert TaskCompletion.objects.filter(user=member, task__code="first_checkin").count() == 1
        assert balance(member) == 80 + 20
        assert_ledger_clean()


class TestRefusals:
    def test_the_member_cannot_check_in_from_the_app_nor_make_up(self, enrolled):
        challenge, member = enrolled
        with on(at(2026, 3, 2, 10)):
            error = error_of(lambda: checkin_create(user=member, challenge=challenge))
        assert (error.code, error.status) == ("visit_required", 409)
        with on(at(2026, 3, 4, 10)):
            error = error_of(lambda: checkin_makeup(user=member, challenge=challenge, day=dt.date(2026, 3, 2)))
        assert (error.code, error.status) == ("makeup_not_allowed", 409)
        assert not CheckIn.objects.exists()

    def test_a_customer_cannot_record_visits(self, enrolled):
        _challenge, member = enrolled
        error = error_of(lambda: scan(member, UserFactory(), at(2026, 3, 2, 10)))
        assert (error.code, error.status) == ("permission_denied", 403)
        assert not Visit.objects.exists()

    def test_staff_record_only_at_their_own_store(self, enrolled, clerk):
        _challenge, member = enrolled
        other = StoreFactory()
        error = error_of(lambda: scan(member, clerk, at(2026, 3, 2, 10), store_id=other.pk))
        assert (error.code, error.status) == ("not_your_store", 403)
        assert not Visit.objects.exists()

    def test_an_expired_or_made_up_code_records_nothing(self, enrolled, clerk):
        _challenge, member = enrolled
        with on(at(2026, 3, 2, 10)):
            code = member_code_issue(member).code
        with on(at(2026, 3, 2, 10, 3)):
            error = error_of(lambda: visit_record(code=code, staff=clerk))
            assert (error.code, error.status) == ("member_code_invalid", 404)
            error = error_of(lambda: visit_record(code=str(member.pk), staff=clerk))
            assert (error.code, error.status) == ("member_code_invalid", 404)
        assert not Visit.objects.exists() and not CheckIn.objects.exists()

    def test_a_visit_challenge_has_no_makeup_in_the_admin_nor_in_the_database(self):
        challenge = VisitChallengeFactory.build(makeup_limit=2)
        with pytest.raises(ValidationError) as info:
            challenge.full_clean()
        assert "makeup_limit" in info.value.message_dict
        with pytest.raises(IntegrityError), transaction.atomic():
            VisitChallengeFactory(makeup_limit=2)


# -- over HTTP, at the desk, under races ----------------------------------------------------------


class TestOverHttp:
    def test_the_member_shows_a_code_and_the_clerk_records_the_visit(self, enrolled, clerk):
        challenge, member = enrolled
        member.phone, member.phone_verified = "13812345678", True
        member.save(update_fields=["phone", "phone_verified"])
        with on(at(2026, 3, 2, 10)):
            shown = client_for(member).get("/api/me/member-code")
            assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
            body = shown.json()
            assert body["qr"].startswith("data:image/png;base64,") and body["expires_at"]

            refused = client_for(member).post(f"/api/challenges/{challenge.pk}/checkin", {}, format="json")
            assert (refused.status_code, refused.json()["code"]) == (409, "visit_required")

            recorded = client_for(clerk).post("/api/staff/visits", {"code": body["code"]}, format="json")
        assert recorded.status_code == 200, recorded.json()
        answer = recorded.json()
        assert answer["member"] == {"id": member.pk, "nickname": member.nickname, "phone": "138****5678"}
        assert answer["repeat"] is False and answer["visit"]["store"] == "示范门店"
        assert answer["checkins"] == [
            {
                "challenge": {"id": challenge.pk, "title": "到店护牙"},
                "status": "checked_in",
                "detail": "打卡成功。",
                "checkins": 1,
                "required": 3,
            }
        ]
        listed = client_for(member).get(f"/api/challenges/{challenge.pk}").json()
        assert listed["checkin_by"] == "visit"

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            ({}, 400, "invalid"),
            ({"code": 12345678901}, 400, "invalid"),
            ({"code": "123", "store": "1"}, 400, "invalid"),
            ({"code": "1234567890"}, 404, "member_code_invalid"),
        ],
    )
    def test_bad_input_is_a_clear_4xx_and_changes_nothing(self, clerk, body, status, code):
        response = client_for(clerk).post("/api/staff/visits", body, format="json")
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert not Visit.objects.exists()

    def test_a_member_cannot_record_their_own_visit(self, enrolled):
        _challenge, member = enrolled
        code = client_for(member).get("/api/me/member-code").json()["code"]
        response = client_for(member).post("/api/staff/visits", {"code": code}, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


class TestFrontDesk:
    def test_the_clerk_records_a_visit_on_the_page_and_sees_it_listed(self, enrolled, clerk):
        _challenge, member = enrolled
        member.nickname = "小艾"
        member.save(update_fields=["nickname"])
        desk = Client()
        desk.force_login(clerk)
        now = at(2026, 3, 2, 10)
        with on(now):
            assert "到店打卡" in desk.get("/staff/visits/").content.decode()
            code = member_code_issue(member).code
            page = desk.post("/staff/visits/record", {"code": code}, follow=True).content.decode()
            assert "已登记到店：小艾" in page and "打卡成功" in page and "1 / 3" in page
            assert 'id="today"' in page
            again = desk.post("/staff/visits/record", {"code": code}, follow=True).content.decode()
            assert "今天已登记过到店" in again
            wrong = desk.post("/staff/visits/record", {"code": "1234567890"}, follow=True).content.decode()
            assert "会员码无效或已过期" in wrong
        assert Visit.objects.count() == 1

    def test_customers_are_refused(self, user):
        customer = Client()
        customer.force_login(user)
        assert customer.get("/staff/visits/").status_code == 403
        assert Client().get("/staff/visits/").url.startswith("/staff/login")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_scanning_one_member_at_once_record_one_visit_and_one_check_in(enrolled, clerk):
    _challenge, member = enrolled
    second = StaffFactory(is_staff=False)
    second.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    clerk.mall_stores.get().staff.add(second)
    PointsTask.objects.create(code="first_checkin", title="完成首次打卡", points=20)
    with on(at(2026, 3, 2, 10)):
        code = member_code_issue(member).code
        results = run_together(*[lambda s=s: visit_record(code=code, staff=s) for s in [clerk, second] * 3])
    assert sorted(r.repeat for r in results) == [False] + [True] * 5
    assert Visit.objects.count() == 1 and CheckIn.objects.count() == 1
    assert Entry.objects.get(user=member).checkins == 1
    assert TaskCompletion.objects.filter(user=member).count() == 1
    assert_ledger_clean()
