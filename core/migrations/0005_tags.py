# Tags (用户标签) and the members who carry them (core.Tag, core.UserTag): docs/tags.md.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0004_verified_phone_history")]

    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=32, unique=True, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[("manual", "manual"), ("rule", "rule (computed nightly)")],
                        default="manual",
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=200, verbose_name="description")),
                ("computed_at", models.DateTimeField(blank=True, null=True, verbose_name="last computed at")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
            ],
            options={"verbose_name": "tag", "verbose_name_plural": "tags", "ordering": ["name"]},
        ),
        migrations.CreateModel(
            name="UserTag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="tagged at")),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="added by",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="core.tag",
                        verbose_name="tag",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="user_tags",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "member tag",
                "verbose_name_plural": "member tags",
                "constraints": [models.UniqueConstraint(fields=("tag", "user"), name="core_usertag_once")],
            },
        ),
    ]
