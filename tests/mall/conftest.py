import pytest
from django.contrib.auth.models import Group

from mall.services import OPERATOR_GROUP, STORE_STAFF_GROUP, roles_seed
from tests.factories import StaffFactory
from tests.mall.factories import StoreFactory


@pytest.fixture
def roles(db):
    roles_seed()


@pytest.fixture
def store_staff(roles):
    """A verifier (核销员) on the staff of one store, where they verify vouchers."""
    staff = StaffFactory(is_staff=False)
    staff.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    StoreFactory().staff.add(staff)
    return staff


@pytest.fixture
def operator(roles):
    operator = StaffFactory()
    operator.groups.add(Group.objects.get(name=OPERATOR_GROUP))
    return operator
