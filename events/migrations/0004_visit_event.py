from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("events", "0003_play_event_kinds")]

    operations = [
        migrations.RemoveConstraint(model_name="event", name="analytics_event_kind_valid"),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(
                choices=[
                    ("registered", "registered"),
                    ("phone_verified", "phone verified"),
                    ("signed_in", "signed in"),
                    ("joined", "joined a challenge"),
                    ("checked_in", "checked in"),
                    ("won", "won"),
                    ("redeemed", "redeemed"),
                    ("invited", "invited"),
                    ("helped", "helped"),
                    ("drew", "drew a lottery"),
                    ("packet_opened", "opened a red packet"),
                    ("quizzed", "answered the daily quiz"),
                    ("visited", "visited a store"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "registered",
                            "phone_verified",
                            "signed_in",
                            "joined",
                            "checked_in",
                            "won",
                            "redeemed",
                            "invited",
                            "helped",
                            "drew",
                            "packet_opened",
                            "quizzed",
                            "visited",
                        ],
                    )
                ),
                name="analytics_event_kind_valid",
            ),
        ),
    ]
