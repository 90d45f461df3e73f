"""The nightly voucher expiry's beat entry names the task where it now lives (mall.tasks)."""

from django.db import migrations

RENAMED = {"points.tasks.expire_coupons_task": "mall.tasks.expire_coupons_task"}


def rename(apps, schema_editor, names):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in names.items():
        PeriodicTask.objects.filter(task=old).update(task=new)


class Migration(migrations.Migration):
    dependencies = [
        ("mall", "0002_content_types"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, editor: rename(apps, editor, RENAMED),
            lambda apps, editor: rename(apps, editor, {new: old for old, new in RENAMED.items()}),
        )
    ]
