# The distribution commission's ledger kind (referral.Commission, docs/commission.md), written
# with every kind of the model at this point (the level privileges' birthday gift included).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("points", "0010_level_privileges")]

    operations = [
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
                    ("commission", "distribution commission"),
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
