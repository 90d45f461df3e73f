"""Shared by the suites: a fingerprint of the database, a clean ledger audit, calls raced on real
threads against PostgreSQL."""

import logging
import threading

from django.apps import apps
from django.db import connection
from django.db.models import Sum

from core.exceptions import ApplicationError
from mall.models import Product
from points.models import Account
from points.services.audit import ledger_audit

PROJECT_APPS = ("core", "points", "checkin", "referral", "analytics", "token_blacklist")


def _tables() -> list[tuple[str, str]]:
    return [
        (model._meta.label, model._meta.db_table)
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and not model._meta.proxy and model._meta.managed
    ]


def state_fingerprint() -> dict:
    """Row counts of every table of the project, every account balance and the stock on hand.

    Equal before and after a request means the request changed nothing that matters. The counts
    come from one query, so the fuzz can take a fingerprint around every request.
    """
    tables = _tables()
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for _label, table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = cursor.fetchone()
    fingerprint = {label: count for (label, _table), count in zip(tables, counts, strict=True)}
    fingerprint["balances"] = tuple(Account.objects.order_by("pk").values_list("pk", "balance"))
    fingerprint["stock"] = Product.objects.aggregate(total=Sum("stock"))["total"]
    return fingerprint


def assert_ledger_clean() -> None:
    report = ledger_audit()
    assert report.ok, report.problems
    assert report.total_balance == 0


def set_throttle_rates(monkeypatch, rates: dict) -> None:
    """Set the rates every throttle class reads (a subclass may carry its own copy of the dict)."""
    from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

    for throttle in (SimpleRateThrottle, AnonRateThrottle, UserRateThrottle, ScopedRateThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", rates)


class _LostRaces(logging.Handler):
    """Collects what core.locks logs at WARNING: a deadlock or serialization failure it retried."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


def run_together(*calls, allow: tuple[str, ...] | None = None) -> list:
    """Start every call at the same moment, each in its own thread and database connection.

    Returns, in call order, what each call returned or the code of the ApplicationError it raised
    (only the codes in `allow`, when given). Anything else fails the test, and so does a lost
    lock race (a deadlock), even one the retry won: the lock order's goal is that none happen.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)
    crashes: list = []
    lost = _LostRaces()
    locks_log = logging.getLogger("core.locks")
    locks_log.addHandler(lost)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except ApplicationError as exc:
            if allow is not None and exc.code not in allow:
                crashes.append(exc)
            outcomes[index] = exc.code
        except Exception as exc:  # noqa: BLE001 - reported below
            crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index, call)) for index, call in enumerate(calls)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        locks_log.removeHandler(lost)
    assert crashes == []
    assert lost.records == []  # no lost lock race (deadlock), no out-of-order lock logged
    return outcomes


def while_held(hold, call, *, lock_timeout: str = "2s") -> list:
    """Run `hold` in a transaction kept open after it returns (holding every lock it took), and
    meanwhile `call` in its own transaction under `lock_timeout`: a `call` that would queue on one
    of those locks fails the test with the timeout instead of waiting. Returns both results, as
    `run_together` does."""
    from django.db import transaction

    held, release = threading.Event(), threading.Event()

    def holding():
        with transaction.atomic():
            result = hold()
            held.set()
            release.wait(10)
        return result

    def meanwhile():
        held.wait(10)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
                return call()
        finally:
            release.set()

    return run_together(holding, meanwhile)


def race(*calls) -> list[str]:
    """`run_together` for calls that return nothing of interest: the sorted outcomes, "ok" for a
    call that succeeded and the error code for one that was refused."""
    return sorted(outcome if isinstance(outcome, str) else "ok" for outcome in run_together(*calls))


def statements_of(call, *, savepoints: bool = False) -> tuple[object, list[str]]:
    """`call()`'s result and the statements it sent to the database, savepoints left out unless
    asked for (a test's own transaction turns a service's transaction into a savepoint; outside
    tests it is BEGIN and COMMIT). Counted at psycopg's cursor: core.db's binary cursor does not
    write to Django's query log."""
    from psycopg import Cursor

    connection.ensure_connection()
    executed = []
    original = Cursor.execute

    def counting(self, query, *args, **kwargs):
        executed.append(str(query)[:80])
        return original(self, query, *args, **kwargs)

    Cursor.execute = counting
    try:
        result = call()
    finally:
        Cursor.execute = original
    return result, [statement for statement in executed if savepoints or "SAVEPOINT" not in statement]
