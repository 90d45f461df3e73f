from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.demo import demo_history, seed_demo
from core.jobs import beat_schedule_install


class Command(BaseCommand):
    help = "Create the demo data (idempotent: running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="N",
            help="Also simulate N days of activity ending yesterday (needs time-machine from requirements-dev.txt).",
        )

    def handle(self, *args, history=0, **options):
        if not 0 <= history <= 366:
            raise CommandError("--history takes a number of days between 0 and 366")
        seed_demo(stdout=self.stdout)
        beat_schedule_install()
        if history:
            try:
                import time_machine  # noqa: F401
            except ImportError:
                raise CommandError("--history needs time-machine: pip install -r requirements-dev.txt") from None
            demo_history(days=history, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo ready; operator login {settings.DEMO_OPERATOR_USERNAME} / {settings.DEMO_OPERATOR_PASSWORD}"
            )
        )
