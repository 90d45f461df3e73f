from django.core.management.base import BaseCommand

from core.jobs import beat_schedule_install


class Command(BaseCommand):
    help = "Create the missing Celery beat entries for the nightly jobs (edit them in admin afterwards)."

    def handle(self, *args, **options):
        created = beat_schedule_install()
        self.stdout.write(f"created: {', '.join(created) or 'nothing, all present'}")
