"""Shared by the reliability suites: a fingerprint of the database, a clean ledger audit, a world to act in."""

from django.apps import apps
from django.db import connection
from django.db.models import Sum

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
