import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checkin", "0005_constraint_messages"),
        ("mall", "0004_constraint_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="challenge",
            name="checkin_by",
            field=models.CharField(
                db_default="app",
                choices=[
                    ("app", "in the app (the member taps check-in)"),
                    ("visit", "a visit verified by store staff (到店打卡)"),
                ],
                default="app",
                help_text="A visit: staff scan the member's code at the front desk, and the visit counts as the day's "
                "check-in (one a day, within the window). The member cannot check in from the app, and makeup is off.",
                max_length=8,
                verbose_name="check-in by",
            ),
        ),
        migrations.AddConstraint(
            model_name="challenge",
            constraint=models.CheckConstraint(
                condition=models.Q(("checkin_by", "app"), ("makeup_limit", 0), _connector="OR"),
                name="checkin_challenge_visit_no_makeup",
                violation_error_code="makeup_limit",
                violation_error_message="A challenge checked in by visits has no makeup check-ins: a visit cannot be "
                "made up.",
            ),
        ),
        migrations.CreateModel(
            name="Visit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("local_date", models.DateField(verbose_name="date")),
                ("created_at", models.DateTimeField(verbose_name="recorded at")),
                (
                    "staff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "store",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="visits",
                        to="mall.store",
                        verbose_name="store",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="visits",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="member",
                    ),
                ),
            ],
            options={
                "verbose_name": "store visit",
                "verbose_name_plural": "store visits",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["store", "local_date"], name="checkin_visit_store_day")],
                "constraints": [
                    models.UniqueConstraint(fields=("user", "local_date"), name="checkin_visit_one_per_day")
                ],
            },
        ),
    ]
