"""The public landing page of a share link, `/r/<code>` (HTML, outside the API)."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.http import client_address
from referral.selectors import code_resolve, invitee_offer
from referral.services import referral_scan_record
from referral.services.landing import landing_branding, landing_open_link


@require_GET
@never_cache
def referral_landing(request, code: str):
    """Who invites you, what you get, how to open the mini-program (a button, and the code to type
    as a fallback), under the clinic's name and logo. Each visit records a scan."""
    profile, channel = code_resolve(code[:32])
    found = profile is not None or channel is not None
    if found:
        referral_scan_record(
            code=profile.code if profile else channel.code,
            profile=profile,
            channel=channel,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            client=client_address(request),
        )
    resolved = profile.code if profile else (channel.code if channel else "")
    context = {
        "found": found,
        "inviter": profile.user.nickname if profile else "",
        "channel": channel.name if channel else "",
        "code": resolved,
        "offer": invitee_offer(),
        "branding": landing_branding(),
        "open_link": landing_open_link(code=resolved, is_channel=profile is None) if found else "",
    }
    # The page is for people arriving from WeChat: the site's language, not the browser's.
    with translation.override(settings.LANGUAGE_CODE):
        return render(request, "referral/landing.html", context, status=200 if found else 404)
