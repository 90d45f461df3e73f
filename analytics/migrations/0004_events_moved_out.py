"""Growth events leave `analytics` for the `events` app below every business app (state only: the
table `analytics_event` stays, now owned by `events`)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_product_in_mall'),
        ('events', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='Event',
                ),

            ],
            database_operations=[],
        ),
    ]
