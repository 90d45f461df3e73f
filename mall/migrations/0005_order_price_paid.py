# The price actually paid (docs/membership.md "Level privileges"): an order records its level
# discount, in percent and in points; `points` stays what was paid, so list price = points +
# discount_points. Existing orders had no discount: the defaults (0) are their truth.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("mall", "0004_constraint_messages")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="discount_percent",
            field=models.PositiveSmallIntegerField(db_default=0, default=0, verbose_name="level discount (% off)"),
        ),
        migrations.AddField(
            model_name="order",
            name="discount_points",
            field=models.BigIntegerField(db_default=0, default=0, verbose_name="discount (points)"),
        ),
        migrations.AlterField(
            model_name="order",
            name="points",
            field=models.BigIntegerField(help_text="Points paid, after the level discount.", verbose_name="points"),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(("discount_points__gte", 0), ("discount_percent__lte", 99)),
                name="points_order_discount_valid",
            ),
        ),
    ]
