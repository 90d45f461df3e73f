# Level privileges (会员特权, docs/membership.md "Level privileges"): the mall discount, extra makeup
# cards a month, extra lottery draws a day and the birthday gift on each level, and the birthday
# gift's ledger kind (the kinds of the model at this point; 0011 adds the commission's).

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("points", "0009_play_transaction_kinds")]

    operations = [
        migrations.AddField(
            model_name="level",
            name="discount_percent",
            field=models.PositiveSmallIntegerField(db_default=0, 
                default=0,
                help_text="Percent off mall prices in points, 0-99. The points off are rounded down, so a product "
                "never costs less than 1 point.",
                validators=[django.core.validators.MaxValueValidator(99)],
                verbose_name="mall discount (% off)",
            ),
        ),
        migrations.AddField(
            model_name="level",
            name="extra_makeups_per_month",
            field=models.PositiveSmallIntegerField(db_default=0, 
                default=0,
                help_text="Makeup check-ins beyond a challenge's own limit, per calendar month, across all challenges.",
                verbose_name="extra makeup check-ins per month",
            ),
        ),
        migrations.AddField(
            model_name="level",
            name="extra_lottery_draws_per_day",
            field=models.PositiveSmallIntegerField(db_default=0, 
                default=0,
                help_text="Free draws added to every lottery's daily free draws (its daily limit still applies).",
                verbose_name="extra lottery draws per day",
            ),
        ),
        migrations.AddField(
            model_name="level",
            name="birthday_gift_points",
            field=models.PositiveIntegerField(db_default=0, 
                default=0,
                help_text="Points paid once a year on the member's birthday.",
                verbose_name="birthday gift (points)",
            ),
        ),
        migrations.AddConstraint(
            model_name="level",
            constraint=models.CheckConstraint(
                condition=models.Q(("discount_percent__lte", 99)),
                name="points_level_discount_below_100",
                violation_error_code="discount_percent",
                violation_error_message="The discount is at most 99%: a product always costs at least 1 point.",
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("task_reward", "task reward"),
                    ("signin", "daily sign-in"),
                    ("signin_makeup", "makeup sign-in"),
                    ("stake", "challenge stake"),
                    ("bonus", "pool bonus"),
                    ("payout", "challenge payout"),
                    ("refund", "refund"),
                    ("rollover", "pool rollover"),
                    ("checkin_makeup", "makeup check-in"),
                    ("referral_reward", "referral reward"),
                    ("redemption", "redemption"),
                    ("groupbuy", "group-buy"),
                    ("assist_reward", "assist reward"),
                    ("lottery_draw", "lottery draw"),
                    ("lottery_prize", "lottery prize"),
                    ("redpacket_share", "red packet share"),
                    ("redpacket_paid", "red packet paid"),
                    ("quiz_reward", "quiz reward"),
                    ("birthday_gift", "birthday gift"),
                    ("automation", "automation grant"),
                    ("admin_adjust", "manual adjustment"),
                    ("bulk_grant", "bulk grant"),
                    ("expiry", "expiry"),
                ],
                db_index=True,
                max_length=32,
                verbose_name="kind",
            ),
        ),
    ]
