import pytest
from django.db import transaction

from events.models import Event
from events.services import EventSpec, event_record, events_record_bulk
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_event_record_takes_a_user_or_an_id():
    user = UserFactory()
    event_record(user=user, kind="helped", ref="assist:1")
    event_record(user=user.pk, kind="signed_in", amount=5)
    assert list(Event.objects.order_by("pk").values_list("user_id", "kind", "amount", "ref")) == [
        (user.pk, "helped", 0, "assist:1"),
        (user.pk, "signed_in", 5, ""),
    ]


def test_event_record_rolls_back_with_the_callers_transaction():
    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(user=user, kind="checked_in")
        raise RuntimeError
    assert not Event.objects.exists()


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        event_record(user=UserFactory(), kind="nonsense")
    assert not Event.objects.exists()


def test_bulk_records_many_events():
    users = UserFactory.create_batch(3)
    assert events_record_bulk([EventSpec(user=u, kind="won", amount=10) for u in users]) == 3
    assert Event.objects.filter(kind="won", amount=10).count() == 3
