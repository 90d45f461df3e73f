"""Growth events moved from `analytics` to `events`: a database built by the old migrations, with
events in it, migrates keeping every row, the table's index and constraint, and the permission to
view events."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.campaigns.test_migration import _migrate
from tests.mall.test_migration import _constraints

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_database_with_events_migrates_to_the_events_app_keeping_everything():
    old = _migrate([("analytics", "0003_product_in_mall"), ("events", None)])
    schema_before = _constraints("analytics_event")
    member = old.get_model("core", "User").objects.create(username="member")
    old.get_model("analytics", "Event").objects.create(
        user=member, kind="signed_in", at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), ref="signin:1"
    )
    event_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="analytics", model="event"
    )
    view_event, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=event_type, codename="view_event", defaults={"name": "view"}
    )
    operators = old.get_model("auth", "Group").objects.create(name="运营-events-migration")
    operators.permissions.add(view_event)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from django.contrib.auth.models import Group

    from core.models import User
    from events.models import Event
    from events.services import event_record

    assert Event.objects.get().ref == "signin:1" and Event.objects.get().user.username == "member"
    event_record(user=User.objects.get(username="member"), kind="redeemed", ref="order:1")
    assert Event.objects.count() == 2  # the services write to the same table
    group = Group.objects.get(name="运营-events-migration")
    assert group.permissions.get().content_type.app_label == "events"
    assert _constraints("analytics_event") == schema_before
    assert {"analytics_event_kind_at", "analytics_event_kind_valid"} <= schema_before
