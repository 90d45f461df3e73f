"""Settlement of a round, once its last check-in window has closed (or when an operator cancels it).

Three steps, each its own database transaction:

1. Decide (`_settlement_decide`): lock the round row, and if it has no Settlement yet, read the pool
   balance and the entries, decide the outcome and every entry's payout, and write them (the
   Settlement row, unique per round, plus bulk UPDATEs of the entries). Points that leave the pool
   in one piece (a rollover into the next round, or bonus and rolled-in points returned to issuance
   when stakes are refunded) are posted here too. A second run finds the Settlement and skips this.
2. Pay, in batches (`_settlement_pay_batch`): lock the Settlement row, take the next `batch_size`
   entries with a payout and no `paid_at`, post their ledger transactions (one bulk
   `ledger_post_batch` for winners' payouts; refunds one by one with `refund_of` so that expiry
   lots come back), and mark them paid with one UPDATE. Every payout's idempotency key names its
   entry, and the ledger skips keys already posted: a crash loses at most the batch in flight, and
   running again, or twice at once (the row lock serialises them), pays each entry exactly once.
3. Finish (`_settlement_finish`): with nothing left unpaid, check the pool account is empty and
   mark the settlement done and the round settled (or cancelled).
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from analytics.events import EventSpec, events_record_bulk
from checkin import rules
from checkin.models import Challenge, Entry, Round, Settlement
from checkin.services.challenges import enrollment_dates, round_closes_at, round_next_for_rollover
from checkin.services.leaderboards import board_push_winnings, standings_update_winnings
from core.clock import now
from core.db import bulk_update_by_pk
from core.exceptions import ApplicationError
from points.models import Account, Transaction
from points.services.ledger import (
    Posting,
    account_for_user,
    account_issuance,
    account_pool,
    ledger_post,
    ledger_post_batch,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass
class Decision:
    outcome: str
    pool: int
    participants: int
    payouts: dict[int, int] = field(default_factory=dict)  # entry id -> points (payout or refund)
    winners: list[int] = field(default_factory=list)
    winners_stake: int = 0
    returned_total: int = 0
    rollover_total: int = 0

    @property
    def paid_total(self) -> int:
        return sum(self.payouts.values())


def settlement_decide(*, round_: Round, entries: list[dict], pool: int, cancel: bool, can_rollover: bool) -> Decision:
    """What a settlement pays, from the round's rules, its entries ({id, stake, checkins,
    qualified_at}) and the pool balance. Pure: the preview and the real settlement both use it."""
    stakes = sum(e["stake"] for e in entries)
    decision = Decision(outcome=Settlement.Outcome.EMPTY, pool=pool, participants=len(entries))
    if cancel:
        decision.outcome = Settlement.Outcome.CANCELLED
        decision.payouts = {e["id"]: e["stake"] for e in entries}
        decision.returned_total = pool - stakes
        return decision
    winners = [e for e in entries if e["checkins"] >= round_.required_days]
    if winners:
        decision.outcome = Settlement.Outcome.PAID
        decision.winners = sorted(e["id"] for e in winners)
        decision.winners_stake = sum(e["stake"] for e in winners)
        decision.payouts = rules.split_pool(
            pool=pool,
            winners=[rules.Winner(e["id"], e["stake"], e["qualified_at"] or _LATEST) for e in winners],
            rule=round_.split_rule,
        )
    elif pool == 0 and not entries:
        decision.outcome = Settlement.Outcome.EMPTY
    elif round_.no_winner_rule == Challenge.NoWinnerRule.ROLLOVER and can_rollover:
        decision.outcome = Settlement.Outcome.ROLLED_OVER
        decision.rollover_total = pool
    else:
        decision.outcome = Settlement.Outcome.REFUNDED
        decision.payouts = {e["id"]: e["stake"] for e in entries}
        decision.returned_total = pool - stakes
    if decision.returned_total < 0:
        raise RuntimeError(f"round {round_.pk}: pool {pool} is smaller than its stakes {stakes}")
    return decision


def _entries_of(round_: Round) -> list[dict]:
    return list(
        Entry.objects.filter(round=round_).order_by("pk").values("id", "stake", "checkins", "qualified_at", "user_id")
    )


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
    winners = set(decision.winners)
    rows = [
        {**e, "user": users.get(e["user_id"]), "won": e["id"] in winners, "payout": decision.payouts.get(e["id"], 0)}
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
        target = Round.objects.select_for_update().get(pk=target.pk)
        if target.status == Round.Status.OPEN:
            return target
    return None


def _settlement_decide(*, round_id: int, cancel: bool = False, actor=None) -> Settlement | None:
    with transaction.atomic():
        round_ = Round.objects.select_for_update(of=("self",)).select_related("challenge").get(pk=round_id)
        existing = Settlement.objects.filter(round=round_).first()
        if existing is not None:
            return existing
        if round_.status != Round.Status.OPEN:
            raise ApplicationError("round_not_open", _("This round is no longer open."), 409)
        if not cancel and now() < round_closes_at(round_):
            raise ApplicationError("round_not_finished", _("The round's last check-in window has not closed yet."), 409)

        pool_account = account_pool(round_.pk)
        pool = Account.objects.select_for_update().get(pk=pool_account.pk).balance
        entries = _entries_of(round_)
        target = None
        winners_expected = any(e["checkins"] >= round_.required_days for e in entries)
        if not cancel and not winners_expected and round_.no_winner_rule == Challenge.NoWinnerRule.ROLLOVER:
            target = _rollover_target(round_) if pool > 0 else None
        decision = settlement_decide(
            round_=round_, entries=entries, pool=pool, cancel=cancel, can_rollover=target is not None
        )
        settlement = Settlement.objects.create(
            round=round_,
            outcome=decision.outcome,
            pool=decision.pool,
            participants=decision.participants,
            winners=len(decision.winners),
            winners_stake=decision.winners_stake,
            paid_total=decision.paid_total,
            returned_total=decision.returned_total,
            rollover_total=decision.rollover_total,
            rollover_to=target if decision.rollover_total else None,
            actor=actor,
        )
        _write_entry_decisions(round_, decision)
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


def _write_entry_decisions(round_: Round, decision: Decision) -> None:
    entries = Entry.objects.filter(round=round_)
    if decision.outcome == Settlement.Outcome.PAID:
        entries.update(status=Entry.Status.LOST, payout=None)
        chunk = 5000  # instances for one statement at a time: memory does not grow with the round
        for start in range(0, len(decision.winners), chunk):
            winners = [
                Entry(pk=pk, status=Entry.Status.WON, payout=decision.payouts[pk])
                for pk in decision.winners[start : start + chunk]
            ]
            bulk_update_by_pk(Entry, winners, ["status", "payout"], batch_size=chunk)
    elif decision.outcome in (Settlement.Outcome.REFUNDED, Settlement.Outcome.CANCELLED):
        entries.update(status=Entry.Status.REFUNDED, payout=F("stake"))
    else:
        entries.update(status=Entry.Status.LOST, payout=None)


# -- step 2: pay in batches ---------------------------------------------------------------------


def _wallets(user_ids) -> dict[int, Account]:
    wallets = {a.user_id: a for a in Account.objects.filter(user_id__in=set(user_ids))}
    for user_id in set(user_ids) - set(wallets):
        wallets[user_id] = account_for_user(_user_model()(pk=user_id))
    return wallets


def _settlement_pay_batch(*, settlement_id: int, batch_size: int) -> int:
    """Pay the next batch; returns how many entries it paid (0: nothing left)."""
    with transaction.atomic():
        settlement = (
            Settlement.objects.select_for_update(of=("self",)).select_related("round__challenge").get(pk=settlement_id)
        )
        if settlement.state == Settlement.State.DONE:
            return 0
        round_ = settlement.round
        batch = list(
            Entry.objects.filter(round=round_, payout__gt=0, paid_at__isnull=True)
            .select_related("stake_txn")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return 0
        pool = account_pool(round_.pk)
        wallets = _wallets(e.user_id for e in batch)
        title = round_.challenge.title
        if settlement.outcome == Settlement.Outcome.PAID:
            ledger_post_batch(
                kind=Transaction.Kind.PAYOUT,
                postings=[
                    Posting(
                        key=f"checkin:payout:entry:{e.pk}",
                        legs=[(pool, -e.payout), (wallets[e.user_id], e.payout)],
                        memo=f"挑战奖金: {title}"[:200],
                        metadata={"challenge": round_.challenge_id, "round": round_.pk, "entry": e.pk},
                    )
                    for e in batch
                ],
            )
        else:
            for e in batch:
                ledger_post(
                    kind=Transaction.Kind.REFUND,
                    key=f"checkin:refund:entry:{e.pk}",
                    legs=[(pool, -e.payout), (wallets[e.user_id], e.payout)],
                    memo=f"挑战押金退回: {title}"[:200],
                    actor=settlement.actor,
                    metadata={"challenge": round_.challenge_id, "round": round_.pk, "entry": e.pk},
                    refund_of=e.stake_txn,
                )
        Entry.objects.filter(pk__in=[e.pk for e in batch]).update(paid_at=now())
        Settlement.objects.filter(pk=settlement.pk).update(batches=F("batches") + 1)
        if settlement.outcome == Settlement.Outcome.PAID:
            events_record_bulk(
                EventSpec(user=e.user_id, kind="won", amount=e.payout, ref=f"entry:{e.pk}") for e in batch
            )
            user_ids = sorted({e.user_id for e in batch})
            standings_update_winnings(challenge_id=round_.challenge_id, user_ids=user_ids)
            challenge_id = round_.challenge_id
            transaction.on_commit(lambda: board_push_winnings(challenge_id=challenge_id, user_ids=user_ids))
    return len(batch)


# -- step 3: finish -----------------------------------------------------------------------------


def _settlement_finish(*, settlement_id: int) -> Settlement:
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().get(pk=settlement_id)
        if settlement.state == Settlement.State.DONE:
            return settlement
        if Entry.objects.filter(round_id=settlement.round_id, payout__gt=0, paid_at__isnull=True).exists():
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
    while _settlement_pay_batch(settlement_id=settlement.pk, batch_size=batch_size):
        pass
    return _settlement_finish(settlement_id=settlement.pk)


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
