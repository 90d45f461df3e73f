"""Rule tags (docs/tags.md): on a hand-built history the nightly run gives exactly the members
worked out by hand, again and again (idempotent); a member who leaves a rule loses its tag;
manual tags are never touched. Automations target tags and show their reach before they run."""

import pytest
import time_machine
from django.test import Client

from analytics.models import AutomationRule, TagRule, UserSegment
from analytics.services import automation_run, automation_targets, tag_compute, tags_compute
from checkin.models import Entry, Round
from core.jobs import all_jobs, nightly_run
from core.models import Tag, UserTag
from core.tags import tag_assign, user_has_any_tag, users_with_tags
from mall.models import Order
from mall.services import roles_seed
from points.models import Growth, Level
from referral.models import Referral
from referral.services import referral_profile_ensure
from tests.analytics.conftest import active, at, day, user_joined
from tests.checkin.factories import ChallengeFactory
from tests.factories import StaffFactory
from tests.mall.factories import ProductFactory
from tests.referral.factories import ChannelFactory

pytestmark = pytest.mark.django_db

ON = day(10)  # the nightly run of day(11) computes as of the end of day(10)


def _rounds():
    challenge = ChallengeFactory()
    rounds = {}

    def round_on(offset):
        if offset not in rounds:
            rounds[offset] = Round.objects.create(
                challenge=challenge,
                start_date=day(offset + 1),
                end_date=day(offset + 1),
                required_days=1,
                split_rule=challenge.split_rule,
                no_winner_rule=challenge.no_winner_rule,
            )
        return rounds[offset]

    return round_on


def _entries(user, round_on, *offsets):
    for offset in offsets:
        Entry.objects.create(round=round_on(offset), user=user, stake=10, joined_date=day(offset))


def _order(user, product, offset, status=Order.Status.FULFILLED):
    with time_machine.travel(at(offset), tick=False):
        return Order.objects.create(user=user, product=product, points=product.price, status=status)


def _bind(inviter, invitee, offset, status=Referral.Status.REGISTERED):
    with time_machine.travel(at(offset), tick=False):
        return Referral.objects.create(inviter=inviter, invitee=invitee, status=status)


def _channel(user, channel):
    profile = referral_profile_ensure(user=user)
    profile.channel = channel
    profile.save(update_fields=["channel"])


@pytest.fixture
def built(db):
    """Seven members and a staff account, as of the end of day(10):

    | member | joined | channel | growth | rounds joined (by day 10) | product X orders | last visit | phone |
    |---|---|---|---|---|---|---|---|
    | a | -30 | desk | 150 silver | 3 | fulfilled | signed in day 9 | verified |
    | b | -30 | - (invited by a) | 600 gold | 1 | cancelled | signed in day -5 | - |
    | c | -40 | event (revoked invite) | - bronze | 2 (+1 on day 12) | completed | checked in day 10 | - |
    | d | 5 | - | - bronze | 0 | - | registered day 5 | verified |
    | e | 11 (after) | desk | - | - | - | - | verified |
    | f | -20 | - | 90 bronze | 0 | Y only | redeemed day 0 | - |
    | g | -30 (deactivated) | desk | - | - | - | - | verified |
    """
    Level.objects.create(name="青铜", threshold=0)
    Level.objects.create(name="白银", threshold=100)
    Level.objects.create(name="黄金", threshold=500)
    desk, event = ChannelFactory(code="DESK-A"), ChannelFactory(code="EVENT-B")
    x, y = ProductFactory(name="洗牙体验券", price=80), ProductFactory(name="电动牙刷", price=200)
    round_on = _rounds()

    a = user_joined(-30, phone="13800000001", phone_verified=True)
    b = user_joined(-30)
    c = user_joined(-40)
    d = user_joined(5, phone="13800000004", phone_verified=True)
    e = user_joined(11, phone="13800000005", phone_verified=True)
    f = user_joined(-20)
    g = user_joined(-30, phone="13800000007", phone_verified=True, is_active=False)
    StaffFactory(phone="13800000009", phone_verified=True)

    for user, channel in ((a, desk), (c, event), (e, desk), (g, desk)):
        _channel(user, channel)
    _bind(a, b, -30)
    _bind(a, c, -40, status=Referral.Status.REVOKED)
    Growth.objects.create(user=a, total=150)
    Growth.objects.create(user=b, total=600)
    Growth.objects.create(user=f, total=90)
    _entries(a, round_on, -5, -4, -3)
    _entries(b, round_on, 1)
    _entries(c, round_on, 2, 3, 12)
    _order(a, x, 2)
    _order(b, x, 3, status=Order.Status.CANCELLED)
    _order(c, x, 1, status=Order.Status.COMPLETED)
    _order(f, y, 0)
    active(a, 9)
    active(b, -5)
    active(c, 10, kind="checked_in")
    active(f, -10)
    active(f, 0, kind="redeemed", amount=80)
    for user, segment, stage in (
        (a, "important_value", "mature"),
        (b, "lost", "churned"),
        (c, "general", "growing"),
        (d, "new", "introduction"),
        (f, "general", "growing"),
    ):
        UserSegment.objects.create(user=user, computed_on=ON, segment=segment, stage=stage)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "desk": desk, "x": x}


def rule_tag(name, **rule) -> Tag:
    tag = Tag.objects.create(name=name, kind=Tag.Kind.RULE)
    TagRule.objects.create(tag=tag, **rule)
    return tag


def members(tag) -> set:
    return set(UserTag.objects.filter(tag=tag).values_list("user_id", flat=True))


def ids(built, names) -> set:
    return {built[n].pk for n in names}


@pytest.fixture
def tags(built):
    levels = {level.name: level for level in Level.objects.all()}
    return {
        "desk": rule_tag("前台来源", kind="channel", channel=built["desk"]),
        "invited": rule_tag("好友邀请", kind="invited"),
        "bronze": rule_tag("青铜会员", kind="level", level=levels["青铜"]),
        "silver": rule_tag("白银会员", kind="level", level=levels["白银"]),
        "gold": rule_tag("黄金会员", kind="level", level=levels["黄金"]),
        "new": rule_tag("新用户", kind="segment", segment="new"),
        "growing": rule_tag("成长期", kind="stage", stage="growing"),
        "three_rounds": rule_tag("挑战达人", kind="challenges", number=3),
        "two_rounds": rule_tag("挑战两轮", kind="challenges", number=2),
        "redeemed_x": rule_tag("已兑换洗牙券", kind="redeemed", product=built["x"]),
        "no_visit": rule_tag("14天未到访", kind="no_visit", number=14),
        "no_checkin": rule_tag("14天未打卡", kind="no_visit", number=14, visit_kinds="checked_in"),
        "phone": rule_tag("已验证手机", kind="phone_verified"),
    }


EXPECTED = {
    "desk": "a",  # e joined after the day, g is deactivated
    "invited": "b",  # c's binding was revoked
    "bronze": "cdf",  # no growth row counts as 0
    "silver": "a",
    "gold": "b",
    "new": "d",
    "growing": "cf",
    "three_rounds": "a",  # c's third round was joined after the day
    "two_rounds": "ac",
    "redeemed_x": "ac",  # b's order was cancelled; f redeemed another product
    "no_visit": "b",  # d joined inside the 14 days; the others were seen since day -3
    "no_checkin": "abf",  # only c checked in since day -3
    "phone": "ad",  # e joined after the day, g is deactivated, staff are not members
}


def test_rule_tags_equal_the_hand_computed_members_and_a_rerun_changes_nothing(built, tags):
    first = tags_compute(on=ON)
    for key, names in EXPECTED.items():
        assert members(tags[key]) == ids(built, names), key
    assert first[tags["no_checkin"].name] == (3, 3, 0)  # (members, added, removed)

    rows_before = set(UserTag.objects.values_list("pk", "tag_id", "user_id"))
    again = tags_compute(on=ON)
    assert set(UserTag.objects.values_list("pk", "tag_id", "user_id")) == rows_before  # the same rows
    assert all(added == removed == 0 for _members, added, removed in again.values())
    assert all(tag.computed_at is not None for tag in Tag.objects.filter(kind="rule"))


def test_a_member_who_leaves_the_rule_loses_the_tag_and_manual_tags_are_untouched(built, tags):
    vip = Tag.objects.create(name="VIP客户")
    tag_assign(tag=vip, user_ids=[built["a"].pk, built["b"].pk])
    tags_compute(on=ON)

    # a's order is cancelled (a leaves "redeemed X"); b verifies a phone (b joins "phone verified");
    # c checks in no more and 14 days pass (c joins "no visit").
    Order.objects.filter(user=built["a"], product=built["x"]).update(status=Order.Status.CANCELLED)
    type(built["b"]).objects.filter(pk=built["b"].pk).update(phone="13800000002", phone_verified=True)
    result = tags_compute(on=day(30))

    assert members(tags["redeemed_x"]) == ids(built, "c")
    assert result[tags["redeemed_x"].name] == (1, 0, 1)
    assert members(tags["phone"]) == ids(built, "abde")  # e has joined by day 30
    assert built["c"].pk in members(tags["no_visit"])
    assert members(vip) == ids(built, "ab")  # the manual tag, as the operator left it
    assert UserTag.objects.filter(tag=vip, user=built["a"]).get().added_by is None


def test_a_manual_tag_and_a_rule_tag_without_its_rule_are_never_recomputed(built, tags):
    vip = Tag.objects.create(name="VIP客户")
    tag_assign(tag=vip, user_ids=[built["c"].pk])
    orphan = Tag.objects.create(name="旧规则", kind=Tag.Kind.RULE)  # its rule was deleted
    UserTag.objects.create(tag=orphan, user=built["f"])

    results = tags_compute(on=ON)

    assert vip.name not in results and orphan.name not in results
    assert members(vip) == ids(built, "c") and members(orphan) == ids(built, "f")
    assert tag_compute(tag=vip, on=ON) == (1, 0, 0)


def test_the_nightly_job_is_registered_between_segments_and_automations(built, tags):
    jobs = {job.name: job for job in all_jobs()}
    assert jobs["analytics_nightly"].order < jobs["tags_compute"].order < jobs["automations_run"].order
    (result,) = nightly_run(only=["tags_compute"])
    assert result[0] == "tags_compute" and result[1], result
    assert "rule tags" in result[2]


def test_the_selectors_mall_and_plays_use(built, tags):
    tags_compute(on=ON)
    gold, silver = tags["gold"], tags["silver"]
    assert user_has_any_tag(built["b"], [gold, silver]) and user_has_any_tag(built["a"], [gold.pk, silver.pk])
    assert not user_has_any_tag(built["c"], [gold, silver])
    assert not user_has_any_tag(built["b"], [])
    assert set(users_with_tags([gold, silver])) == {built["a"], built["b"]}


# -- automations target tags, and show their reach ------------------------------------------------


def test_an_automation_targets_tags_alone_or_with_a_stage(built, tags):
    tags_compute(on=ON)
    # Tags alone: every segmented member carrying one of them.
    by_tag = AutomationRule.objects.create(name="挑战达人礼", points=30)
    by_tag.tags.set([tags["two_rounds"]])
    assert {s.user_id for s in automation_targets(rule=by_tag, on=day(11))} == ids(built, "ac")
    # A stage and tags: members of both.
    both = AutomationRule.objects.create(name="成长期达人", stage="growing", points=10)
    both.tags.set([tags["two_rounds"], tags["gold"]])
    assert {s.user_id for s in automation_targets(rule=both, on=day(11))} == ids(built, "c")
    # No target at all reaches nobody (the admin form refuses such a rule).
    nobody = AutomationRule.objects.create(name="无目标", points=10)
    assert automation_targets(rule=nobody, on=day(11)).count() == 0

    result = automation_run(rule=by_tag, on=day(11))
    assert result.done == 2 and {u.pk for u in result.targets} == ids(built, "ac")
    assert automation_targets(rule=by_tag, on=day(11)).count() == 0  # reached once this period


@pytest.fixture
def operator_client(db):
    from django.contrib.auth.models import Group

    roles_seed()
    operator = StaffFactory()
    operator.groups.add(Group.objects.get(name="运营"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    return client


def test_the_admin_shows_the_reach_before_the_automation_runs(built, tags, operator_client):
    tags_compute(on=ON)
    rule = AutomationRule.objects.create(name="挑战达人礼", points=30)
    rule.tags.set([tags["two_rounds"]])
    reach = automation_targets(rule=rule).count()
    assert reach == 2

    change = operator_client.get(f"/admin/analytics/automationrule/{rule.pk}/change/").content.decode()
    assert f"{reach} member(s)" in change
    listing = operator_client.get("/admin/analytics/automationrule/").content.decode()
    assert "挑战达人" in listing  # the target tag's name in its column
    preview = operator_client.get(f"/admin/analytics/automationrule/{rule.pk}/preview/")
    assert preview.context_data["target_count"] == 2


def test_the_admin_form_refuses_an_automation_without_any_target(built, operator_client):
    response = operator_client.post(
        "/admin/analytics/automationrule/add/",
        {"name": "无目标", "is_active": "on", "action": "points", "points": "10", "period_days": "30"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Target a segment, a stage or tags." in response.content.decode()
    assert not AutomationRule.objects.exists()


def test_saving_a_tag_with_a_rule_in_the_admin_makes_it_a_rule_tag_and_computes_it(built, operator_client):
    response = operator_client.post(
        "/admin/core/tag/add/",
        {
            "name": "已验证手机",
            "description": "",
            "rule-TOTAL_FORMS": "1",
            "rule-INITIAL_FORMS": "0",
            "rule-MIN_NUM_FORMS": "0",
            "rule-MAX_NUM_FORMS": "1",
            "rule-0-kind": "phone_verified",
            "rule-0-number": "0",
            "rule-0-visit_kinds": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tag = Tag.objects.get(name="已验证手机")
    assert tag.kind == Tag.Kind.RULE
    # Computed as of yesterday (real time): a and d verified; e and the rest too once they joined.
    assert members(tag) == ids(built, "ade")


def test_the_tag_pages_show_each_tags_rule_and_members(built, tags, operator_client):
    tags_compute(on=ON)
    listing = operator_client.get("/admin/core/tag/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "挑战达人" in page and "joined at least N challenge rounds: N=3" in page
    assert f'href="/admin/accounts/customer/?tag={tags["two_rounds"].pk}">2</a>' in page
    change = operator_client.get(f"/admin/core/tag/{tags['redeemed_x'].pk}/change/")
    assert change.status_code == 200 and "洗牙体验券" in change.content.decode()
    assert operator_client.get("/admin/core/tag/add/").status_code == 200
    customers = operator_client.get("/admin/accounts/customer/", {"tag": tags["two_rounds"].pk}).content.decode()
    assert built["a"].nickname in customers and built["b"].nickname not in customers
