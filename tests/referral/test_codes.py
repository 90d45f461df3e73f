from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral import codes
from referral.models import CODE_ALPHABET, CODE_LENGTH, SCENE_MAX_LENGTH, ReferralProfile
from referral.services import profiles, referral_profile_ensure
from tests.referral.factories import ChannelFactory, UserFactory


def test_alphabet_is_crockford_without_ambiguous_letters():
    assert len(CODE_ALPHABET) == 32 and len(set(CODE_ALPHABET)) == 32
    assert not set("ILOU") & set(CODE_ALPHABET)


@pytest.mark.django_db
def test_codes_are_unique_short_and_in_the_alphabet():
    profiles = [referral_profile_ensure(user=UserFactory()) for _ in range(200)]

    found = [p.code for p in profiles]
    assert len(set(found)) == 200
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in found)


@pytest.mark.django_db
def test_profile_is_created_once_per_user():
    user = UserFactory()

    first = referral_profile_ensure(user=user)
    second = referral_profile_ensure(user=user)

    assert first.pk == second.pk and first.code == second.code
    assert ReferralProfile.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_a_colliding_code_is_retried_with_another():
    taken = referral_profile_ensure(user=UserFactory()).code
    fresh = "ZZZZ999"
    with mock.patch.object(profiles, "code_generate", side_effect=[taken, taken, fresh]) as generate:
        profile = referral_profile_ensure(user=UserFactory())

    assert profile.code == fresh
    assert generate.call_count == 3


@pytest.mark.django_db
def test_a_code_equal_to_a_channel_code_is_not_given_to_a_user():
    ChannelFactory(code="ABCDEFG")
    with mock.patch.object(profiles, "code_generate", side_effect=["ABCDEFG", "HJKMNPQ"]):
        profile = referral_profile_ensure(user=UserFactory())

    assert profile.code == "HJKMNPQ"


@pytest.mark.django_db
def test_collisions_make_codes_longer_and_give_up_eventually():
    taken = referral_profile_ensure(user=UserFactory()).code
    with (
        mock.patch.object(profiles, "code_generate", return_value=taken) as generate,
        pytest.raises(RuntimeError),
    ):
        referral_profile_ensure(user=UserFactory())
    lengths = [call.args[0] for call in generate.call_args_list]
    assert lengths[0] == CODE_LENGTH and lengths[-1] > CODE_LENGTH


@given(st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH + 2))
def test_scene_fits_wechat_and_a_typed_code_reads_back(code):
    scene = codes.scene_for_user(code)

    assert len(scene) <= SCENE_MAX_LENGTH
    assert codes.scene_is_valid(scene)
    assert codes.code_normalize(code.lower()) == code
    assert codes.code_normalize("-".join([code[:3], code[3:]])) == code


def test_typed_codes_are_read_the_crockford_way():
    assert codes.code_normalize("o1l-i0 ") == "0111" + "0"
    assert codes.code_normalize("ABCU123") == ""  # U is not in the alphabet
    assert codes.code_normalize("AB") == ""
    assert codes.code_normalize("<script>") == ""


def test_channel_scene_fits_wechat():
    longest = "A" * 24

    assert codes.scene_is_valid(codes.scene_for_channel(longest))
    assert len(codes.scene_for_channel(longest)) <= SCENE_MAX_LENGTH
    assert not codes.scene_is_valid("r=" + "A" * 31)
    assert not codes.scene_is_valid("r=中文")


@pytest.mark.parametrize(
    "referral, channel, expected",
    [
        ("7KQ2MX3", "", ("7KQ2MX3", "")),
        ("r=7KQ2MX3", "", ("7KQ2MX3", "")),
        ("r%3D7KQ2MX3", "", ("7KQ2MX3", "")),
        ("c=front-desk", "", ("", "FRONT-DESK")),
        ("r=7KQ2MX3&c=DESK", "", ("7KQ2MX3", "DESK")),
        ("", "DESK", ("", "DESK")),
        ("", "c=DESK", ("", "DESK")),
        ("x=1", "", ("", "")),
        ("", "", ("", "")),
        ("c=bad code!", "", ("", "")),
    ],
)
def test_touch_parse_reads_codes_and_scenes(referral, channel, expected):
    assert codes.touch_parse(referral, channel) == expected


def test_share_url_is_under_site_url(settings):
    settings.SITE_URL = "https://growth.example.com"

    assert codes.share_url_for("7KQ2MX3") == "https://growth.example.com/r/7KQ2MX3"
