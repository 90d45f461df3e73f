"""Writes on users: WeChat login and registration, phone verification, profile and avatar."""

import datetime as dt
import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from accounts.models import AccountDeletion
from accounts.services.deletion import phone_digest, wechat_digest
from core.clock import local_today
from core.exceptions import ApplicationError
from core.faces import user_faces_forget
from core.locks import lock_members, retry_on_conflict
from core.models import User, VerifiedPhone, generate_username
from core.wechat import WeChatError, get_wechat_client
from events.services import event_record
from points.services.ledger import account_for_user, account_issuance
from points.services.tasks import task_complete_by_server
from referral.models import ReferralProfile
from referral.services import referral_bind_new_user, referral_profile_ensure, referral_trigger

AVATAR_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
BIRTHDAY_EARLIEST = dt.date(1900, 1, 1)
CITY_MAX_LENGTH = 64
AVATAR_STORED_SIZE = 512


def wechat_error_to_application_error(exc: WeChatError) -> ApplicationError:
    """A bad code is the client's fault (400); anything else is WeChat's (502), worth a retry."""
    if exc.is_invalid_code:
        return ApplicationError("invalid_wechat_code", _("The WeChat code is invalid or has expired."), 400)
    return ApplicationError("wechat_unavailable", _("WeChat is not answering; please try again."), 502)


def user_registered(*, user: User, referral: str = "", channel: str = "", returning: bool = False) -> None:
    """Everything a brand-new mini-program user gets, in the transaction that created them: the
    binding first (it locks the user, the inviter and the inviter's chain, docs/concurrency.md),
    then the welcome task, whose accounts the binding's rewards lock with theirs. The user's row was
    inserted by this transaction: nobody else can see it, let alone lock it, until it commits.

    `returning`: the WeChat account had an account here and deleted it (docs/privacy.md). It starts
    afresh, but is no new user to reward: no inviter is paid for it and no second welcome gift."""
    if returning:
        referral = ""
    bound = referral_bind_new_user(
        user=user, referral=referral, channel=channel, also_lock=(account_issuance(), account_for_user(user))
    )
    if not returning:
        task_complete_by_server(user=user, code="welcome")
    channel_code = ReferralProfile.objects.filter(user=user).values_list("channel__code", flat=True).first()
    ref = f"inviter:{bound.inviter_id}" if bound else ("returning" if returning else "")
    event_record(user=user, kind="registered", channel=channel_code or "", ref=ref)


def _returning(*, openid: str, unionid: str) -> bool:
    """Whether this WeChat account (by openid, or unionid when WeChat gives one) deleted an
    account here before: its keyed digests are kept for this alone."""
    match = Q(openid_digest=wechat_digest(openid, kind="openid"))
    if unionid:
        match |= Q(unionid_digest=wechat_digest(unionid, kind="unionid"))
    return AccountDeletion.objects.filter(match).exists()


def user_login_wechat(*, code: str, referral: str = "", channel: str = "") -> tuple[User, bool]:
    """Log in by a wx.login code; the first login creates the user. Returns (user, is_new)."""
    try:
        session = get_wechat_client().code_to_session(code)
    except WeChatError as exc:
        raise wechat_error_to_application_error(exc) from exc

    return _user_login(session=session, referral=referral, channel=channel)


@retry_on_conflict
def _user_login(*, session, referral: str, channel: str) -> tuple[User, bool]:
    with transaction.atomic():
        # get_or_create retries the read on a unique-openid clash, so two first logins at once
        # give one user.
        user, created = User.objects.get_or_create(
            openid=session.openid,
            defaults={"username": generate_username(), "unionid": session.unionid},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            returning = _returning(openid=session.openid, unionid=session.unionid)
            user_registered(user=user, referral=referral, channel=channel, returning=returning)
        elif user.is_active:  # not a deleted account whose openid is still being released
            referral_profile_ensure(user=user)  # users from before referral existed get their code
            if session.unionid and user.unionid != session.unionid:
                user.unionid = session.unionid
                user.save(update_fields=["unionid"])
    return user, created


def user_phone_verified(*, user: User) -> None:
    """What verifying a phone unlocks (referral rewards, tasks), in the verifying transaction: the
    referral rules first (they lock the referral's rows, then every account, the task's too)."""
    referral_trigger(user=user, trigger="phone_verified", also_lock=(account_issuance(), account_for_user(user)))
    task_complete_by_server(user=user, code="phone_verified")
    event_record(user=user, kind="phone_verified")


def _phone_in_use() -> ApplicationError:
    return ApplicationError("phone_in_use", _("This phone number is already used by another account."), 409)


def user_verify_phone(*, user: User, code: str) -> User:
    """Verify (or change) the user's phone number with a getPhoneNumber code."""
    try:
        phone = get_wechat_client().get_phone_number(code)
    except WeChatError as exc:
        raise wechat_error_to_application_error(exc) from exc
    number = phone.pure_phone if phone.country_code in ("", "86") else phone.phone
    return user_phone_set(user=user, number=number)


@retry_on_conflict
@transaction.atomic
def user_phone_set(*, user: User, number: str) -> User:
    """A verified number belongs to one account (a database constraint), and a change of number is
    checked like a first verification: a number another account holds, or one that counted for
    another account's referral, is refused, so one phone never qualifies two sides of a referral."""
    from referral.models import Referral

    lock_members(user)
    user = User.objects.get(pk=user.pk)
    if user.phone_verified and user.phone == number:
        return user
    if User.objects.filter(phone=number, phone_verified=True).exclude(pk=user.pk).exists():
        raise _phone_in_use()
    counted = Referral.objects.filter(counted_phone__in=[number, phone_digest(number)]).exclude(invitee=user)
    if counted.exists():
        # It qualified someone else's referral (a deleted account's keeps a digest of it): counting
        # follows the number.
        raise _phone_in_use()
    first_time = not user.phone_verified
    user.phone, user.phone_verified = number, True
    try:
        with transaction.atomic():
            user.save(update_fields=["phone", "phone_verified"])
    except IntegrityError:
        raise _phone_in_use() from None  # another account verified it at the same moment
    VerifiedPhone.objects.get_or_create(user=user, phone=number)
    if first_time:
        user_phone_verified(user=user)
    return user


_UNSET = object()


def user_update_profile(
    *,
    user: User,
    nickname: str | None = None,
    avatar_url: str | None = None,
    birthday=_UNSET,
    gender: str | None = None,
    city: str | None = None,
) -> User:
    """The fields given change, the others stay. The profile facts (birthday, gender, city) are
    optional: a null birthday or an empty gender or city clears it. A birthday is a date from
    1900-01-01 to today (the site's local day); a gender is one of core.User.Gender; a city is
    trimmed, at most 64 characters. Anything else: 400 `invalid` on the field."""
    fields = []
    if nickname is not None:
        user.nickname = nickname.strip()
        fields.append("nickname")
    if avatar_url is not None:
        user.avatar_url = avatar_url
        fields.append("avatar_url")
    if birthday is not _UNSET:
        user.birthday = _valid_birthday(birthday)
        fields.append("birthday")
    if gender is not None:
        if gender not in User.Gender.values:
            raise _invalid_field("gender", _("Choose male, female or nothing."))
        user.gender = gender
        fields.append("gender")
    if city is not None:
        city = city.strip()
        if len(city) > CITY_MAX_LENGTH:
            raise _invalid_field("city", _("A city has at most 64 characters."))
        user.city = city
        fields.append("city")
    if fields:
        with transaction.atomic():
            user.save(update_fields=fields)
            user_faces_forget(user_ids=[user.pk])
            _profile_completed_check(user=user)
    return user


def _invalid_field(name: str, message: str) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), 400, fields={name: [message]})


def _valid_birthday(value) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _invalid_field("birthday", _("Enter a birthday between 1900-01-01 and today."))
    if not BIRTHDAY_EARLIEST <= value <= local_today():
        raise _invalid_field("birthday", _("Enter a birthday between 1900-01-01 and today."))
    return value


def _profile_completed_check(*, user: User) -> None:
    """A nickname and an avatar complete the profile: the `profile_complete` task pays once."""
    if user.nickname and (user.avatar or user.avatar_url):
        task_complete_by_server(user=user, code="profile_complete")


def _avatar_refused(detail: str) -> ApplicationError:
    return ApplicationError("invalid_image", detail, 400, fields={"file": [detail]})


def user_set_avatar(*, user: User, upload) -> User:
    """Store an uploaded avatar after proving it is a real, reasonably sized image.

    The image is re-encoded as a small PNG, which drops whatever else the file carried.
    """
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise _avatar_refused(
            _("The image is larger than %(limit)d KB.") % {"limit": settings.AVATAR_MAX_BYTES // 1024}
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in AVATAR_FORMATS:
                raise _avatar_refused(_("Only JPEG, PNG, WebP or GIF images are accepted."))
            width, height = probe.size
            if width * height > settings.AVATAR_MAX_PIXELS:
                raise _avatar_refused(_("The image has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGBA")
            image.thumbnail((AVATAR_STORED_SIZE, AVATAR_STORED_SIZE))
            out = io.BytesIO()
            image.save(out, format="PNG")
    except ApplicationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise _avatar_refused(_("The file is not a readable image.")) from exc

    old = user.avatar.name if user.avatar else None
    user.avatar.save("avatar.png", ContentFile(out.getvalue()), save=False)
    with transaction.atomic():
        user.save(update_fields=["avatar"])
        user_faces_forget(user_ids=[user.pk])
        _profile_completed_check(user=user)
    if old:
        user.avatar.storage.delete(old)
    return user
