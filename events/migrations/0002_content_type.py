"""The event's content type was `analytics`': renamed, so a permission to view events granted
before the move still holds."""

from django.db import migrations


def move(apps, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=target, model="event").exists():
        ContentType.objects.filter(app_label=source, model="event").update(app_label=target)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, editor: move(apps, source="analytics", target="events"),
            lambda apps, editor: move(apps, source="events", target="analytics"),
        )
    ]
