"""Red packets (拆红包, 拼手气): a user starts a packet and shares it; each friend who opens it gets
a random share of the helpers' pool at once; the open that brings the count to `needed` pays the
starter's packet. An unfilled packet expires and pays the starter nothing.

Nothing is reserved: each share and the starter's packet are posted from issuance when they are
paid (kind `redpacket_share`, key `redpacket:share:<packet>:<helper>`; kind `redpacket_paid`, key
`redpacket:paid:<packet>`), so an expiry moves no points and nothing can be stranded.

The split (`redpacket_share_draw`) is the double-average method: with `r` points and `k` shares
left, a share is drawn uniformly from 1 .. min(2r/k, r - (k - 1)) with `secrets`, and the last
share takes what is left. So every share is at least 1 and the shares sum to the pool exactly.
Shares are drawn one at a time, under the packet's row lock, when each friend opens.

Lock order (docs/concurrency.md): the member locks (a start the starter's; an open the helper's,
serialising their daily count, and with a share binding the starter's and the starter's inviter
chain too), then the packet row, then the accounts (helper and starter wallets and issuance, in
one go), nothing at level 4. The packet row lock makes opens and the expiry of one packet
exclusive: it is filled at most once and the starter is paid at most once.
"""

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campaigns.redpacket.models import RedPacket, RedPacketCampaign, RedPacketOpen
from core.celery import enqueue_on_commit
from core.clock import local_today, now, window_open
from core.db import fetch_prepared, on_postgresql
from core.exceptions import ApplicationError
from core.locks import lock_members, lock_one, retry_on_conflict
from events.services import EVENT_INSERT_HEAD, event_record
from points.models import Account, Transaction
from points.services.ledger import account_for_user, accounts_with_wallet, issuance_named, ledger_lock, ledger_post
from referral.models import Referral
from referral.services import referral_profile_ensure
from referral.services.attribution import referral_bind_via_share, referral_share_members, user_is_new

logger = logging.getLogger(__name__)

# Ledger kinds of this play (points.models.Transaction.Kind does not list them yet).
KIND_SHARE = Transaction.Kind.REDPACKET_SHARE
KIND_PAID = Transaction.Kind.REDPACKET_PAID


# -- the split ----------------------------------------------------------------------------------


def redpacket_share_bounds(*, remaining: int, shares_left: int) -> tuple[int, int]:
    """The range a share is drawn from when `remaining` points are left for `shares_left` shares.

    The double average (at most twice the mean of what is left), capped so every later share can
    still have 1 point; the last share is exactly what is left."""
    if shares_left < 1 or remaining < shares_left:
        raise ValueError("every share needs at least 1 point")
    if shares_left == 1:
        return remaining, remaining
    return 1, min(2 * remaining // shares_left, remaining - (shares_left - 1))


def redpacket_share_draw(
    *, remaining: int, shares_left: int, randbelow: Callable[[int], int] = secrets.randbelow
) -> int:
    """One share of `remaining` points with `shares_left` shares to go (see redpacket_share_bounds)."""
    low, high = redpacket_share_bounds(remaining=remaining, shares_left=shares_left)
    return low + randbelow(high - low + 1)


def redpacket_split(*, pool: int, shares: int, randbelow: Callable[[int], int] = secrets.randbelow) -> list[int]:
    """All the shares of a pool, as the opens draw them one by one (for tests and previews)."""
    drawn, remaining = [], pool
    for left in range(shares, 0, -1):
        share = redpacket_share_draw(remaining=remaining, shares_left=left, randbelow=randbelow)
        drawn.append(share)
        remaining -= share
    return drawn


# -- errors and helpers -------------------------------------------------------------------------


def _not_found() -> ApplicationError:
    return ApplicationError("not_found", _("Not found."), 404)


def _packet_closed() -> ApplicationError:
    return ApplicationError("packet_closed", _("This red packet has been filled or has expired."), 409)


def campaign_open_now(campaign: RedPacketCampaign, *, at: dt.datetime | None = None) -> bool:
    return window_open(active=campaign.is_active, starts_at=campaign.starts_at, ends_at=campaign.ends_at, at=at)


def _expire(packet: RedPacket) -> None:
    """Inside the caller's transaction, with the packet row locked: nothing to pay or return."""
    packet.status, packet.closed_at = RedPacket.Status.EXPIRED, now()
    packet.save(update_fields=["status", "closed_at"])


# -- services -----------------------------------------------------------------------------------


@retry_on_conflict
def redpacket_start(*, user, campaign_id: int) -> tuple[RedPacket, bool]:
    """Start a packet of a campaign, or return the user's packet of it that is still open.

    Returns (packet, created). A second tap, even at the same instant, finds the first packet."""
    try:
        return _redpacket_start(user=user, campaign_id=campaign_id)
    except IntegrityError:
        # Two starts at once: the one-open-packet constraint let the other one win.
        packet = RedPacket.objects.filter(campaign_id=campaign_id, user=user, status=RedPacket.Status.OPEN).first()
        if packet is None:
            raise
        return packet, False


@transaction.atomic
def _redpacket_start(*, user, campaign_id: int) -> tuple[RedPacket, bool]:
    campaign = RedPacketCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not campaign.is_active:
        raise _not_found()
    lock_members(user)  # a second tap waits here, then finds the first tap's packet
    existing = lock_one(RedPacket.objects.filter(campaign=campaign, user=user, status=RedPacket.Status.OPEN))
    if existing is not None:
        if existing.expires_at > now():
            return existing, False
        _expire(existing)  # its deadline passed before the sweep came by
    if not campaign_open_now(campaign):
        raise ApplicationError("campaign_closed", _("This campaign is not open now."), 409)
    if campaign.packets_per_user:
        started = RedPacket.objects.filter(campaign=campaign, user=user).exclude(status=RedPacket.Status.EXPIRED)
        if started.count() >= campaign.packets_per_user:
            raise ApplicationError(
                "limit_reached", _("You have started as many red packets as this campaign allows."), 409
            )
    referral_profile_ensure(user=user)  # the share link carries the starter's code
    packet = RedPacket.objects.create(
        campaign=campaign,
        user=user,
        amount=campaign.amount,
        needed=campaign.helpers_needed,
        pool=campaign.pool,
        new_user_bonus=campaign.new_user_bonus,
        expires_at=now() + dt.timedelta(hours=campaign.time_limit_hours),
    )
    enqueue_on_commit("campaigns.tasks.redpacket_expire_task", packet.pk, eta=packet.expires_at)
    return packet, True


@dataclass(frozen=True)
class OpenResult:
    opened: RedPacketOpen
    packet: RedPacket
    balance: int  # the helper's points after the open


@retry_on_conflict
def redpacket_open(*, helper, packet_id: int) -> OpenResult:
    """A friend opens a packet, once, and gets their share at once. The open that brings the count
    to `needed` pays the starter's packet."""
    with transaction.atomic():
        found = RedPacket.objects.select_related("user").filter(pk=packet_id).first()
        if found is None:
            raise _not_found()
        lock_members(*referral_share_members(user=helper, sharer=found.user))
        packet = lock_one(RedPacket.objects.select_related("campaign", "user").filter(pk=packet_id))
        if packet.user_id == helper.pk:
            raise ApplicationError("cannot_open_own", _("You cannot open your own red packet."), 409)
        if on_postgresql(RedPacketOpen):
            result = _redpacket_open_statements(helper=helper, packet=packet)
            if result is not None:
                return result
        if RedPacketOpen.objects.filter(packet=packet, helper=helper).exists():
            raise _already_opened()
        _open_check(packet)
        campaign = packet.campaign
        today = local_today()
        opened_today = RedPacketOpen.objects.filter(helper=helper, campaign=campaign, local_date=today).count()
        _open_limit_check(campaign, opened_today)

        shares_left = packet.needed - packet.helpers
        share = redpacket_share_draw(remaining=packet.pool - packet.pool_paid, shares_left=shares_left)
        bonus = packet.new_user_bonus if user_is_new(helper) else 0
        fills = shares_left == 1
        # The helper's issuance shard: one issuance row, locked to commit by every open, made the
        # site's opens go one at a time (docs/points.md).
        helper_wallet, issuance = accounts_with_wallet(helper, issuance_named(shard_of=helper.pk))
        accounts = (helper_wallet, issuance)
        if fills:
            starter_wallet = account_for_user(packet.user)
            accounts += (starter_wallet,)
        referral = referral_bind_via_share(user=helper, sharer=packet.user, also_lock=accounts)
        ledger_lock(*accounts)
        payment = _pay_share(
            packet=packet, helper=helper, wallet=helper_wallet, issuance=issuance, share=share, bonus=bonus
        )
        opened = RedPacketOpen.objects.create(
            packet=packet,
            helper=helper,
            starter_id=packet.user_id,
            campaign=campaign,
            position=packet.helpers + 1,
            amount=share,
            bonus=bonus,
            local_date=today,
            referral=referral,
            transaction=payment,
        )
        packet.helpers += 1
        packet.pool_paid += share
        fields = ["helpers", "pool_paid"]
        if fills:
            _pay_starter(packet=packet, issuance=issuance, starter_wallet=starter_wallet)
            fields += ["reward_transaction", "status", "paid_at"]
        packet.save(update_fields=fields)
        event_record(user=helper, kind="packet_opened", amount=share + bonus, ref=f"redpacket:{packet.pk}")
    return OpenResult(opened=opened, packet=packet, balance=helper_wallet.balance)


def _pay_share(*, packet: RedPacket, helper, wallet, issuance, share: int, bonus: int) -> Transaction:
    """The friend's share and bonus, from issuance (accounts or their ids, already locked)."""
    return ledger_post(
        kind=KIND_SHARE,
        key=f"redpacket:share:{packet.pk}:{helper.pk}",
        legs=[(issuance, -(share + bonus)), (wallet, share + bonus)],
        memo=packet.campaign.title,
        metadata={"red_packet": packet.pk, "share": share, "bonus": bonus},
    )


def _pay_starter(*, packet: RedPacket, issuance, starter_wallet) -> None:
    """The open that fills the packet pays the starter, once (the key), and marks it paid."""
    packet.reward_transaction = ledger_post(
        kind=KIND_PAID,
        key=f"redpacket:paid:{packet.pk}",
        legs=[(issuance, -packet.amount), (starter_wallet, packet.amount)],
        memo=packet.campaign.title,
        metadata={"red_packet": packet.pk, "campaign": packet.campaign_id},
    )
    packet.status, packet.paid_at = RedPacket.Status.PAID, now()


def _already_opened() -> ApplicationError:
    return ApplicationError("already_opened", _("You have already opened this red packet."), 409)


def _open_check(packet: RedPacket) -> None:
    if packet.status != RedPacket.Status.OPEN or packet.expires_at <= now() or not packet.user.is_active:
        raise _packet_closed()  # past the deadline even before the sweep, or its starter left


def _open_limit_check(campaign: RedPacketCampaign, opened_today: int) -> None:
    if opened_today >= campaign.opens_per_day:
        raise ApplicationError(
            "open_limit_reached", _("You have opened as many red packets today as this campaign allows."), 409
        )


# -- an open in a few statements (PostgreSQL) --------------------------------------------------------
#
# A friend's open that binds nobody is, on PostgreSQL, after the member and packet locks, one read
# of what the checks need (opened before, opened today, bound already, the accounts), the accounts'
# lock, the ledger's postings and one write of the open, the packet and the event: 10 round trips
# with BEGIN and COMMIT, where the step-by-step open takes 17 (docs/benchmarks.md, finding 36).
# An open that may bind a new
# friend to the starter opens step by step above, which is also the portable path;
# tests/campaigns/redpacket/test_open_statement.py holds the two equal.

_OPEN_CONTEXT = f"""
SELECT
    EXISTS (SELECT FROM {RedPacketOpen._meta.db_table} WHERE packet_id = %(packet)s AND helper_id = %(helper)s),
    (SELECT count(*) FROM {RedPacketOpen._meta.db_table}
      WHERE helper_id = %(helper)s AND campaign_id = %(campaign)s AND local_date = %(day)s),
    EXISTS (SELECT FROM {Referral._meta.db_table} WHERE invitee_id = %(helper)s),
    (SELECT id FROM {Account._meta.db_table} WHERE user_id = %(helper)s),
    (SELECT id FROM {Account._meta.db_table} WHERE code = %(issuance)s AND kind = %(issuance_kind)s),
    (SELECT id FROM {Account._meta.db_table} WHERE user_id = %(starter)s)
"""

_OPEN_WRITE = f"""
WITH opened AS (
    INSERT INTO {RedPacketOpen._meta.db_table} (packet_id, helper_id, starter_id, campaign_id, position, amount,
        bonus, local_date, transaction_id, created_at)
    VALUES (%(packet)s, %(helper)s, %(starter)s, %(campaign)s, %(position)s, %(amount)s, %(bonus)s, %(day)s,
        %(transaction)s, %(at)s)
    RETURNING id
), packet AS (
    UPDATE {RedPacket._meta.db_table}
       SET helpers = %(helpers)s, pool_paid = %(pool_paid)s, status = %(status)s, paid_at = %(paid_at)s,
           reward_transaction_id = %(reward_transaction)s
     WHERE id = %(packet)s
), event AS (
    {EVENT_INSERT_HEAD} SELECT %(helper)s, 'packet_opened', %(at)s, '', %(paid)s, %(ref)s FROM opened
)
SELECT id FROM opened
"""


def _redpacket_open_statements(*, helper, packet: RedPacket) -> OpenResult | None:
    """The open, with the member and packet locks held, in the caller's transaction; None for one
    it does not take (a new friend not bound yet, an account not made yet), which the step-by-step
    open then makes: nothing is written before that answer."""
    campaign = packet.campaign
    today = local_today()
    issuance_code, issuance_kind = issuance_named(shard_of=helper.pk)
    context = fetch_prepared(
        RedPacketOpen,
        _OPEN_CONTEXT,
        {
            "packet": packet.pk,
            "helper": helper.pk,
            "campaign": campaign.pk,
            "day": today,
            "issuance": issuance_code,
            "issuance_kind": issuance_kind,
            "starter": packet.user_id,
        },
    )
    already, opened_today, bound, wallet_id, issuance_id, starter_wallet_id = context[0]
    if already:
        raise _already_opened()
    _open_check(packet)
    _open_limit_check(campaign, opened_today)
    new = user_is_new(helper)
    shares_left = packet.needed - packet.helpers
    fills = shares_left == 1
    if (new and not bound) or wallet_id is None or issuance_id is None or (fills and starter_wallet_id is None):
        return None  # the share binds the friend (referral rules); an account made on first use
    share = redpacket_share_draw(remaining=packet.pool - packet.pool_paid, shares_left=shares_left)
    bonus = packet.new_user_bonus if new else 0
    accounts = (wallet_id, issuance_id, starter_wallet_id if fills else None)
    balance = ledger_lock(*accounts)[wallet_id] + share + bonus
    payment = _pay_share(packet=packet, helper=helper, wallet=wallet_id, issuance=issuance_id, share=share, bonus=bonus)
    at = now()
    opened = RedPacketOpen(
        packet=packet,
        helper=helper,
        starter_id=packet.user_id,
        campaign=campaign,
        position=packet.helpers + 1,
        amount=share,
        bonus=bonus,
        local_date=today,
        transaction=payment,
        created_at=at,
    )
    packet.helpers += 1
    packet.pool_paid += share
    if fills:
        _pay_starter(packet=packet, issuance=issuance_id, starter_wallet=starter_wallet_id)
    written = fetch_prepared(
        RedPacketOpen,
        _OPEN_WRITE,
        {
            "packet": packet.pk,
            "helper": helper.pk,
            "starter": packet.user_id,
            "campaign": campaign.pk,
            "position": opened.position,
            "amount": share,
            "bonus": bonus,
            "day": today,
            "transaction": payment.pk,
            "at": at,
            "helpers": packet.helpers,
            "pool_paid": packet.pool_paid,
            "status": packet.status,
            "paid_at": packet.paid_at,
            "reward_transaction": packet.reward_transaction_id,
            "paid": share + bonus,
            "ref": f"redpacket:{packet.pk}",
        },
    )
    opened.pk = written[0][0]
    opened._state.adding, opened._state.db = False, "default"
    return OpenResult(opened=opened, packet=packet, balance=balance)


def redpacket_expire(*, packet_id: int, force: bool = False, actor=None) -> bool:
    """Expire an open packet whose deadline has passed (any open packet with `force`, the
    operators' manual close). It pays the starter nothing; helpers keep their shares. Anything
    else is left alone, so a task delivered twice or late changes nothing. Returns whether this
    call expired the packet."""
    with transaction.atomic():
        packet = lock_one(RedPacket.objects.filter(pk=packet_id))
        if packet is None or packet.status != RedPacket.Status.OPEN:
            return False
        if not force and packet.expires_at > now():
            return False
        _expire(packet)
    logger.info("red packet %s expired (by %s)", packet_id, actor or "deadline")
    return True


def redpackets_expire_due(*, at: dt.datetime | None = None) -> int:
    """The sweep: expire every open packet past its deadline, one transaction each. Returns how many."""
    due = RedPacket.objects.filter(status=RedPacket.Status.OPEN, expires_at__lte=at or now()).order_by("pk")
    return sum(redpacket_expire(packet_id=packet_id) for packet_id in due.values_list("pk", flat=True))
