"""Group-buy and assist moved from `referral` to `campaigns`: a database built by the old
migrations, with data in it, migrates to the new layout keeping every row, relation, permission,
constraint, index and beat entry."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.mall.test_migration import _constraints

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [
    ("referral", "0005_product_and_order_in_mall"),
    ("mall", "0003_beat_task_names"),
    ("campaigns", None),
]
TABLES = [
    "referral_groupbuyoffer",
    "referral_groupbuygroup",
    "referral_groupbuymember",
    "referral_assistcampaign",
    "referral_assisttask",
    "referral_assisthelp",
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state([t for t in targets if t[1] is not None]).apps


def test_a_database_with_group_buys_and_assists_migrates_to_campaigns_keeping_everything():
    # Given a database as main built it before the move: an offer, a group and its member, an
    # assist campaign, a task and a help, an operators' group allowed to edit offers, and the
    # five-minute sweep's beat entry under its old task name.
    old = _migrate(BEFORE)
    schema_before = {table: _constraints(table) for table in TABLES}
    User = old.get_model("core", "User")
    leader, friend = User.objects.create(username="leader"), User.objects.create(username="friend")
    product = old.get_model("mall", "Product").objects.create(name="洗牙体验券", price=80, stock=4)
    deadline = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    offer = old.get_model("referral", "GroupBuyOffer").objects.create(product=product, group_size=2, price=30)
    group = old.get_model("referral", "GroupBuyGroup").objects.create(
        offer=offer, leader=leader, group_size=2, price=30, expires_at=deadline
    )
    old.get_model("referral", "GroupBuyMember").objects.create(group=group, user=leader)
    campaign = old.get_model("referral", "AssistCampaign").objects.create(title="助力", reward_points=10)
    task = old.get_model("referral", "AssistTask").objects.create(
        campaign=campaign, user=leader, required=3, progress=1, expires_at=deadline
    )
    old.get_model("referral", "AssistHelp").objects.create(
        task=task, helper=friend, starter=leader, campaign=campaign, local_date=dt.date(2029, 12, 31)
    )
    ContentType = old.get_model("contenttypes", "ContentType")
    offer_type, _ = ContentType.objects.get_or_create(app_label="referral", model="groupbuyoffer")
    change_offer, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=offer_type, codename="change_groupbuyoffer", defaults={"name": "change"}
    )
    operators = old.get_model("auth", "Group").objects.create(name="运营-migration")
    operators.permissions.add(change_offer)
    schedule = old.get_model("django_celery_beat", "IntervalSchedule").objects.create(every=5, period="minutes")
    old.get_model("django_celery_beat", "PeriodicTask").objects.create(
        name="groups_expire_due-migration", task="referral.tasks.groups_expire_due_task", interval=schedule
    )

    # When it migrates to the new layout
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # Then the current models read the same rows, through the same tables
    from django.contrib.auth.models import Group
    from django_celery_beat.models import PeriodicTask

    from campaigns.assist.models import AssistCampaign, AssistHelp, AssistTask
    from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember, GroupBuyOffer
    from core.models import User as CurrentUser
    from mall.models import Product

    assert GroupBuyOffer.objects.get().product == Product.objects.get()
    assert GroupBuyGroup.objects.get().offer == GroupBuyOffer.objects.get()
    assert GroupBuyMember.objects.get().user.username == "leader"
    assert AssistTask.objects.get().campaign == AssistCampaign.objects.get()
    assert AssistHelp.objects.get().task == AssistTask.objects.get()
    assert AssistHelp.objects.get().helper.username == "friend"
    # the permission granted before the move still holds, under its new name
    group = Group.objects.get(name="运营-migration")
    assert group.permissions.get().content_type.app_label == "campaigns"
    member = CurrentUser.objects.get(username="friend")
    member.groups.add(group)
    assert CurrentUser.objects.get(pk=member.pk).has_perm("campaigns.change_groupbuyoffer")
    # the sweep's beat entry names the task where it lives now, and that task is registered
    entry = PeriodicTask.objects.get(name="groups_expire_due-migration")
    assert entry.task == "campaigns.tasks.groups_expire_due_task"
    from core.celery import registered_task

    assert registered_task(entry.task).name == entry.task
    # and the hand-made parts of the schema are untouched
    assert {table: _constraints(table) for table in TABLES} == schema_before
    assert "referral_groupbuy_member_once" in schema_before["referral_groupbuymember"]
    assert "referral_assist_one_open_task" in schema_before["referral_assisttask"]
