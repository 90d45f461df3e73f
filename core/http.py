"""Who is on the other end of a request."""

from django.conf import settings


def client_address(request) -> str:
    """The client's address as the outermost trusted proxy saw it: with TRUSTED_PROXY_COUNT=N,
    the N-th address from the right of X-Forwarded-For; with 0 (no proxy), the connecting address.
    The same rule DRF's throttles follow, so a scan and a throttle name the same client."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(count, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")
