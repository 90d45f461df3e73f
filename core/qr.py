"""QR codes as PNG data URLs, which the mini-program shows directly (vouchers, member codes)."""

import base64
import functools
import io

# 6 pixels a module, as the mini-program's voucher and member-code pages are laid out for.
MODULE_PIXELS = 6


# Drawing a QR took a quarter of a redemption with the pure-Python `qrcode` (2.0 ms a code, most of
# it choosing the mask); zxing-cpp draws the same symbol in C++ (0.5 ms with the PNG). The image
# depends on the text alone and a voucher's page is opened again and again, so each process also
# keeps the latest few thousand (about 300 bytes each).
@functools.lru_cache(maxsize=4096)
def qr_data_url(text: str) -> str:
    import zxingcpp
    from PIL import Image

    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    pixels = symbol.to_image(scale=MODULE_PIXELS, add_quiet_zones=True)
    height, width = pixels.shape
    image = Image.frombuffer("L", (width, height), bytes(memoryview(pixels)), "raw", "L", 0, 1).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
