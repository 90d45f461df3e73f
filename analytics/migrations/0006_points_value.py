# The points value (a singleton) and the nightly liability checks.

import core.db
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_constraint_messages")]

    operations = [
        migrations.CreateModel(
            name="LiabilityCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("checked_at", models.DateTimeField(db_index=True, verbose_name="checked at")),
                ("points", models.PositiveIntegerField(verbose_name="points")),
                ("fen", models.PositiveIntegerField(verbose_name="are worth (fen)")),
                ("balances", models.BigIntegerField(verbose_name="wallet balances")),
                ("entries", models.BigIntegerField(verbose_name="sum of wallet entries")),
                ("lots", models.BigIntegerField(verbose_name="sum of lot remainders")),
                ("overdue", models.BigIntegerField(default=0, verbose_name="points in overdue lots")),
                ("liability_fen", models.BigIntegerField(verbose_name="liability (fen)")),
                ("problems", models.JSONField(blank=True, default=list, verbose_name="problems")),
                ("ok", models.BooleanField(default=True, verbose_name="consistent")),
            ],
            options={
                "verbose_name": "liability check",
                "verbose_name_plural": "liability checks",
                "ordering": ["-checked_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="PointsValue",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "points",
                    models.PositiveIntegerField(default=100, help_text="This many points...", verbose_name="points"),
                ),
                (
                    "fen",
                    models.PositiveIntegerField(
                        default=100,
                        help_text="...are worth this many fen (1 yuan = 100 fen).",
                        verbose_name="are worth (fen)",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "points value",
                "verbose_name_plural": "points value",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("pk", 1)),
                        name="analytics_points_value_single",
                        violation_error_message="There is only one points value: edit the existing one.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("points__gt", 0)),
                        name="analytics_points_value_points_positive",
                        violation_error_code="points",
                        violation_error_message="The number of points must be at least 1.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("fen__gt", 0)),
                        name="analytics_points_value_fen_positive",
                        violation_error_code="fen",
                        violation_error_message="The value must be at least 1 fen.",
                    ),
                ],
            },
            bases=(core.db.ConstraintErrorsOnFields, models.Model),
        ),
    ]
