"""The mall's content types were `points`' (its permissions, `verify_coupon` among them, and the
groups that hold them follow): renamed, so every permission granted before the move still holds."""

from django.db import migrations

MODELS = ["store", "product", "order", "coupon", "stocklog"]


def to_mall(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="points", model__in=MODELS).update(app_label="mall")


def to_points(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="mall", model__in=MODELS).update(app_label="points")


class Migration(migrations.Migration):
    dependencies = [
        ("mall", "0001_initial"),
        ("points", "0008_mall_moved_out"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(to_mall, to_points)]
