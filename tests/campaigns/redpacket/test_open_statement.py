"""On PostgreSQL a friend's open that binds nobody is made by a few statements (after the member
and packet locks: one read of what the checks need, the accounts' lock, the ledger's postings, one
write of the open, the packet and its event); an open that may bind a new friend, and every open on
the other databases, step by step. For any run of opens the two must answer the same and write the
same rows, given the same shares."""

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from campaigns.redpacket import services as redpacket_services
from campaigns.redpacket.models import RedPacket, RedPacketCampaign, RedPacketOpen
from campaigns.redpacket.services import redpacket_open, redpacket_start
from core.clock import now
from core.exceptions import ApplicationError
from events.models import Event
from points.models import Entry
from points.selectors import wallet_balance
from points.services.ledger import account_for_user, account_issuance
from referral.models import Referral
from referral.services import referral_profile_ensure
from tests.factories import UserFactory
from tests.reliability.helpers import statements_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

campaigns = st.fixed_dictionaries(
    {
        "helpers_needed": st.integers(2, 4),
        "pool_per_helper": st.integers(1, 5),
        "amount": st.integers(1, 50),
        "new_user_bonus": st.integers(0, 5),
        "opens_per_day": st.integers(1, 3),
    }
)
# The friends: old, new and already bound to someone, or new and bound to nobody yet.
friends = st.lists(st.sampled_from(["old", "new_bound", "new"]), min_size=1, max_size=3)
# (who opens: a friend's number, or -1 for a starter; which packet)
opens = st.lists(st.tuples(st.integers(-1, 2), st.integers(0, 1)), min_size=1, max_size=10)


def _run(spec, kinds, plan, seed, patched) -> tuple[list, dict]:
    someone = UserFactory(date_joined=now() - dt.timedelta(days=30))
    referral_profile_ensure(user=someone)
    starters = [UserFactory(date_joined=now() - dt.timedelta(days=30)) for _ in range(2)]
    people = []
    for kind in kinds:
        joined = now() - (dt.timedelta(days=3) if kind == "old" else dt.timedelta(hours=1))
        person = UserFactory(date_joined=joined)
        if kind == "new_bound":
            Referral.objects.create(inviter=someone, invitee=person)
        people.append(person)
    for user in [*starters, *people]:
        account_for_user(user), account_issuance(shard_of=user.pk)  # accounts exist, as after a first use
    campaign = RedPacketCampaign.objects.create(
        title="红包",
        amount=spec["amount"],
        helpers_needed=spec["helpers_needed"],
        pool=spec["pool_per_helper"] * spec["helpers_needed"],
        new_user_bonus=spec["new_user_bonus"],
        opens_per_day=spec["opens_per_day"],
    )
    packets = [redpacket_start(user=starter, campaign_id=campaign.pk)[0] for starter in starters]
    shares = random.Random(seed)
    draw = redpacket_services.redpacket_share_draw
    patched.setattr(
        redpacket_services,
        "redpacket_share_draw",
        lambda **kwargs: draw(**kwargs, randbelow=lambda n: shares.randrange(n)),
    )
    answers = []
    for who, which in plan:
        opener = starters[which] if who < 0 else people[who % len(people)]
        try:
            result = redpacket_open(helper=opener, packet_id=packets[which].pk)
            answers.append((result.opened.position, result.opened.amount, result.opened.bonus, result.packet.status))
            assert result.balance == wallet_balance(user=opener)  # the answer's balance is the balance
        except ApplicationError as exc:
            answers.append(exc.code)
    return answers, _written(starters, people, packets)


def _written(starters, people, packets) -> dict:
    """The rows of the run, with people and packets by their place (ids differ between runs)."""
    number = {person.pk: n for n, person in enumerate([*starters, *people])}
    place = {packet.pk: n for n, packet in enumerate(packets)}
    return {
        "opens": [
            (
                place[o.packet_id],
                number[o.helper_id],
                number[o.starter_id],
                o.position,
                o.amount,
                o.bonus,
                o.local_date,
                o.referral_id is not None,
                o.transaction.key == f"redpacket:share:{o.packet_id}:{o.helper_id}",
                o.transaction.metadata == {"red_packet": o.packet_id, "share": o.amount, "bonus": o.bonus},
            )
            for o in RedPacketOpen.objects.filter(packet__in=packets).order_by("pk")
        ],
        "packets": [
            (p.helpers, p.pool_paid, p.status, p.paid_at is not None, p.reward_transaction_id is not None)
            for p in RedPacket.objects.filter(pk__in=[p.pk for p in packets]).order_by("pk")
        ],
        "entries": [
            list(Entry.objects.filter(account__user=person).order_by("pk").values_list("amount", "balance_after"))
            for person in [*starters, *people]
        ],
        "events": [
            list(Event.objects.filter(user=person, kind="packet_opened").order_by("pk").values_list("amount"))
            for person in people
        ],
        "event_refs": sorted(
            place[int(ref.split(":")[1])]
            for ref in Event.objects.filter(user__in=people, kind="packet_opened").values_list("ref", flat=True)
        ),
        # Whom each friend is bound to: one of the starters (by the open) or the someone of the setup.
        "bound": [
            number.get(inviter, "someone") if inviter else None
            for inviter in (
                Referral.objects.filter(invitee=person).values_list("inviter_id", flat=True).first()
                for person in people
            )
        ],
    }


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=campaigns, kinds=friends, plan=opens, seed=st.integers(0, 2**16))
@example(  # a new friend bound by the open, a bound one, an old one, the starter, the daily limit, filling
    spec={"helpers_needed": 2, "pool_per_helper": 3, "amount": 20, "new_user_bonus": 4, "opens_per_day": 2},
    kinds=["new", "new_bound", "old"],
    plan=[(0, 0), (1, 0), (2, 0), (-1, 1), (2, 1), (1, 1), (1, 1), (0, 1), (2, 0)],
    seed=3,
)
def test_the_statements_open_what_the_step_by_step_open_opens(spec, kinds, plan, seed, monkeypatch):
    by_statement = []
    statements = redpacket_services._redpacket_open_statements

    def spied(**kwargs):
        result = statements(**kwargs)
        by_statement.append(result is not None)
        return result

    runs = []
    for portable in (False, True):
        with monkeypatch.context() as patched:
            if portable:
                patched.setattr(redpacket_services, "on_postgresql", lambda model: False)
            else:
                patched.setattr(redpacket_services, "_redpacket_open_statements", spied)
            answers, written = _run(spec, kinds, plan, seed, patched)
            runs.append((answers, written))

    (statement_answers, statement_written), (portable_answers, portable_written) = runs
    assert statement_answers == portable_answers
    assert statement_written == portable_written
    # Opens by friends who are old or bound already were the statements'; a new friend's first, not.
    placed = sum(isinstance(a, tuple) for a in statement_answers)
    binding = sum(1 for o in statement_written["opens"] if o[7])
    assert sum(by_statement) == placed - binding


def test_an_old_friends_open_is_eight_statements():
    """The packet, the member lock, the packet's lock, the context, the accounts' lock, the
    share's posting (lock and write), the open with the packet and its event: eight besides BEGIN
    and COMMIT. The step-by-step open sends 15, savepoints included. (Counting psycopg's
    executions: the binary cursor's are not in Django's query log.)"""
    starter, friend = (UserFactory(date_joined=now() - dt.timedelta(days=30)) for _ in range(2))
    account_for_user(friend), account_issuance(shard_of=friend.pk)
    campaign = RedPacketCampaign.objects.create(title="红包", amount=10, helpers_needed=3, pool=9, opens_per_day=3)
    packet, _created = redpacket_start(user=starter, campaign_id=campaign.pk)

    result, statements = statements_of(lambda: redpacket_open(helper=friend, packet_id=packet.pk))

    assert len(statements) == 8, statements
    assert result.balance == wallet_balance(user=friend) == result.opened.amount
    assert RedPacket.objects.get(pk=packet.pk).helpers == 1
