"""Composing poster PNGs with Pillow. Pure drawing: no database, no storage, no WeChat.

`referral.services.posters` decides what goes on a poster (the name to show, the caption) and
caches the result; this module only draws it: a background (uploaded, or generated), a QR code with
a caption under it, a round avatar (a coloured disc with the name's first character when the user
has none), the name and a text line in a CJK font (settings.POSTER_FONT_PATH).
"""

import io
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

logger = logging.getLogger(__name__)
# Cached FreeType faces are shared; drawing text with one is serialised, to be safe under threads.
_font_lock = threading.Lock()

DEFAULT_BACKGROUND_TOP = (255, 138, 76)
DEFAULT_BACKGROUND_BOTTOM = (255, 214, 153)
AVATAR_COLOURS = [(91, 143, 249), (90, 216, 166), (246, 189, 22), (232, 104, 74), (109, 200, 236), (146, 112, 202)]


@dataclass(frozen=True)
class Layout:
    """Where things go, in pixels from the top-left of the background."""

    width: int
    height: int
    qr_x: int
    qr_y: int
    qr_size: int
    avatar_x: int
    avatar_y: int
    avatar_size: int
    nickname_x: int
    nickname_y: int
    nickname_size: int
    text: str
    text_x: int
    text_y: int
    text_size: int
    text_color: str
    caption: str = ""  # under the QR code, centred on it ("long-press to open")


@lru_cache(maxsize=32)
def load_font(size: int, path: str | None = None) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """The poster font at `size`; Pillow's own font (no Chinese) when the CJK one cannot be read."""
    path = settings.POSTER_FONT_PATH if path is None else path
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            logger.warning("poster font %s cannot be read; Chinese will not render", path)
    else:
        logger.warning("POSTER_FONT_PATH is not set and no CJK font was found; Chinese will not render")
    return ImageFont.load_default(size=size)


def parse_colour(value: str) -> tuple[int, int, int]:
    value = (value or "#1A1A1A").lstrip("#")
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except (ValueError, IndexError):
        return 26, 26, 26


def default_background(width: int, height: int) -> Image.Image:
    """The shipped template's background: a warm gradient with a white card behind the QR code."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top, bottom = DEFAULT_BACKGROUND_TOP, DEFAULT_BACKGROUND_BOTTOM
    for y in range(height):
        t = y / max(height - 1, 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    margin = max(width // 15, 20)
    draw.rounded_rectangle(
        [margin, height * 2 // 3 - margin, width - margin, height - margin], radius=32, fill=(255, 255, 255)
    )
    draw.rounded_rectangle([margin, margin, width - margin, margin + 220], radius=32, fill=(255, 250, 244))
    return image


def qr_image(data: str, size: int) -> Image.Image:
    """A plain QR code of `data`, `size` pixels square, with its quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


def default_avatar(size: int, *, seed: int, initial: str) -> Image.Image:
    """A coloured disc with the nickname's first character, for users without an avatar."""
    image = Image.new("RGB", (size, size), AVATAR_COLOURS[seed % len(AVATAR_COLOURS)])
    if initial:
        font = load_font(max(size // 2, 8))
        draw = ImageDraw.Draw(image)
        with _font_lock:
            draw.text((size / 2, size / 2), initial, font=font, fill=(255, 255, 255), anchor="mm")
    return image


def round_avatar(avatar: Image.Image, size: int) -> tuple[Image.Image, Image.Image]:
    """The avatar cropped to a centred square, scaled, and a round mask for pasting it."""
    avatar = avatar.convert("RGB")
    side = min(avatar.size)
    left, top = (avatar.width - side) // 2, (avatar.height - side) // 2
    avatar = avatar.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    # Draw the mask at 4x and scale down: smooth edges.
    mask = Image.new("L", (size * 4, size * 4), 0)
    ImageDraw.Draw(mask).ellipse([0, 0, size * 4 - 1, size * 4 - 1], fill=255)
    return avatar, mask.resize((size, size), Image.Resampling.LANCZOS)


def fit_text(text: str, font, max_width: int) -> str:
    """`text`, cut with an ellipsis so it fits in `max_width` pixels."""
    if max_width <= 0 or font.getlength(text) <= max_width:
        return text
    while text and font.getlength(text + "…") > max_width:
        text = text[:-1]
    return text + "…" if text else ""


def draw_text(image: Image.Image, xy: tuple[int, int], text: str, *, size: int, colour: str) -> None:
    if not text:
        return
    font = load_font(size)
    draw = ImageDraw.Draw(image)
    with _font_lock:
        text = fit_text(text, font, image.width - xy[0] - 20)
        draw.text(xy, text, font=font, fill=parse_colour(colour))


CAPTION_GAP = 12
CAPTION_COLOUR = "#666666"


def caption_box(layout: Layout, height: int) -> tuple[int, int, int, int] | None:
    """Where the caption goes: a band under the QR code, as wide as the poster allows around the
    code's centre; None when the poster has no room left under the code."""
    size = max(layout.qr_size // 11, 16)
    top = layout.qr_y + layout.qr_size + CAPTION_GAP
    if top + size > height:
        return None
    return 0, top, layout.width, top + size


def draw_caption(image: Image.Image, layout: Layout) -> None:
    """The caption centred under the QR code, in grey, cut to fit the poster's width."""
    box = caption_box(layout, image.height)
    if not layout.caption or box is None:
        return
    font = load_font(box[3] - box[1])
    draw = ImageDraw.Draw(image)
    centre = layout.qr_x + layout.qr_size / 2
    with _font_lock:
        text = fit_text(layout.caption, font, image.width - 40)
        half = font.getlength(text) / 2
        centre = min(max(centre, half + 20), image.width - half - 20)  # inside the poster
        draw.text((centre, box[1]), text, font=font, fill=parse_colour(CAPTION_COLOUR), anchor="ma")


def poster_compose(
    *,
    layout: Layout,
    background: Image.Image | None,
    qr: Image.Image,
    avatar: Image.Image | None,
    nickname: str,
    avatar_seed: int = 0,
) -> bytes:
    """The poster as PNG bytes. `nickname` is the name to show (the caller gives a default to a
    user without one); the default avatar shows its first character."""
    canvas = default_background(layout.width, layout.height) if background is None else background.convert("RGB")

    qr = qr.convert("RGB").resize((layout.qr_size, layout.qr_size), Image.Resampling.NEAREST)
    canvas.paste(qr, (layout.qr_x, layout.qr_y))
    draw_caption(canvas, layout)

    if layout.avatar_size > 0:
        if avatar is None:
            avatar = default_avatar(layout.avatar_size, seed=avatar_seed, initial=(nickname or "")[:1])
        face, mask = round_avatar(avatar, layout.avatar_size)
        canvas.paste(face, (layout.avatar_x, layout.avatar_y), mask)

    draw_text(
        canvas, (layout.nickname_x, layout.nickname_y), nickname, size=layout.nickname_size, colour=layout.text_color
    )
    draw_text(canvas, (layout.text_x, layout.text_y), layout.text, size=layout.text_size, colour=layout.text_color)

    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
