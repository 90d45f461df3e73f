# A lottery may be kept for members carrying tags (core.Tag): docs/tags.md.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_lottery"), ("core", "0005_tags")]

    operations = [
        migrations.AddField(
            model_name="lottery",
            name="tags",
            field=models.ManyToManyField(
                blank=True,
                help_text="Only members carrying at least one of these tags see it and may draw (empty: everyone). "
                "Members without them do not see it in the list.",
                related_name="+",
                to="core.tag",
                verbose_name="tags required",
            ),
        ),
    ]
