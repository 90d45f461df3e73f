# Each product's cost in fen, for the margin on the growth dashboard.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("mall", "0005_order_price_paid")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="cost",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="What one unit costs you, in fen (1 yuan = 100 fen); empty: not known.",
                null=True,
                verbose_name="cost (fen)",
            ),
        ),
    ]
