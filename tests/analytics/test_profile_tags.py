"""Rule tags on the profile facts the member gave (docs/tags.md): gender, age band (whole years on
the local day the rule is computed as of, both ends inclusive) and city (case and surrounding
spaces ignored). Members without the fact never match. Sets worked out by hand."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from analytics.models import TagRule
from analytics.services import tags_compute
from analytics.services.tags import tag_rule_members, years_before
from core.models import Tag, UserTag
from tests.analytics.conftest import day, user_joined
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ON = day(10)  # 2026-03-12: the run of 2026-03-13 computes as of the end of this day


@pytest.fixture
def people(db):
    """| member | birthday | age on 2026-03-12 | gender | city |
    |---|---|---|---|---|
    | a | 2008-03-12 | 18 (today) | female | 上海 |
    | b | 2008-03-13 | 17 (18 tomorrow) | male | " SHANGHAI " (an admin edit) |
    | c | 1996-03-12 | 30 (today) | female | shanghai |
    | d | 1995-03-13 | 30 (31 tomorrow) | - | 北京 |
    | e | 1995-03-12 | 31 (today) | male | - |
    | f | - | - | - | - |
    | g | 2008-02-29 | 18 | female | 上海 (deactivated) |
    | h | 2000-01-01 | 26 | female | 上海 (joined day 20, after the day) |
    """
    rows = {
        "a": (dt.date(2008, 3, 12), "female", "上海", {}),
        "b": (dt.date(2008, 3, 13), "male", " SHANGHAI ", {}),
        "c": (dt.date(1996, 3, 12), "female", "shanghai", {}),
        "d": (dt.date(1995, 3, 13), "", "北京", {}),
        "e": (dt.date(1995, 3, 12), "male", "", {}),
        "f": (None, "", "", {}),
        "g": (dt.date(2008, 2, 29), "female", "上海", {"is_active": False}),
    }
    people = {
        name: user_joined(-30, birthday=birthday, gender=gender, city=city, **extra)
        for name, (birthday, gender, city, extra) in rows.items()
    }
    people["h"] = user_joined(20, birthday=dt.date(2000, 1, 1), gender="female", city="上海")
    StaffFactory(birthday=dt.date(2000, 1, 1), gender="female", city="上海")
    return people


def rule_tag(name, **rule) -> Tag:
    tag = Tag.objects.create(name=name, kind=Tag.Kind.RULE)
    TagRule.objects.create(tag=tag, **rule)
    return tag


def names(people, tag) -> str:
    ids = set(UserTag.objects.filter(tag=tag).values_list("user_id", flat=True))
    return "".join(sorted(name for name, user in people.items() if user.pk in ids))


def test_profile_rule_tags_equal_the_hand_computed_members(people):
    tags = {
        "female": rule_tag("女性", kind="gender", gender="female"),
        "male": rule_tag("男性", kind="gender", gender="male"),
        "adult_to_30": rule_tag("18-30岁", kind="age_band", age_min=18, age_max=30),
        "eighteen": rule_tag("刚满18", kind="age_band", age_min=18, age_max=18),
        "thirty_one_up": rule_tag("31岁以上", kind="age_band", age_min=31, age_max=200),
        "under_18": rule_tag("未成年", kind="age_band", age_min=0, age_max=17),
        "shanghai": rule_tag("上海(英文)", kind="city", city=" Shanghai"),
        "shanghai_zh": rule_tag("上海", kind="city", city="上海"),
    }
    expected = {
        "female": "ac",  # g is deactivated, h joined after the day, staff are not members
        "male": "be",
        "adult_to_30": "acd",  # a turns 18 today: 18; b turns 18 tomorrow; d turns 31 tomorrow
        "eighteen": "a",
        "thirty_one_up": "e",  # e turns 31 today
        "under_18": "b",  # f has no birthday: no age band at all
        "shanghai": "bc",  # case and spaces ignored; 上海 is another spelling
        "shanghai_zh": "a",
    }

    tags_compute(on=ON)
    for key, want in expected.items():
        assert names(people, tags[key]) == want, key

    # The next day b turns 18 and d 31.
    tags_compute(on=ON + dt.timedelta(days=1))
    assert names(people, tags["adult_to_30"]) == "abc"
    assert names(people, tags["thirty_one_up"]) == "de"
    assert names(people, tags["under_18"]) == ""


def test_a_member_without_the_fact_never_matches(people):
    f = people["f"]
    for rule in (
        TagRule(kind="gender", gender="male"),
        TagRule(kind="age_band", age_min=0, age_max=150),
        TagRule(kind="city", city=" "),  # a blank city (the admin refuses it) selects nobody
        TagRule(kind="gender", gender=""),
    ):
        assert f.pk not in set(tag_rule_members(rule=rule, on=ON)), rule.kind
    assert set(tag_rule_members(rule=TagRule(kind="city", city=" "), on=ON)) == set()
    assert set(tag_rule_members(rule=TagRule(kind="gender", gender=""), on=ON)) == set()


@pytest.mark.parametrize(
    ("birthday", "on", "age"),
    [
        (dt.date(2008, 3, 12), dt.date(2026, 3, 12), 18),  # turning 18 today is 18
        (dt.date(2008, 3, 13), dt.date(2026, 3, 12), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 18),  # no 29th this year: the 28th is the birthday
        (dt.date(2008, 2, 29), dt.date(2026, 2, 27), 17),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 28), 19),  # a leap year: the 29th comes
        (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
        (dt.date(2010, 2, 28), dt.date(2028, 2, 29), 18),
        (dt.date(2010, 3, 1), dt.date(2028, 2, 29), 17),
    ],
)
def test_whole_years_on_the_day_including_29_february(birthday, on, age):
    def age_on(b, d):
        # The definition the rule applies: the largest n with b <= years_before(d, n).
        return max(n for n in range(0, 130) if b <= years_before(d, n))

    assert age_on(birthday, on) == age


def test_the_rule_must_name_its_fact(db):
    tag = Tag.objects.create(name="x", kind=Tag.Kind.RULE)
    for rule, field in (
        (TagRule(tag=tag, kind="gender"), "gender"),
        (TagRule(tag=tag, kind="city", city="   "), "city"),
        (TagRule(tag=tag, kind="age_band", age_min=20), "age_max"),
        (TagRule(tag=tag, kind="age_band", age_min=30, age_max=20), "age_max"),
    ):
        with pytest.raises(ValidationError) as exc:
            rule.full_clean()
        assert field in exc.value.message_dict, (rule.kind, exc.value.message_dict)
    TagRule(tag=tag, kind="age_band", age_min=18, age_max=18).full_clean()
