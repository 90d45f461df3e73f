"""The public landing page of a share link, `/r/<code>` (HTML, outside the API)."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from referral.selectors import code_resolve, invitee_offer
from referral.services import referral_scan_record


@require_GET
@never_cache
def referral_landing(request, code: str):
    """Who invites you, what you get, how to open the mini-program. Each visit records a scan."""
    profile, channel = code_resolve(code[:32])
    if profile is not None or channel is not None:
        referral_scan_record(
            code=profile.code if profile else channel.code,
            profile=profile,
            channel=channel,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            client=request.META.get("REMOTE_ADDR", ""),
        )
    context = {
        "found": profile is not None or channel is not None,
        "inviter": profile.user.nickname if profile else "",
        "channel": channel.name if channel else "",
        "code": profile.code if profile else (channel.code if channel else ""),
        "offer": invitee_offer(),
    }
    # The page is for people arriving from WeChat: the site's language, not the browser's.
    with translation.override(settings.LANGUAGE_CODE):
        return render(request, "referral/landing.html", context, status=200 if context["found"] else 404)
