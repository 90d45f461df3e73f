"""Automations refer to the mall's product (state only: same table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_summaries_segments_automations"),
        ("mall", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="automationrule",
                    name="product",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="mall.product",
                        verbose_name="voucher product",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
