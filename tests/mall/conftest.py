import pytest
from django.contrib.auth.models import Group

from points.services.mall import OPERATOR_GROUP, STORE_STAFF_GROUP, roles_seed
from tests.factories import StaffFactory


@pytest.fixture
def roles(db):
    roles_seed()


@pytest.fixture
def store_staff(roles):
    staff = StaffFactory(is_staff=False)
    staff.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    return staff


@pytest.fixture
def operator(roles):
    operator = StaffFactory()
    operator.groups.add(Group.objects.get(name=OPERATOR_GROUP))
    return operator
