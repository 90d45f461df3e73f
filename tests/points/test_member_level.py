"""`member_level` reads the member's level in one plain query: it must answer what
`level_for(growth=growth_total(...))` answers, whatever the levels and the growth."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from points.models import Growth, Level
from points.selectors import growth_total, level_for, member_level
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    thresholds=st.sets(st.integers(0, 5000), max_size=6),
    growth=st.one_of(st.none(), st.integers(0, 6000)),
)
def test_member_level_is_the_highest_level_reached(thresholds, growth):
    Level.objects.all().delete()
    Level.objects.bulk_create(Level(name=f"L{t}", threshold=t) for t in thresholds)
    user = UserFactory()
    if growth is not None:  # None: a member who has never grown has no Growth row
        Growth.objects.create(user=user, total=growth)

    expected = level_for(growth=growth_total(user=user))
    level = member_level(user=user)

    assert (level.pk if level else None) == (expected.pk if expected else None)
    if level is not None:
        assert level.threshold <= (growth or 0) and level.name == f"L{level.threshold}"
