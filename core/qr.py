"""QR codes as PNG data URLs, which the mini-program shows directly (vouchers, member codes)."""

import base64
import functools
import io


# Drawing a QR took a quarter of a redemption, and an order's answer shows its first voucher twice
# (`coupon` and `coupons`); the image depends on the text alone, so each process keeps the latest
# few thousand (about 1 KB each).
@functools.lru_cache(maxsize=4096)
def qr_data_url(text: str) -> str:
    import qrcode

    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
