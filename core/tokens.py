"""Refresh-token rotation: a refresh token buys exactly one new pair, even when sent several times at once.

simplejwt's own refresh checks the blacklist, then blacklists with `get_or_create`: two requests
racing with one token both pass the check and both "create" (the loser gets the winner's row), so
each walks away with a fresh, valid refresh token. Here the database decides: the rotation inserts
the token's `BlacklistedToken` row (one-to-one with its `OutstandingToken`, so unique) in the same
transaction that mints the new token, and a unique violation means another request used it first.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from core.exceptions import ApplicationError


def _not_valid(detail) -> ApplicationError:
    # The code simplejwt gives every refused token, so a client has one thing to check: log in again.
    return ApplicationError("token_not_valid", detail, 401)


def refresh_token_rotate(*, token: str) -> dict:
    """A new access and refresh token for a valid, unused refresh token, which is used up."""
    try:
        refresh = RefreshToken(token)  # signature, expiry, type, and the blacklist as last committed
    except TokenError as exc:
        raise _not_valid(exc.args[0]) from exc

    User = get_user_model()
    user = User.objects.filter(**{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)}).first()
    if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
        raise ApplicationError("no_active_account", _("No active account found for the given token."), 401)

    with transaction.atomic():
        outstanding, _created = OutstandingToken.objects.get_or_create(
            jti=refresh[api_settings.JTI_CLAIM],
            defaults={
                "user": user,
                "token": token,
                "created_at": refresh.current_time,
                "expires_at": datetime_from_epoch(refresh["exp"]),
            },
        )
        try:
            with transaction.atomic():
                # A concurrent rotation of the same token waits here on the unique index until the
                # first commits, then conflicts: exactly one of them gets past this line.
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError as exc:
            raise _not_valid(_("Token is blacklisted")) from exc

        access = str(refresh.access_token)
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
    return {"access": access, "refresh": str(refresh)}
