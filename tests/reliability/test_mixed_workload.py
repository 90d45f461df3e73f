"""The mixed workload (a Jepsen-style bank check): 40 phones at once on every write endpoint, then the books.

Forty users, each in their own thread with an APIClient and a Bearer token, draw random
operations (tests/reliability/workload.py: OPERATIONS) for WORKLOAD_SECONDS through the real
routing and views: sign-in, tasks, challenge join, check-in and makeup, redemptions with and
without an Idempotency-Key, cancellations, group-buy open and join, assist and bargain start,
help and redeem, phone verification on shared numbers, logins with referral codes, new users
bound through shares and rings of new users closing referral cycles, token refreshes, and an
operator refunding groups and closing tasks meanwhile. Afterwards:

- no 5xx (503 `busy` only if rare), with every status counted per endpoint and printed;
- PostgreSQL's deadlock counter of the test database unchanged;
- every invariant of workload.check_invariants: the ledger audit (service and command), each
  wallet equal to its entries, stock = initial - orders not cancelled, per-user limits, new users
  only, no referral cycle, one verified phone per user, group and assist counters, challenge pools.

The seed is printed; `WORKLOAD_SEED=<n>` replays a run's choices (not its thread interleaving).
`WORKLOAD_SECONDS` and `WORKLOAD_USERS` change its length and size. For longer runs:
`python -m tests.reliability.soak --minutes N --users U --seed S`.
"""

import os
import random

import pytest

from tests.reliability.workload import (
    build_world,
    check_invariants,
    deadlock_count,
    run_workload,
    throttles_lifted,
    violations_text,
    world_figures,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECONDS = float(os.environ.get("WORKLOAD_SECONDS", "30"))
USERS = int(os.environ.get("WORKLOAD_USERS", "40"))


def test_forty_phones_on_every_write_endpoint_keep_every_invariant():
    seed = int(os.environ.get("WORKLOAD_SEED") or random.SystemRandom().randrange(10**9))
    print(f"\nmixed workload: seed {seed} (WORKLOAD_SEED={seed} replays it), {USERS} users, {SECONDS:.0f} s")

    # Given a world of funded users, small stocks, offers, campaigns and running rounds
    with throttles_lifted():
        world = build_world(seed=seed, users=USERS)
        deadlocks_before = deadlock_count()

        # When every user hammers the write endpoints at once
        recorder = run_workload(world, seconds=SECONDS)
        deadlocks = deadlock_count(settle=True) - deadlocks_before

    # Then nothing failed, nothing deadlocked, and the books balance
    violations = check_invariants(world)
    print(recorder.summary())
    print(f"deadlocks in the test database during the run: {deadlocks}")
    print(world_figures(world))
    print(violations_text(violations))

    failures = recorder.failures()
    if deadlocks:
        failures.append(f"{deadlocks} deadlock(s) detected by PostgreSQL (pg_stat_database.deadlocks)")
    failures += violations
    assert len(recorder.calls) > 20 * USERS, f"the workload barely ran: {len(recorder.calls)} requests"
    if failures:
        listing = "\n".join(f"- {line}" for line in failures[:80])
        more = f"\n... and {len(failures) - 80} more" if len(failures) > 80 else ""
        pytest.fail(f"mixed workload (seed {seed}): {len(failures)} failure(s)\n{listing}{more}", pytrace=False)
