"""Group-buys and assists refer to the mall's product and order (state only: same tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mall", "0001_initial"),
        ("referral", "0004_frozen_cuts_reward_source"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="assistcampaign",
                    name="product",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="The reward of an assist paid in a product, or the product a bargain sells.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assist_campaigns",
                        to="mall.product",
                        verbose_name="product",
                    ),
                ),
                migrations.AlterField(
                    model_name="assisttask",
                    name="order",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="mall.order",
                        verbose_name="order",
                    ),
                ),
                migrations.AlterField(
                    model_name="groupbuymember",
                    name="order",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="mall.order",
                        verbose_name="order",
                    ),
                ),
                migrations.AlterField(
                    model_name="groupbuyoffer",
                    name="product",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="groupbuy_offers",
                        to="mall.product",
                        verbose_name="product",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
