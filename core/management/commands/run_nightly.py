from django.core.management.base import BaseCommand, CommandError

from core.jobs import nightly_run


class Command(BaseCommand):
    help = "Run every nightly job now, in order (the same jobs Celery beat runs in production)."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="*", help="Run only these jobs, by name.")

    def handle(self, *args, only=None, **options):
        results = nightly_run(only=only, stdout=self.stdout)
        failed = [name for name, ok, _ in results if not ok]
        if failed:
            raise CommandError(f"nightly jobs failed: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS(f"{len(results)} nightly jobs done"))
