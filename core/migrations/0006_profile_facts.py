# The member's optional profile facts (birthday, gender, city), given through `PATCH me`:
# docs/privacy.md; the birthday gift (docs/membership.md) and rule tags (docs/tags.md) read them.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0005_tags")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="birthday",
            field=models.DateField(blank=True, null=True, verbose_name="birthday"),
        ),
        migrations.AddField(
            model_name="user",
            name="city",
            field=models.CharField(db_default="", default="", blank=True, max_length=64, verbose_name="city"),
        ),
        migrations.AddField(
            model_name="user",
            name="gender",
            field=models.CharField(
                db_default="",
                blank=True,
                choices=[("", "not given"), ("male", "male"), ("female", "female")],
                default="",
                max_length=8,
                verbose_name="gender",
            ),
        ),
    ]
