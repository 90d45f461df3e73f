import pytest
from django.urls import reverse

from points.selectors import wallet_balance
from referral.models import Channel, PosterTemplate, ReferralConfig, ReferralProfile, Reward, RewardRule
from referral.services import referral_bind_new_user
from tests.factories import StaffFactory
from tests.referral.factories import (
    ChannelFactory,
    PosterTemplateFactory,
    RuleFactory,
    UserFactory,
    invite,
    verify_phone,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def held_rewards(inviter, count):
    ReferralConfig.objects.create(velocity_limit_per_hour=1)
    RuleFactory()
    verify_phone(invite(inviter))
    for _ in range(count):
        verify_phone(invite(inviter))
    return list(Reward.objects.filter(status=Reward.Status.HELD).order_by("pk"))


def run_action(admin_client, model, action, ids):
    url = reverse(f"admin:referral_{model}_changelist")
    return admin_client.post(url, {"action": action, "_selected_action": [str(i) for i in ids]}, follow=True)


def test_review_queue_approves_and_rejects_through_admin_actions(admin_client):
    inviter = UserFactory()
    first, second = held_rewards(inviter, 2)

    queue = admin_client.get(reverse("admin:referral_reward_changelist") + "?status__exact=held")
    approved = run_action(admin_client, "reward", "approve", [first.pk])
    rejected = run_action(admin_client, "reward", "reject", [second.pk])

    assert queue.status_code == 200 and queue.context["cl"].result_count == 2
    assert approved.status_code == 200 and rejected.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Reward.Status.PAID and second.status == Reward.Status.REJECTED
    assert wallet_balance(user=inviter) == 100


def test_flag_actions(admin_client):
    inviter = UserFactory()
    invite(inviter)
    profile = ReferralProfile.objects.get(user=inviter)

    run_action(admin_client, "referralprofile", "flag_inviters", [profile.pk])
    profile.refresh_from_db()
    assert profile.flagged
    run_action(admin_client, "referralprofile", "clear_flags", [profile.pk])
    profile.refresh_from_db()
    assert not profile.flagged and profile.flag_reviewed_at is not None


def test_confirm_first_visit_action_pays_first_visit_rules(admin_client):
    RuleFactory(trigger=RewardRule.Trigger.FIRST_VISIT, requires_phone=False, inviter_points=30)
    inviter = UserFactory()
    friend = invite(inviter)

    run_action(admin_client, "referral", "confirm_first_visit", [friend.referral.pk])
    run_action(admin_client, "referral", "confirm_first_visit", [friend.referral.pk])

    assert wallet_balance(user=inviter) == 30


def test_channel_list_shows_counts(admin_client, client):
    desk = ChannelFactory(code="DESK")
    for _ in range(2):
        referral_bind_new_user(user=UserFactory(), referral="c=DESK")
    client.get("/r/DESK")

    response = admin_client.get(reverse("admin:referral_channel_changelist"))

    row = response.context["cl"].result_list.get(pk=desk.pk)
    # Scans: the landing visit, plus the two sign-ups that came straight from a mini-program code.
    assert (row.scan_count, row.signup_count, row.verified_count) == (3, 2, 0)


def test_a_channel_code_is_upper_cased_and_may_not_be_a_users_code(admin_client):
    taken = ReferralProfile.objects.create(user=UserFactory(), code="ABCDEFG")
    url = reverse("admin:referral_channel_add")
    data = {"name": "活动", "kind": "event", "is_active": "on"}

    admin_client.post(url, {**data, "code": "expo-2026"})
    clash = admin_client.post(url, {**data, "code": taken.code})

    assert Channel.objects.filter(code="EXPO-2026").exists()
    assert clash.status_code == 200 and not Channel.objects.filter(code=taken.code).exists()


def test_poster_template_page_shows_a_preview(admin_client):
    template = PosterTemplateFactory()

    response = admin_client.get(reverse("admin:referral_postertemplate_change", args=[template.pk]))

    assert response.status_code == 200
    assert "data:image/png;base64," in response.content.decode()


@pytest.mark.parametrize(
    "model",
    ["referralconfig", "channel", "referralprofile", "referral", "scan", "rewardrule", "reward", "milestoneaward"],
)
def test_admin_lists_load(admin_client, model):
    PosterTemplate.objects.create(name="t")
    assert admin_client.get(reverse(f"admin:referral_{model}_changelist")).status_code == 200
