"""Lots are tracked whatever POINTS_EXPIRY_ENABLED says: a lot may never expire (expires_at empty),
and every wallet's lots now hold exactly its balance.

Before, nothing was tracked while expiry was off: points earned then had no lot, and points spent
then were still counted in the lots. This migration brings each wallet in line: a wallet whose lots
hold more than its balance gives the difference up from its soonest-expiring lots (what those spends
would have taken), recorded as uses by its latest debit; a wallet holding more than its lots gets a
lot that never expires for the difference (points earned while expiry was off never expired).
"""

from django.db import migrations, models
from django.db.models import F, Sum

USER = "user"


def _tables(apps) -> dict:
    return {
        name: apps.get_model("points", model)._meta.db_table
        for name, model in [("account", "Account"), ("entry", "Entry"), ("lot", "Lot"), ("lotuse", "LotUse")]
    }


_GIVE_UP_EXCESS = """
WITH wallet AS (
    SELECT a.id, SUM(l.remaining) - a.balance AS excess
    FROM {account} a JOIN {lot} l ON l.account_id = a.id
    WHERE a.kind = %s AND l.remaining > 0
    GROUP BY a.id, a.balance
    HAVING SUM(l.remaining) > a.balance
), ranked AS (
    SELECT l.id, l.account_id, l.remaining, w.excess,
           SUM(l.remaining) OVER (
               PARTITION BY l.account_id ORDER BY l.expires_at ASC NULLS LAST, l.id ROWS UNBOUNDED PRECEDING
           ) - l.remaining AS before
    FROM {lot} l JOIN wallet w ON w.id = l.account_id
    WHERE l.remaining > 0
), taken AS (
    SELECT id, LEAST(remaining, excess - before) AS take FROM ranked WHERE before < excess
), used AS (
    UPDATE {lot} l SET remaining = l.remaining - t.take FROM taken t WHERE l.id = t.id
    RETURNING l.id, l.account_id, t.take
)
INSERT INTO {lotuse} (lot_id, entry_id, amount)
SELECT u.id,
       COALESCE(
           (SELECT MAX(e.id) FROM {entry} e WHERE e.account_id = u.account_id AND e.amount < 0),
           (SELECT MAX(e.id) FROM {entry} e WHERE e.account_id = u.account_id)
       ),
       u.take
FROM used u
"""

_LOT_FOR_THE_REST = """
INSERT INTO {lot} (account_id, entry_id, amount, remaining, expires_at, created_at)
SELECT a.id,
       COALESCE(
           (SELECT MAX(e.id) FROM {entry} e WHERE e.account_id = a.id AND e.amount > 0),
           (SELECT MAX(e.id) FROM {entry} e WHERE e.account_id = a.id)
       ),
       a.balance - COALESCE(s.in_lots, 0), a.balance - COALESCE(s.in_lots, 0), NULL, now()
FROM {account} a
LEFT JOIN (SELECT account_id, SUM(remaining) AS in_lots FROM {lot} GROUP BY account_id) s ON s.account_id = a.id
WHERE a.kind = %s AND a.balance > COALESCE(s.in_lots, 0)
"""


def _repair_sql(apps, schema_editor) -> None:
    """Two set-based statements, whatever the number of wallets."""
    tables = _tables(apps)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_GIVE_UP_EXCESS.format(**tables), [USER])
        cursor.execute(_LOT_FOR_THE_REST.format(**tables), [USER])


def _repair_orm(apps, schema_editor) -> None:
    """The same, wallet by wallet (the SQLite demo)."""
    db = schema_editor.connection.alias
    Account = apps.get_model("points", "Account")
    Entry = apps.get_model("points", "Entry")
    Lot = apps.get_model("points", "Lot")
    LotUse = apps.get_model("points", "LotUse")
    held = dict(
        Lot.objects.using(db)
        .filter(remaining__gt=0)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("remaining"))
        .values_list("account_id", "total")
    )
    for account in Account.objects.using(db).filter(kind=USER).order_by("pk").iterator():
        in_lots = held.get(account.pk, 0)
        entries = Entry.objects.using(db).filter(account_id=account.pk).order_by("-pk")
        if in_lots > account.balance:
            excess = in_lots - account.balance
            debit = entries.filter(amount__lt=0).first() or entries.first()
            lots = Lot.objects.using(db).filter(account_id=account.pk, remaining__gt=0)
            for lot in lots.order_by(F("expires_at").asc(nulls_last=True), "pk"):
                if excess == 0:
                    break
                take = min(lot.remaining, excess)
                lot.remaining -= take
                lot.save(update_fields=["remaining"])
                LotUse.objects.using(db).create(lot=lot, entry=debit, amount=take)
                excess -= take
        elif in_lots < account.balance:
            gap = account.balance - in_lots
            credit = entries.filter(amount__gt=0).first() or entries.first()
            Lot.objects.using(db).create(
                account_id=account.pk, entry=credit, amount=gap, remaining=gap, expires_at=None
            )


def repair(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        _repair_sql(apps, schema_editor)
    else:
        _repair_orm(apps, schema_editor)


def forget_never_expiring_lots(apps, schema_editor) -> None:
    """Back to before: points that never expire had no lot."""
    tables = _tables(apps)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM {lotuse} WHERE lot_id IN (SELECT id FROM {lot} WHERE expires_at IS NULL)".format(**tables)
        )
        cursor.execute("DELETE FROM {lot} WHERE expires_at IS NULL".format(**tables))
        if schema_editor.connection.vendor == "postgresql":
            # Fire the deleted rows' deferred foreign-key checks now: PostgreSQL refuses to alter a
            # table with pending trigger events, and the column becomes NOT NULL next.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0005_redundant_fk_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="lot",
            name="expires_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True, verbose_name="expires at"),
        ),
        migrations.RunPython(repair, forget_never_expiring_lots),
    ]
