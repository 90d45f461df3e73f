"""Writes about who came from whom: referral profiles and codes, scans, binding at registration."""

import datetime as dt
import hashlib
import logging

from django.core.cache import cache
from django.db import IntegrityError, transaction

from core.clock import now
from core.locks import can_lock_members, lock_members
from events.services import event_record
from referral.codes import touch_parse
from referral.models import Channel, Referral, ReferralProfile, RewardRule, Scan, ShareOpen
from referral.selectors import channel_by_code, code_resolve
from referral.services.profiles import referral_profile_ensure

logger = logging.getLogger(__name__)

# A landing-page scan of the same code this recent may be the one that brought a new user.
SCAN_ATTRIBUTION_WINDOW = dt.timedelta(hours=24)
# The same browser opening the same link again within this window is one scan.
SCAN_DEDUPE_SECONDS = 600
SCANS_PER_CLIENT_PER_HOUR = 60
# How far up the inviter chain a cycle check looks (chains are short; this bounds the cost).
CYCLE_CHECK_DEPTH = 100
# The points task a member earns when a distinct friend opens their share (docs/points.md).
SHARE_OPENED_TASK = "share_opened"


# A landing-page open from an address the sharer's own phone used this long before is not a
# friend's (the sharer opening their own link in a browser); the scan is still recorded.
SHARER_ADDRESS_SECONDS = 24 * 3600


def _sharer_address_key(user_id: int, client_hash: str) -> str:
    return f"referral:sharer-address:{user_id}:{client_hash}"


def referral_sharer_seen(*, user_id: int, client: str) -> None:
    """Remember, for a day, that member `user_id` used the mini-program from address `client` (a
    hash of it): a landing-page open of their share from there is their own, not a friend's."""
    if client:
        cache.set(_sharer_address_key(user_id, _hash(client)[:16]), 1, SHARER_ADDRESS_SECONDS)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def referral_scan_record(
    *, code: str, profile: ReferralProfile | None, channel: Channel | None, user_agent: str = "", client: str = ""
) -> Scan | None:
    """A landing-page visit. The same browser (user agent and address) within ten minutes counts once.
    It counts as a friend's open of the sharer's share unless it comes from an address the sharer's
    own phone used in the last day (`referral_sharer_seen`).

    Only hashes are kept, never the user agent or the address themselves.
    """
    if profile is None and channel is None:
        return None
    user_agent_hash = _hash(user_agent) if user_agent else ""
    client_hash = _hash(client)[:16]
    if not cache.add(f"referral:scan:{code}:{user_agent_hash}:{client_hash}", 1, SCAN_DEDUPE_SECONDS):
        return None
    # One address recording scan after scan (a script varying its user agent) stops counting.
    budget_key = f"referral:scan-budget:{client_hash}"
    cache.add(budget_key, 0, 3600)
    try:
        if cache.incr(budget_key) > SCANS_PER_CLIENT_PER_HOUR:
            return None
    except ValueError:  # the counter expired between add and incr
        pass
    scan = Scan.objects.create(
        code=code, profile=profile, channel=channel, source=Scan.Source.LANDING, user_agent_hash=user_agent_hash
    )
    if profile is not None and not cache.get(_sharer_address_key(profile.user_id, client_hash)):
        friend = f"client:{_hash(f'{user_agent_hash}:{client_hash}')[:40]}"
        share_open_record(sharer_id=profile.user_id, friend=friend, source=Scan.Source.LANDING, scan=scan)
    return scan


def share_open_record(*, sharer_id: int, friend: str, source: str, scan: Scan | None = None) -> ShareOpen | None:
    """Count a distinct friend's open of `sharer_id`'s share, once per friend ever (the unique
    constraint decides a race), and complete the sharer's `share_opened` task for it. The task
    runs after commit, in the sharer's own transaction under the sharer's member lock
    (docs/concurrency.md: a reaction of another member); its daily cap is the task's. Returns the
    new open, or None when this friend was counted before."""
    try:
        with transaction.atomic():
            opened = ShareOpen.objects.create(sharer_id=sharer_id, friend=friend, source=source, scan=scan)
    except IntegrityError:
        return None
    from points.tasks import task_complete_by_server_task

    transaction.on_commit(lambda: task_complete_by_server_task.delay(sharer_id, SHARE_OPENED_TASK))
    return opened


def _first_scan(*, user, code: str, profile: ReferralProfile | None, channel: Channel | None) -> Scan:
    """The scan that brought `user`: the earliest unclaimed landing scan of this code in the last day
    (claimed for this user), else a scan for this login."""
    since = now() - SCAN_ATTRIBUTION_WINDOW
    candidates = Scan.objects.filter(
        code=code, source=Scan.Source.LANDING, user__isnull=True, scanned_at__gte=since
    ).order_by("scanned_at", "pk")
    for scan_id in candidates.values_list("pk", flat=True)[:5]:
        # Conditional update: two sign-ups never claim the same scan.
        if Scan.objects.filter(pk=scan_id, user__isnull=True).update(user=user):
            return Scan.objects.get(pk=scan_id)
    return Scan.objects.create(code=code, profile=profile, channel=channel, source=Scan.Source.LOGIN, user=user)


def _inviter_chain(user_id: int) -> list[int]:
    """The ids up the inviter chain of `user_id` (their inviter, the inviter's inviter...), bounded."""
    chain, current = [], user_id
    for _step in range(CYCLE_CHECK_DEPTH):
        current = Referral.objects.filter(invitee_id=current).values_list("inviter_id", flat=True).first()
        if current is None or current in chain or current == user_id:
            break
        chain.append(current)
    return chain


def referral_binding_members(*, user, inviter_id: int) -> list[int]:
    """The members whose locks make binding `user` to `inviter_id` safe: both, and the inviter's
    chain up to its top, so a binding that would close a loop through any of them waits for this
    one and then sees it (two friends binding each other at the same moment, A->B and B->A)."""
    return [user.pk, inviter_id, *_inviter_chain(inviter_id)]


def referral_share_members(*, user, sharer) -> list[int]:
    """The members a share action (joining a friend's group, helping a friend's task) locks first:
    the user, and when the share may bind them to the sharer, the binding's members too."""
    if user.pk == sharer.pk or not user_is_new(user) or Referral.objects.filter(invitee=user).exists():
        return [user.pk]
    return referral_binding_members(user=user, inviter_id=sharer.pk)


def _would_cycle(*, inviter_id: int, invitee_id: int) -> bool:
    """Whether `invitee` is already up the inviter chain of `inviter` (binding would close a loop)."""
    seen = set()
    current = inviter_id
    for _step in range(CYCLE_CHECK_DEPTH):
        if current == invitee_id:
            return True
        if current in seen:
            return True
        seen.add(current)
        current = Referral.objects.filter(invitee_id=current).values_list("inviter_id", flat=True).first()
        if current is None:
            return False
    return True  # a chain this deep is refused rather than followed further


def referral_bind_new_user(*, user, referral: str = "", channel: str = "", also_lock: tuple = ()) -> Referral | None:
    """Attribute a user that this login has just created. Runs inside the login transaction.

    `referral` is a user's code, a channel's code or a scene (`r=<code>`, `c=<code>`, or both
    joined with `&`); `channel` a channel's code or scene. First touch wins: a user is bound once,
    never to themselves, never so that the chain of inviters loops. Whatever cannot be used is
    ignored: the login succeeds regardless. Gives the user their own referral profile.

    The binding and its cycle check run under the member locks of the user, the inviter and the
    inviter's chain (`referral_binding_members`), taken here unless the caller took them first;
    `also_lock`: the accounts the caller posts to afterwards (see `referral_trigger`).
    """
    with transaction.atomic():
        return _bind(user=user, referral=referral, channel=channel, also_lock=also_lock)


def _bind(*, user, referral: str, channel: str, also_lock: tuple) -> Referral | None:
    user_code, channel_code = touch_parse(referral, channel)
    inviter_profile, code_channel = code_resolve(user_code) if user_code else (None, None)
    channel_obj = channel_by_code(channel_code) if channel_code else None
    channel_obj = channel_obj or code_channel
    inviter_id = inviter_profile.user_id if inviter_profile is not None else None
    if inviter_id == user.pk:
        inviter_profile = inviter_id = None  # never a self-invite
    if inviter_id is not None:
        # The members first, before any other row of this binding (profile, scan) is written.
        members = referral_binding_members(user=user, inviter_id=inviter_id)
        if can_lock_members(*members):
            lock_members(*members)
        else:
            # The chain grew since the caller locked it (a race of bindings): first touch is
            # best effort, so this one is skipped rather than checked without its locks.
            logger.info("binding of user %s to %s skipped: the inviter chain changed", user.pk, inviter_id)
            inviter_profile = inviter_id = None

    profile = referral_profile_ensure(user=user, channel=channel_obj)
    if channel_obj is not None and profile.channel_id is None:
        ReferralProfile.objects.filter(pk=profile.pk, channel__isnull=True).update(channel=channel_obj)

    touched = inviter_profile or channel_obj
    scan = None
    if touched is not None and profile.first_scan_id is None:
        scan = _first_scan(
            user=user,
            code=inviter_profile.code if inviter_profile else channel_obj.code,
            profile=inviter_profile,
            channel=None if inviter_profile else channel_obj,
        )
        ReferralProfile.objects.filter(pk=profile.pk, first_scan__isnull=True).update(first_scan=scan)

    if inviter_id is None:
        return None
    if _would_cycle(inviter_id=inviter_id, invitee_id=user.pk):
        return None
    if Referral.objects.filter(invitee=user).exists():
        return None
    try:
        with transaction.atomic():
            bound = Referral.objects.create(inviter_id=inviter_id, invitee=user, channel=channel_obj)
    except IntegrityError:
        return None  # a concurrent binding of the same user won: first touch

    # The friend's open, unless the landing visit this binding claimed already counted them.
    if scan is None or not ShareOpen.objects.filter(scan=scan).exists():
        share_open_record(sharer_id=inviter_id, friend=f"user:{user.pk}", source=Scan.Source.LOGIN, scan=scan)

    from referral.services.rewards import referral_trigger

    event_record(
        user=inviter_id, kind="invited", channel=channel_obj.code if channel_obj else "", ref=f"invitee:{user.pk}"
    )
    referral_trigger(user=user, trigger=RewardRule.Trigger.REGISTERED, also_lock=also_lock)
    return bound


# A user who registered this recently and has no inviter yet counts as new to the mini-program.
NEW_USER_WINDOW = dt.timedelta(hours=24)


def user_is_new(user) -> bool:
    return user.date_joined >= now() - NEW_USER_WINDOW


def referral_bind_via_share(*, user, sharer, also_lock: tuple = ()) -> Referral | None:
    """A user new to the mini-program (registered within a day, no inviter yet) who joins a
    friend's group or helps a friend's task becomes that friend's invitee, through the ordinary
    binding (first touch, no self-invite, no cycle, the registration rules). The caller locked
    `referral_share_members` first."""
    if user.pk == sharer.pk or not user_is_new(user):
        return None
    if Referral.objects.filter(invitee=user).exists():
        return None
    code = ReferralProfile.objects.filter(user=sharer).values_list("code", flat=True).first()
    if code is None:
        code = referral_profile_ensure(user=sharer).code
    return referral_bind_new_user(user=user, referral=code, also_lock=also_lock)
