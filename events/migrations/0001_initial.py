"""The growth event, moved from `analytics` with its table: only Django's picture of it moves
(state); the table, its rows, index and constraint stay as they were."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    # The table was created by analytics' first migration: a new database builds it there.
    dependencies = [
        ('analytics', '0003_product_in_mall'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Event',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('registered', 'registered'), ('phone_verified', 'phone verified'), ('signed_in', 'signed in'), ('joined', 'joined a challenge'), ('checked_in', 'checked in'), ('won', 'won'), ('redeemed', 'redeemed'), ('invited', 'invited'), ('helped', 'helped')], max_length=16, verbose_name='kind')),
                        ('at', models.DateTimeField(verbose_name='at')),
                        ('channel', models.CharField(blank=True, max_length=32, verbose_name='channel')),
                        ('amount', models.BigIntegerField(default=0, verbose_name='amount')),
                        ('ref', models.CharField(blank=True, max_length=64, verbose_name='reference')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'event',
                        'verbose_name_plural': 'events',
                        'db_table': 'analytics_event',
                        'indexes': [models.Index(fields=['kind', 'at'], name='analytics_event_kind_at')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['registered', 'phone_verified', 'signed_in', 'joined', 'checked_in', 'won', 'redeemed', 'invited', 'helped'])), name='analytics_event_kind_valid')],
                    },
                ),

            ],
            database_operations=[],
        ),
    ]
