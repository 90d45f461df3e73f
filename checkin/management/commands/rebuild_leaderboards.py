from django.core.management.base import BaseCommand

from checkin.services.leaderboards import leaderboards_rebuild


class Command(BaseCommand):
    help = "Rebuild the Redis leaderboards of every challenge (or the given ones) from the database."

    def add_arguments(self, parser):
        parser.add_argument("challenge_ids", nargs="*", type=int)

    def handle(self, *args, challenge_ids=None, **options):
        built = leaderboards_rebuild(challenge_ids=challenge_ids or None)
        if built == 0:
            self.stdout.write("no Redis configured (REDIS_URL unset): boards are read from the database")
        else:
            self.stdout.write(self.style.SUCCESS(f"rebuilt {built} board(s)"))
