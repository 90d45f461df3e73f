"""The plays' content types were `referral`'s: renamed, so every permission granted before the move
(operators' groups editing offers and campaigns) still holds. The beat entries name the sweeps
where they now live (campaigns.tasks).

A deadline task already queued under its old name (`referral.tasks.group_expire_task`) is no
longer registered and is dropped by the worker; the five-minute sweep expires that group or task
instead, so nothing waits longer than one sweep."""

from django.db import migrations

MODELS = ["groupbuyoffer", "groupbuygroup", "groupbuymember", "assistcampaign", "assisttask", "assisthelp"]
TASKS = {
    "referral.tasks.groups_expire_due_task": "campaigns.tasks.groups_expire_due_task",
    "referral.tasks.assists_expire_due_task": "campaigns.tasks.assists_expire_due_task",
}


def move(apps, *, source: str, target: str, tasks: dict[str, str]) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=target, model__in=MODELS).values_list("model", flat=True))
    ContentType.objects.filter(app_label=source, model__in=set(MODELS) - taken).update(app_label=target)
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in tasks.items():
        PeriodicTask.objects.filter(task=old).update(task=new)


def forwards(apps, schema_editor):
    move(apps, source="referral", target="campaigns", tasks=TASKS)


def backwards(apps, schema_editor):
    move(apps, source="campaigns", target="referral", tasks={new: old for old, new in TASKS.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
