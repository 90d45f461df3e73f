from django.conf import settings
from django.core.management.base import BaseCommand

from core.demo import seed_demo
from core.jobs import beat_schedule_install


class Command(BaseCommand):
    help = "Create the demo data (idempotent: running it again changes nothing)."

    def handle(self, *args, **options):
        seed_demo(stdout=self.stdout)
        beat_schedule_install()
        self.stdout.write(
            self.style.SUCCESS(
                f"demo ready; operator login {settings.DEMO_OPERATOR_USERNAME} / {settings.DEMO_OPERATOR_PASSWORD}"
            )
        )
