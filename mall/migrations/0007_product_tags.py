# A product may be kept for members carrying tags (core.Tag): docs/tags.md.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("mall", "0006_product_cost"), ("core", "0005_tags")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="tags",
            field=models.ManyToManyField(
                blank=True,
                db_table="mall_product_tags",
                help_text="Only members carrying at least one of these tags see and may redeem it (empty: everyone). "
                "Members without them do not see it in the mall.",
                related_name="+",
                to="core.tag",
                verbose_name="tags required",
            ),
        ),
    ]
