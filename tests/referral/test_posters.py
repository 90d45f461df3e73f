import io
from unittest import mock

import pytest
import zxingcpp
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageChops

from core.wechat import WeChatError
from referral import posters
from referral.codes import share_url_for
from referral.selectors import builtin_poster_template
from referral.services import referral_poster, referral_profile_ensure
from tests.referral.factories import PosterTemplateFactory, UserFactory

pytestmark = pytest.mark.django_db


def decode(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    return [result.text for result in zxingcpp.read_barcodes(image)]


def png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def user():
    return UserFactory(nickname="小艾")


def test_the_posters_qr_decodes_to_the_share_url(user):
    png = referral_poster(user=user, template=builtin_poster_template())

    assert png.startswith(b"\x89PNG")
    assert decode(png) == [share_url_for(referral_profile_ensure(user=user).code)]


def test_an_uploaded_background_sets_the_size_and_the_qr_still_decodes(user):
    background = Image.new("RGB", (600, 900), (20, 120, 200))
    template = PosterTemplateFactory(qr_x=150, qr_y=560, qr_size=300)
    template.background.save("bg.png", ContentFile(png_of(background)))

    png = referral_poster(user=user, template=template)

    image = Image.open(io.BytesIO(png))
    assert image.size == (600, 900)
    assert image.getpixel((5, 5)) == (20, 120, 200)
    assert decode(png) == [share_url_for(referral_profile_ensure(user=user).code)]


# -- CJK text ---------------------------------------------------------------------------------


def text_region(text: str) -> Image.Image:
    """The nickname drawn the way a poster draws it, on a blank canvas."""
    canvas = Image.new("RGB", (400, 120), (255, 255, 255))
    posters.draw_text(canvas, (10, 10), text, size=64, colour="#000000")
    return canvas.crop((0, 0, 400, 120))


def test_a_cjk_nickname_renders_with_real_glyphs(settings):
    assert settings.POSTER_FONT_PATH, "no CJK font found: install fonts-wqy-microhei"
    zhang, li = text_region("张"), text_region("李")
    missing = text_region("\U0010fffd")  # a private-use code point no font has: the missing-glyph box

    assert ImageChops.difference(zhang, li).getbbox() is not None
    assert ImageChops.difference(zhang, missing).getbbox() is not None
    assert ImageChops.difference(li, missing).getbbox() is not None
    # And something was drawn at all.
    assert ImageChops.difference(zhang, Image.new("RGB", zhang.size, (255, 255, 255))).getbbox() is not None


def test_two_nicknames_give_different_posters_in_the_nickname_area():
    template = builtin_poster_template()
    box = (template.nickname_x, template.nickname_y, template.nickname_x + 200, template.nickname_y + 60)
    one = Image.open(io.BytesIO(referral_poster(user=UserFactory(nickname="张"), template=template))).crop(box)
    two = Image.open(io.BytesIO(referral_poster(user=UserFactory(nickname="李"), template=template))).crop(box)

    assert ImageChops.difference(one.convert("RGB"), two.convert("RGB")).getbbox() is not None


def test_a_long_nickname_is_cut_to_fit():
    font = posters.load_font(40)
    text = posters.fit_text("很长的昵称" * 20, font, 300)

    assert text.endswith("…") and font.getlength(text) <= 300


# -- caching ----------------------------------------------------------------------------------


def test_the_second_poster_comes_from_storage(user):
    template = PosterTemplateFactory()
    with mock.patch.object(posters, "poster_compose", wraps=posters.poster_compose) as compose:
        first = referral_poster(user=user, template=template)
        second = referral_poster(user=user, template=template)

    assert compose.call_count == 1
    assert first == second


def test_a_poster_survives_a_cleared_cache_through_storage(user):
    from django.core.cache import cache

    template = PosterTemplateFactory()
    referral_poster(user=user, template=template)
    cache.clear()
    with mock.patch.object(posters, "poster_compose", wraps=posters.poster_compose) as compose:
        referral_poster(user=user, template=template)

    assert compose.call_count == 0


def test_a_changed_nickname_or_template_makes_a_new_poster_and_drops_the_old(user):
    template = PosterTemplateFactory()
    referral_poster(user=user, template=template)
    with mock.patch.object(posters, "poster_compose", wraps=posters.poster_compose) as compose:
        user.nickname = "新名字"
        user.save()
        referral_poster(user=user, template=template)
        template.text = "新的一行字"
        template.save()
        referral_poster(user=user, template=template)
        referral_poster(user=user, template=template)

    assert compose.call_count == 2
    _dirs, files = default_storage.listdir(f"referral/posters/{user.pk}")
    assert len(files) == 1  # one poster kept per user and template


def test_saving_a_template_bumps_its_version():
    template = PosterTemplateFactory()
    first = template.version

    template.qr_size = 300
    template.save()

    assert template.version == first + 1


# -- live WeChat ------------------------------------------------------------------------------


class StubWeChat:
    def __init__(self, *, fail=False):
        self.fail = fail
        self.scenes = []

    def get_unlimited_code(self, *, scene, page="", width=430):
        self.scenes.append(scene)
        if self.fail:
            raise WeChatError(41030, "invalid page")
        return png_of(posters.qr_image(f"wxacode:{scene}", 430))


def test_live_mode_uses_the_mini_program_code_with_the_scene(settings, user):
    settings.WECHAT_MODE = "live"
    stub = StubWeChat()
    with mock.patch("referral.services.posters.get_wechat_client", return_value=stub):
        png = referral_poster(user=user, template=builtin_poster_template())

    scene = f"r={referral_profile_ensure(user=user).code}"
    assert stub.scenes == [scene]
    assert decode(png) == [f"wxacode:{scene}"]


def test_live_mode_falls_back_to_a_plain_qr_and_does_not_keep_it(settings, user):
    settings.WECHAT_MODE = "live"
    stub = StubWeChat(fail=True)
    with mock.patch("referral.services.posters.get_wechat_client", return_value=stub):
        first = referral_poster(user=user, template=builtin_poster_template())
        referral_poster(user=user, template=builtin_poster_template())

    assert decode(first) == [share_url_for(referral_profile_ensure(user=user).code)]
    assert len(stub.scenes) == 2  # not cached: the next request asks WeChat again


# -- a user without a nickname or an avatar ----------------------------------------------------


def crop(png: bytes, box) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB").crop(box)


def is_plain(image: Image.Image) -> bool:
    """Every pixel of `image` the same colour (a plain background, a blank disc)."""
    return image.getextrema() == tuple((low, low) for low, _high in image.getextrema())


def gradient_free(image: Image.Image) -> Image.Image:
    """Each row minus its own left-most pixel: the default background is a vertical gradient (one
    colour per row), so anything drawn on it is what remains."""
    rows = [Image.new("RGB", (image.width, 1), image.getpixel((0, y))) for y in range(image.height)]
    background = Image.new("RGB", image.size)
    for y, row in enumerate(rows):
        background.paste(row, (0, y))
    return ImageChops.difference(image, background)


def test_a_user_without_a_nickname_gets_a_default_name_and_a_lettered_avatar():
    template = builtin_poster_template()
    nameless = UserFactory(nickname="")
    named = UserFactory(nickname="小艾")
    name_box = (template.nickname_x, template.nickname_y, template.nickname_x + 300, template.nickname_y + 60)
    avatar_box = (
        template.avatar_x + template.avatar_size // 4,
        template.avatar_y + template.avatar_size // 4,
        template.avatar_x + template.avatar_size * 3 // 4,
        template.avatar_y + template.avatar_size * 3 // 4,
    )

    png = referral_poster(user=nameless, template=template)

    # A name is drawn where the nickname goes (the area is not the bare background)...
    assert gradient_free(crop(png, name_box)).getbbox() is not None
    # ...and the avatar disc carries a character: its centre is not one flat colour.
    assert not is_plain(crop(png, avatar_box))
    # The name is the default one, not another user's.
    other = referral_poster(user=named, template=template)
    assert ImageChops.difference(crop(png, name_box), crop(other, name_box)).getbbox() is not None


def test_the_default_name_is_wechat_user_or_the_verified_phones_tail_never_the_number():
    from referral.services.posters import poster_display_name

    assert poster_display_name(UserFactory(nickname="  ")) in {"WeChat user", "微信用户"}
    tail = poster_display_name(UserFactory(nickname="", phone="13912345678", phone_verified=True))
    unverified = poster_display_name(UserFactory(nickname="", phone="13912345679", phone_verified=False))

    assert "5678" in tail and "1391234" not in tail
    assert "5679" not in unverified
    assert poster_display_name(UserFactory(nickname="小艾")) == "小艾"


def test_the_caption_is_drawn_under_the_qr_code(user):
    template = builtin_poster_template()
    layout = posters.Layout(**{name: getattr(template, name) for name in posters_fields()})
    box = posters.caption_box(layout, template.height)
    assert box is not None

    png = referral_poster(user=user, template=template)

    band = crop(png, under_the_code(template, box))
    assert not is_plain(band)  # the caption's glyphs on the white card
    # Centred under the code: as much ink left of its centre as right of it, roughly.
    blank = Image.new("RGB", band.size, band.getpixel((0, 0)))
    left, _top, right, _bottom = ImageChops.difference(band, blank).getbbox()
    assert abs((left + right) / 2 - band.width / 2) < 8
    # And the code above still decodes.
    assert decode(png) == [share_url_for(referral_profile_ensure(user=user).code)]


def test_without_a_caption_the_band_under_the_code_stays_blank():
    template = builtin_poster_template()
    fields = {name: getattr(template, name) for name in posters_fields()}
    layout = posters.Layout(**fields)
    qr = posters.qr_image("https://example.test/r/ABC", template.qr_size)
    box = posters.caption_box(layout, template.height)

    bare = posters.poster_compose(layout=layout, background=None, qr=qr, avatar=None, nickname="小艾")
    captioned = posters.poster_compose(
        layout=posters.Layout(**fields, caption="长按识别小程序码"),
        background=None,
        qr=qr,
        avatar=None,
        nickname="小艾",
    )

    assert is_plain(crop(bare, under_the_code(template, box)))
    assert not is_plain(crop(captioned, under_the_code(template, box)))


def under_the_code(template, box) -> tuple[int, int, int, int]:
    """The caption band, from 40 px left of the code to 40 px right of it (on the white card)."""
    return template.qr_x - 40, box[1], template.qr_x + template.qr_size + 40, box[3]


def test_a_poster_stored_before_the_defaults_existed_is_drawn_again(user):
    from referral.services import posters as poster_service

    template = PosterTemplateFactory()
    before = poster_service.poster_fingerprint(template=template, user=user, profile=referral_profile_ensure(user=user))
    with mock.patch.object(poster_service, "POSTER_DRAWING", poster_service.POSTER_DRAWING + 1):
        after = poster_service.poster_fingerprint(
            template=template, user=user, profile=referral_profile_ensure(user=user)
        )

    assert before != after


def posters_fields() -> list[str]:
    from referral.services.posters import LAYOUT_FIELDS

    return LAYOUT_FIELDS


def test_a_poster_served_on_its_marker_touches_neither_storage_checks_nor_the_marker():
    """The cached path is one marker read and the file: no `exists` on storage, and the marker is
    not written again on every request (it lives its day from when the poster was stored)."""
    from django.core.cache import cache

    user = UserFactory()
    template = builtin_poster_template()
    first = referral_poster(user=user, template=template)

    with (
        mock.patch.object(default_storage, "exists", side_effect=AssertionError("storage asked")),
        mock.patch.object(cache, "set", wraps=cache.set) as cache_set,
    ):
        again = referral_poster(user=user, template=template)

    assert again == first
    assert not [call for call in cache_set.call_args_list if str(call.args[0]).startswith("referral:poster:")]
