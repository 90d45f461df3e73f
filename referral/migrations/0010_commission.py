# Distribution commission (分销): its rule and one row per order (docs/commission.md).

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.db


class Migration(migrations.Migration):
    dependencies = [
        ("referral", "0009_share_opens"),
        ("points", "0011_commission_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CommissionRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "percent",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="The inviter's share of what the friend paid (5 = 5%), rounded down to a point.",
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0.01")),
                            django.core.validators.MaxValueValidator(Decimal("100")),
                        ],
                        verbose_name="commission (%)",
                    ),
                ),
                (
                    "days",
                    models.PositiveIntegerField(
                        default=365,
                        help_text="Only redemptions within this many days of the friend's binding earn (0 = no limit).",
                        verbose_name="days after binding",
                    ),
                ),
                (
                    "monthly_cap",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="At most this many commission points per inviter and calendar month (0 = no cap).",
                        verbose_name="monthly cap per inviter (points)",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("starts_at", models.DateTimeField(blank=True, null=True, verbose_name="starts at")),
                ("ends_at", models.DateTimeField(blank=True, null=True, verbose_name="ends at")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
            ],
            options={
                "verbose_name": "commission rule",
                "verbose_name_plural": "commission rules",
                "ordering": ["-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("percent__gt", 0), ("percent__lte", 100)),
                        name="referral_commission_rule_percent_range",
                        violation_error_code="percent",
                        violation_error_message="The commission must be more than 0%% and at most 100%%.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("starts_at__isnull", True),
                            ("ends_at__isnull", True),
                            ("ends_at__gt", models.F("starts_at")),
                            _connector="OR",
                        ),
                        name="referral_commission_rule_period_ordered",
                        violation_error_code="ends_at",
                        violation_error_message="The end must be after the start.",
                    ),
                ],
            },
            bases=(core.db.ConstraintErrorsOnFields, models.Model),
        ),
        migrations.CreateModel(
            name="Commission",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("order", models.PositiveBigIntegerField(unique=True, verbose_name="order")),
                ("price", models.BigIntegerField(verbose_name="points paid")),
                ("amount", models.PositiveIntegerField(verbose_name="commission (points)")),
                ("capped", models.BooleanField(default=False, verbose_name="cut by the monthly cap")),
                (
                    "status",
                    models.CharField(
                        choices=[("held", "held"), ("paid", "paid"), ("void", "void")],
                        default="held",
                        max_length=8,
                        verbose_name="status",
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "none"),
                            ("capped", "monthly cap reached"),
                            ("refunded", "the order was cancelled"),
                        ],
                        default="",
                        max_length=16,
                        verbose_name="reason",
                    ),
                ),
                ("local_date", models.DateField(verbose_name="local date")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("settled_at", models.DateTimeField(blank=True, null=True, verbose_name="paid or voided at")),
                (
                    "invitee",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="invitee",
                    ),
                ),
                (
                    "inviter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="inviter",
                    ),
                ),
                (
                    "referral",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="commissions",
                        to="referral.referral",
                        verbose_name="referral",
                    ),
                ),
                (
                    "transaction",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="points.transaction",
                        verbose_name="credit",
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="commissions",
                        to="referral.commissionrule",
                        verbose_name="rule",
                    ),
                ),
            ],
            options={
                "verbose_name": "commission",
                "verbose_name_plural": "commissions",
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["inviter", "-created_at", "-id"], name="referral_commission_recent"),
                    models.Index(fields=["inviter", "local_date"], name="referral_commission_month"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "paid"), _negated=True),
                            models.Q(("amount__gt", 0), ("transaction__isnull", False)),
                            _connector="OR",
                        ),
                        name="referral_commission_paid_has_credit",
                    )
                ],
            },
        ),
    ]
