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
            help="Also simulate N days of activity ending yesterday, so the dashboard has figures.",
        )

    def handle(self, *args, history=0, **options):
        if not 0 <= history <= 366:
            raise CommandError("--history takes a number of days between 0 and 366")
        seed_demo(stdout=self.stdout)
        beat_schedule_install()
        if history:
            demo_history(days=history, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                "demo ready; logins: "
                f"admin {settings.DEMO_ADMIN_USERNAME} / {settings.DEMO_ADMIN_PASSWORD} (superuser), "
                f"operator {settings.DEMO_OPERATOR_USERNAME} / {settings.DEMO_OPERATOR_PASSWORD} (运营), "
                f"store clerk {settings.DEMO_CLERK_USERNAME} / {settings.DEMO_CLERK_PASSWORD} (/staff/)"
            )
        )
