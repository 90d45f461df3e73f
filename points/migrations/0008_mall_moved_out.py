"""The mall's models leave `points` (state only: their tables stay, now owned by `mall`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_product_in_mall"),
        ("points", "0007_lot_indexes"),
        ("referral", "0005_product_and_order_in_mall"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="order",
                    name="product",
                ),
                migrations.RemoveField(
                    model_name="order",
                    name="refund",
                ),
                migrations.RemoveField(
                    model_name="order",
                    name="store",
                ),
                migrations.RemoveField(
                    model_name="order",
                    name="transaction",
                ),
                migrations.RemoveField(
                    model_name="order",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="product",
                    name="level_required",
                ),
                migrations.RemoveField(
                    model_name="stocklog",
                    name="product",
                ),
                migrations.RemoveField(
                    model_name="stocklog",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="store",
                    name="staff",
                ),
                migrations.DeleteModel(
                    name="Coupon",
                ),
                migrations.DeleteModel(
                    name="Order",
                ),
                migrations.DeleteModel(
                    name="Product",
                ),
                migrations.DeleteModel(
                    name="StockLog",
                ),
                migrations.DeleteModel(
                    name="Store",
                ),
            ],
            database_operations=[],
        ),
    ]
