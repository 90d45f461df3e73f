"""Settlement of a round, once its last check-in window has closed (or when an operator cancels it).

Three steps, each its own database transaction:

1. Decide (`_settlement_decide`): lock the round row (which waits for the check-ins and makeups in
   flight: each holds the round with a share lock until it commits, so the winners are final once
   this lock is held, and a later one finds the round closed), and if it has no Settlement yet,
   read the pool balance and the entries' totals (one aggregate query), decide the outcome, and write every
   entry's status and payout with one statement (on PostgreSQL the split is computed in SQL, equal
   to checkin.rules.split_pool; the settlement never holds the round's entries in memory), plus
   the Settlement row, unique per round. Points that leave the pool in one piece (a rollover into
   the next round, or bonus and rolled-in points returned to issuance when stakes are refunded)
   are posted here too. A second run finds the Settlement and skips this.
2. Pay, in batches (`_settlement_pay_batch`): lock the Settlement row, take the next `batch_size`
   entries with a payout and no `paid_at` (a partial index holds just those), post them (winners:
   one ledger transaction per batch, the pool's leg and a leg per wallet, keyed by the batch's
   first and last entry; refunds one by one with `refund_of` so that expiry lots come back), and
   mark them paid in the same database transaction. A crash loses at most the batch in flight,
   and running again, or twice at once (the row lock serialises them), pays each entry exactly once.
3. Finish (`_settlement_finish`): with nothing left unpaid, check the pool account is empty and
   mark the settlement done and the round settled (or cancelled).
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from checkin import rules
from checkin.models import Challenge, Entry, Round, Settlement
from checkin.services.challenges import enrollment_dates, round_closes_at, round_next_for_rollover
from checkin.services.leaderboards import board_push_winnings, standings_add_winnings
from core.clock import now
from core.db import fetch_rows, update_rows
from core.exceptions import ApplicationError
from core.locks import lock_one, lock_shared
from events.services import EVENT_INSERT_HEAD, EventSpec, events_record_bulk
from points.models import Account, Transaction
from points.services.ledger import (
    account_for_user,
    account_issuance,
    account_pool,
    ledger_lock,
    ledger_post,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass
class Decision:
    outcome: str
    pool: int
    participants: int
    winners: int = 0
    winners_stake: int = 0
    paid_total: int = 0
    returned_total: int = 0
    rollover_total: int = 0
    payouts: dict[int, int] = field(default_factory=dict)  # entry id -> points; filled by the preview only


@dataclass(frozen=True)
class RoundTotals:
    participants: int
    stakes: int
    winners: int
    winners_stake: int


def settlement_outcome(*, round_: Round, totals: RoundTotals, pool: int, cancel: bool, can_rollover: bool) -> Decision:
    """What a settlement does, from the round's rules, its entries' totals and the pool balance. Pure."""
    decision = Decision(outcome=Settlement.Outcome.EMPTY, pool=pool, participants=totals.participants)
    if cancel:
        decision.outcome = Settlement.Outcome.CANCELLED
        decision.paid_total = totals.stakes
        decision.returned_total = pool - totals.stakes
    elif totals.winners:
        decision.outcome = Settlement.Outcome.PAID
        decision.winners = totals.winners
        decision.winners_stake = totals.winners_stake
        decision.paid_total = pool
    elif pool == 0 and not totals.participants:
        decision.outcome = Settlement.Outcome.EMPTY
    elif round_.no_winner_rule == Challenge.NoWinnerRule.ROLLOVER and can_rollover:
        decision.outcome = Settlement.Outcome.ROLLED_OVER
        decision.rollover_total = pool
    else:
        decision.outcome = Settlement.Outcome.REFUNDED
        decision.paid_total = totals.stakes
        decision.returned_total = pool - totals.stakes
    if decision.returned_total < 0:
        raise RuntimeError(f"round {round_.pk}: pool {pool} is smaller than its stakes {totals.stakes}")
    return decision


def entry_payouts(*, round_: Round, decision: Decision, entries: list[dict]) -> dict[int, int]:
    """Entry id -> points paid (winnings or the stake back), for entries ({id, stake, checkins,
    qualified_at}) and the decided outcome. Pure; on PostgreSQL the settlement computes the same in
    SQL (`_PAYOUTS_SQL`, held equal to this by a property test)."""
    if decision.outcome in (Settlement.Outcome.CANCELLED, Settlement.Outcome.REFUNDED):
        return {e["id"]: e["stake"] for e in entries}
    if decision.outcome != Settlement.Outcome.PAID:
        return {}
    winners = [e for e in entries if e["checkins"] >= round_.required_days]
    return rules.split_pool(
        pool=decision.pool,
        winners=[rules.Winner(e["id"], e["stake"], e["qualified_at"] or _LATEST) for e in winners],
        rule=round_.split_rule,
    )


def settlement_decide(*, round_: Round, entries: list[dict], pool: int, cancel: bool, can_rollover: bool) -> Decision:
    """The whole decision, payouts included, for entries held in memory (the preview)."""
    winners = [e for e in entries if e["checkins"] >= round_.required_days]
    totals = RoundTotals(
        participants=len(entries),
        stakes=sum(e["stake"] for e in entries),
        winners=len(winners),
        winners_stake=sum(e["stake"] for e in winners),
    )
    decision = settlement_outcome(round_=round_, totals=totals, pool=pool, cancel=cancel, can_rollover=can_rollover)
    decision.payouts = entry_payouts(round_=round_, decision=decision, entries=entries)
    return decision


def _entries_of(round_: Round) -> list[dict]:
    return list(
        Entry.objects.filter(round=round_).order_by("pk").values("id", "stake", "checkins", "qualified_at", "user_id")
    )


def _round_totals(round_: Round) -> RoundTotals:
    """The entries' totals in one aggregate query: the settlement never holds the round in memory."""
    won = Q(checkins__gte=round_.required_days)
    totals = Entry.objects.filter(round=round_).aggregate(
        participants=Count("pk"),
        stakes=Coalesce(Sum("stake"), 0),
        winners=Count("pk", filter=won),
        winners_stake=Coalesce(Sum("stake", filter=won), 0),
    )
    return RoundTotals(**totals)


def _pool_balance(round_id: int) -> int:
    return Account.objects.filter(code=f"pool:round:{round_id}").values_list("balance", flat=True).first() or 0


# -- preview ------------------------------------------------------------------------------------


@dataclass
class Preview:
    round: Round
    decision: Decision
    due: bool
    closes_at: dt.datetime
    rows: list[dict]  # entries with "payout" and "won"


def settlement_preview(*, round_: Round) -> Preview:
    """A dry run: what settling `round_` now would pay. Writes nothing."""
    entries = _entries_of(round_)
    challenge = round_.challenge
    can_rollover = (
        Round.objects.filter(challenge=challenge, start_date__gt=round_.end_date, status=Round.Status.OPEN).exists()
        or enrollment_dates(challenge, round_.end_date) is not None
    )
    decision = settlement_decide(
        round_=round_, entries=entries, pool=_pool_balance(round_.pk), cancel=False, can_rollover=can_rollover
    )
    users = {u.pk: u for u in _user_model().objects.filter(pk__in=[e["user_id"] for e in entries])}
    won = decision.outcome == Settlement.Outcome.PAID
    rows = [
        {
            **e,
            "user": users.get(e["user_id"]),
            "won": won and e["id"] in decision.payouts,
            "payout": decision.payouts.get(e["id"], 0),
        }
        for e in entries
    ]
    rows.sort(key=lambda row: (-row["payout"], row["id"]))
    closes_at = round_closes_at(round_)
    return Preview(round=round_, decision=decision, due=now() >= closes_at, closes_at=closes_at, rows=rows)


def _user_model():
    from django.contrib.auth import get_user_model

    return get_user_model()


# -- step 1: decide -----------------------------------------------------------------------------


def _rollover_target(round_: Round) -> Round | None:
    """The next round, locked and still open, or None."""
    for _attempt in range(3):
        target = round_next_for_rollover(round_=round_)
        if target is None:
            return None
        target = lock_shared(Round.objects.filter(pk=target.pk))[0]
        if target.status == Round.Status.OPEN:
            return target
    return None


def _settlement_decide(*, round_id: int, cancel: bool = False, actor=None) -> Settlement | None:
    with transaction.atomic():
        # Exclusive: waits for the check-ins and makeups in flight (each holds the round with a
        # key-share lock until it commits, checkins._round_hold), and any later one finds the round
        # no longer open once this commits: the totals below are the round's final ones.
        round_ = lock_one(Round.objects.select_related("challenge").filter(pk=round_id), exclusive=True)
        if round_ is None:
            raise Round.DoesNotExist
        existing = Settlement.objects.filter(round=round_).first()
        if existing is not None:
            return existing
        if round_.status != Round.Status.OPEN:
            raise ApplicationError("round_not_open", _("This round is no longer open."), 409)
        if not cancel and now() < round_closes_at(round_):
            raise ApplicationError("round_not_finished", _("The round's last check-in window has not closed yet."), 409)

        pool_account = account_pool(round_.pk)
        totals = _round_totals(round_)
        target = None
        if not cancel and not totals.winners and round_.no_winner_rule == Challenge.NoWinnerRule.ROLLOVER:
            # The next round (a shared object) before any account; the pool's balance cannot
            # change meanwhile: every posting to it (a stake, the bonus, a rollover in) holds this
            # round's row first.
            target = _rollover_target(round_) if _pool_balance(round_.pk) > 0 else None
        # Every account the decision may post to, in one go (docs/concurrency.md, level 3), before
        # the balance is read: the next round's pool (a rollover), issuance (the bonus returned
        # when nobody wins or the round is cancelled).
        returns_bonus = cancel or not totals.winners
        ledger_lock(
            pool_account,
            account_pool(target.pk) if target is not None else None,
            account_issuance() if returns_bonus else None,
        )
        pool = Account.objects.values_list("balance", flat=True).get(pk=pool_account.pk)
        decision = settlement_outcome(
            round_=round_, totals=totals, pool=pool, cancel=cancel, can_rollover=target is not None
        )
        settlement = Settlement.objects.create(
            round=round_,
            outcome=decision.outcome,
            pool=decision.pool,
            participants=decision.participants,
            winners=decision.winners,
            winners_stake=decision.winners_stake,
            paid_total=decision.paid_total,
            returned_total=decision.returned_total,
            rollover_total=decision.rollover_total,
            rollover_to=target if decision.rollover_total else None,
            actor=actor,
        )
        split = _write_entry_decisions(round_, decision)
        if split is not None and split != (decision.winners, decision.paid_total):
            # The winners moved under the totals (every check-in holds the round against this, see
            # the lock above): decide nothing, so that the next run decides again, rather than
            # commit payouts the pool cannot pay (every batch would fail: the round stuck).
            raise RuntimeError(
                f"round {round_.pk}: {split[0]} winners paid {split[1]} where the totals counted "
                f"{decision.winners} sharing {decision.paid_total}; not decided"
            )
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.CANCELLED if cancel else Round.Status.SETTLING)
        title = round_.challenge.title
        meta = {"challenge": round_.challenge_id, "round": round_.pk}
        if decision.rollover_total:
            ledger_post(
                kind=Transaction.Kind.ROLLOVER,
                key=f"checkin:rollover:round:{round_.pk}",
                legs=[(pool_account, -decision.rollover_total), (account_pool(target.pk), decision.rollover_total)],
                memo=f"奖池滚入下一期: {title}"[:200],
                actor=actor,
                metadata={**meta, "to_round": target.pk},
            )
            Round.objects.filter(pk=target.pk).update(rollover_in=F("rollover_in") + decision.rollover_total)
        if decision.returned_total:
            ledger_post(
                kind=Transaction.Kind.REFUND,
                key=f"checkin:return:round:{round_.pk}",
                legs=[(pool_account, -decision.returned_total), (account_issuance(), decision.returned_total)],
                memo=f"无人获胜, 奖池加码退回: {title}"[:200],
                actor=actor,
                metadata=meta,
            )
    return settlement


# Every winner's payout in one statement (PostgreSQL): rules.split_pool in SQL. Each winner gets
# the stake back plus floor(surplus * weight / total weight); the points left over go one each to
# the largest remainders, ties to the earlier qualifying check-in, then the lower entry id. numeric
# arithmetic, so surplus * weight cannot overflow. It answers the winners it wrote and their sum.
DECIDE_WORK_MEM = "256MB"
_PAYOUTS_SQL = """
WITH winner AS (
    SELECT id, stake, qualified_at, (CASE WHEN %(equal)s THEN 1 ELSE stake END)::numeric AS weight
    FROM checkin_entry WHERE round_id = %(round)s AND checkins >= %(required)s
), share AS (
    SELECT id, qualified_at,
        stake + div(%(surplus)s::numeric * weight, sum(weight) OVER ()) AS base,
        mod(%(surplus)s::numeric * weight, sum(weight) OVER ()) AS remainder
    FROM winner
), ranked AS (
    SELECT id, base,
        row_number() OVER (ORDER BY remainder DESC, qualified_at ASC NULLS LAST, id) AS place,
        %(pool)s - sum(base) OVER () AS leftover
    FROM share
), decided AS (
    SELECT e.id, r.base + CASE WHEN r.place <= r.leftover THEN 1 ELSE 0 END AS payout
    FROM checkin_entry e LEFT JOIN ranked r ON r.id = e.id
    WHERE e.round_id = %(round)s
), written AS (
    UPDATE checkin_entry e
    SET status = CASE WHEN d.payout IS NULL THEN %(lost)s ELSE %(won)s END, payout = d.payout
    FROM decided d WHERE e.id = d.id AND e.round_id = %(round)s
    RETURNING e.payout
)
SELECT count(payout), coalesce(sum(payout), 0) FROM written
"""


def _write_entry_decisions(round_: Round, decision: Decision) -> tuple[int, int] | None:
    """Write every entry's status and payout; for a split (outcome paid), answer the winners as
    written: (how many, the sum of their payouts)."""
    entries = Entry.objects.filter(round=round_)
    if decision.outcome in (Settlement.Outcome.REFUNDED, Settlement.Outcome.CANCELLED):
        entries.update(status=Entry.Status.REFUNDED, payout=F("stake"))
    elif decision.outcome != Settlement.Outcome.PAID:
        entries.update(status=Entry.Status.LOST, payout=None)
    elif connection.vendor == "postgresql":
        params = {
            "round": round_.pk,
            "required": round_.required_days,
            "equal": round_.split_rule == rules.EQUAL,
            "surplus": decision.pool - decision.winners_stake,
            "pool": decision.pool,
            "won": Entry.Status.WON,
            "lost": Entry.Status.LOST,
        }
        with connection.cursor() as cursor:
            # The ranking sorts and windows over every winner of the round at once: with the
            # default 4 MB it spilled to disk (a 200,000-entry round: 6.5 s of a 31 s settlement).
            cursor.execute(f"SET LOCAL work_mem = '{DECIDE_WORK_MEM}'")
            cursor.execute(_PAYOUTS_SQL, params)
            winners, paid = cursor.fetchone()
            return winners, int(paid)
    else:
        payouts = entry_payouts(round_=round_, decision=decision, entries=_entries_of(round_))
        entries.update(status=Entry.Status.LOST, payout=None)
        update_rows(Entry, ["status", "payout"], [(pk, Entry.Status.WON, p) for pk, p in payouts.items()])
        return len(payouts), sum(payouts.values())
    return None


# -- step 2: pay in batches ---------------------------------------------------------------------


def _wallet_ids(user_ids: set[int]) -> dict[int, int]:
    """user id -> wallet account id, opening the wallets that are missing."""
    rows = fetch_rows(
        Account, "SELECT user_id, id FROM points_account WHERE user_id = ANY(%s::bigint[])", [list(user_ids)]
    )
    if rows is None:
        rows = Account.objects.filter(user_id__in=user_ids).values_list("user_id", "pk")
    wallets = dict(rows)
    for user_id in user_ids - set(wallets):
        wallets[user_id] = account_for_user(_user_model()(pk=user_id)).pk
    return wallets


# PostgreSQL: a paid batch's entries are marked paid and their `won` events recorded in one
# statement, the events read from the UPDATE's own rows instead of 2,000 events built in Python
# and sent as arrays (the events were a tenth of a 100,000-entry settlement).
_MARK_PAID_AND_RECORD = f"""
WITH paid AS (
    UPDATE checkin_entry SET paid_at = %(at)s WHERE id = ANY(%(entries)s::bigint[]) RETURNING id, user_id, payout
)
{EVENT_INSERT_HEAD}
SELECT user_id, %(kind)s, %(at)s, '', payout, 'entry:' || id FROM paid
"""


def _settlement_pay_batch(*, settlement_id: int, batch_size: int, after: int = 0) -> tuple[int, int]:
    """Pay the next batch; returns (how many entries it paid (0: nothing left), the last entry id).

    `after`: an entry id below which nothing is left unpaid (the previous batch's last). Batches
    pay the first unpaid entries in id order, so starting past it skips nothing; the scan of the
    (round, id) index starts at this batch instead of re-reading the entries earlier batches paid
    (a rerun after a crash starts at 0 and reads the paid ones once)."""
    with transaction.atomic():
        settlement = lock_shared(Settlement.objects.select_related("round__challenge").filter(pk=settlement_id))[0]
        if settlement.state == Settlement.State.DONE:
            return 0, after
        round_ = settlement.round
        unpaid = Entry.objects.filter(round=round_, payout__gt=0, paid_at__isnull=True, pk__gt=after)
        batch = list(unpaid.order_by("pk").values_list("pk", "user_id", "payout", "stake_txn_id")[:batch_size])
        if not batch:
            return 0, after
        pool = account_pool(round_.pk)
        wallets = _wallet_ids({user_id for _pk, user_id, _payout, _stake_txn in batch})
        title = round_.challenge.title
        meta = {"challenge": round_.challenge_id, "round": round_.pk}
        if settlement.outcome == Settlement.Outcome.PAID:
            # One balanced transaction per batch: the pool's leg and a leg per winner's wallet.
            # The key names the batch's entries; their paid_at is written in the same database
            # transaction, so no entry can be paid by two batches.
            first, last = batch[0][0], batch[-1][0]
            ledger_post(
                kind=Transaction.Kind.PAYOUT,
                key=f"checkin:payout:round:{round_.pk}:entries:{first}-{last}",
                legs=[
                    (pool.pk, -sum(payout for _pk, _user_id, payout, _stake_txn in batch)),
                    *((wallets[user_id], payout) for _pk, user_id, payout, _stake_txn in batch),
                ],
                memo=f"挑战奖金: {title}"[:200],
                metadata={**meta, "entries": [first, last], "count": len(batch)},
            )
        else:
            # A posting per refund (each names its stake transaction, for the expiry lots): lock
            # the batch's accounts in one go first, so the postings take none out of id order.
            ledger_lock(pool, *wallets.values())
            for pk, user_id, payout, stake_txn_id in batch:
                ledger_post(
                    kind=Transaction.Kind.REFUND,
                    key=f"checkin:refund:entry:{pk}",
                    legs=[(pool, -payout), (Account(pk=wallets[user_id]), payout)],
                    memo=f"挑战押金退回: {title}"[:200],
                    actor=settlement.actor,
                    metadata={**meta, "entry": pk},
                    refund_of=Transaction(pk=stake_txn_id) if stake_txn_id else None,
                )
        # By primary key: a filter on the round made PostgreSQL walk the round's whole index for
        # every batch (EXPLAIN: 1,000,000 rows removed by filter per batch of a 1,000,000 round).
        paid_at = now()
        entry_ids = [pk for pk, _user_id, _payout, _stake_txn in batch]
        paid = settlement.outcome == Settlement.Outcome.PAID
        # PostgreSQL marks a paid batch and records its events in one statement (fetch_rows gives
        # None elsewhere); refunds record no event.
        params = {"at": paid_at, "entries": entry_ids, "kind": "won"}
        in_one = paid and fetch_rows(Entry, _MARK_PAID_AND_RECORD, params) is not None
        if not in_one:
            update_rows(Entry, ["paid_at"], [(pk, paid_at) for pk in entry_ids])
            if paid:
                events_record_bulk(
                    EventSpec(user=user_id, kind="won", amount=payout, at=paid_at, ref=f"entry:{pk}")
                    for pk, user_id, payout, _stake_txn in batch
                )
        Settlement.objects.filter(pk=settlement.pk).update(batches=F("batches") + 1)
        if settlement.outcome == Settlement.Outcome.PAID:
            scores = standings_add_winnings(challenge_id=round_.challenge_id, entry_ids=entry_ids)
            challenge_id = round_.challenge_id
            transaction.on_commit(lambda: board_push_winnings(challenge_id=challenge_id, scores=scores))
    return len(batch), batch[-1][0]


# -- step 3: finish -----------------------------------------------------------------------------


def _settlement_finish(*, settlement_id: int, after: int = 0) -> Settlement:
    """`after`: the entry id up to which this run's batches found everything paid (their scan
    covered the round below it), so the check for unpaid entries reads only past it."""
    with transaction.atomic():
        settlement = lock_shared(Settlement.objects.filter(pk=settlement_id))[0]
        if settlement.state == Settlement.State.DONE:
            return settlement
        unpaid = Entry.objects.filter(round_id=settlement.round_id, payout__gt=0, paid_at__isnull=True, pk__gt=after)
        if unpaid.exists():
            raise RuntimeError(f"settlement {settlement.pk}: entries left unpaid")
        left = _pool_balance(settlement.round_id)
        if left != 0:
            raise RuntimeError(f"settlement {settlement.pk}: pool still holds {left} points")
        settlement.state = Settlement.State.DONE
        settlement.finished_at = now()
        settlement.save(update_fields=["state", "finished_at"])
        final = Round.Status.CANCELLED if settlement.outcome == Settlement.Outcome.CANCELLED else Round.Status.SETTLED
        Round.objects.filter(pk=settlement.round_id).update(status=final)
    return settlement


# -- entry points -------------------------------------------------------------------------------


def _run(settlement: Settlement, batch_size: int) -> Settlement:
    paid, after = 1, 0
    while paid:
        paid, after = _settlement_pay_batch(settlement_id=settlement.pk, batch_size=batch_size, after=after)
    return _settlement_finish(settlement_id=settlement.pk, after=after)


def round_settle(*, round_id: int, batch_size: int = BATCH_SIZE, actor=None) -> Settlement:
    """Settle one round whose last window has closed, or finish a settlement that stopped midway.
    Safe to run any number of times, also at once. Errors: 409 round_not_finished, 409 round_not_open."""
    settlement = _settlement_decide(round_id=round_id, actor=actor)
    return _run(settlement, batch_size)


def round_cancel(*, round_id: int, actor=None, batch_size: int = BATCH_SIZE) -> Settlement:
    """Cancel an open round: refund every stake, return bonus and rolled-in points to issuance.
    Error: 409 round_not_open when it is already settling, settled or cancelled."""
    existing = Settlement.objects.filter(round_id=round_id).first()
    if existing is not None and existing.outcome != Settlement.Outcome.CANCELLED:
        raise ApplicationError("round_not_open", _("This round is no longer open."), 409)
    settlement = _settlement_decide(round_id=round_id, cancel=True, actor=actor)
    return _run(settlement, batch_size)


def rounds_due(*, at: dt.datetime | None = None) -> list[int]:
    """Rounds to settle now: open ones whose last window has closed, and any settlement left unfinished."""
    at = at or now()
    horizon = at.date() + dt.timedelta(days=1)  # no zone is more than a day ahead of UTC
    candidates = (
        Round.objects.filter(
            Q(status=Round.Status.OPEN, end_date__lte=horizon) | Q(settlement__state=Settlement.State.PAYING)
        )
        .select_related("challenge")
        .order_by("end_date", "pk")
    )
    return [r.pk for r in candidates if r.status != Round.Status.OPEN or at >= round_closes_at(r)]


@dataclass
class SettleReport:
    settled: int = 0
    failed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"settled {self.settled} round(s)"
        return text + (f", FAILED: {self.failed}" if self.failed else "")


def rounds_settle_due(*, batch_size: int = BATCH_SIZE) -> SettleReport:
    """Settle every round that is due, oldest first. A round that fails is logged and the rest still
    settle; the report lists the failures (the caller decides whether that is an error)."""
    report = SettleReport()
    for round_id in rounds_due():
        try:
            if round_settle(round_id=round_id, batch_size=batch_size).state == Settlement.State.DONE:
                report.settled += 1
        except Exception:  # one broken round must not stop the others; reported below
            logger.exception("settlement of round %s failed", round_id)
            report.failed.append(round_id)
    return report
