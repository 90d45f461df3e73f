from django.core.management.base import BaseCommand, CommandError

from checkin.services.settlement import BATCH_SIZE, round_settle, rounds_settle_due


class Command(BaseCommand):
    help = (
        "Settle every check-in round whose last window has closed (and finish any settlement left midway). "
        "Safe to run again at any time: each entry is paid once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, dest="round_id", help="Settle only this round.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, round_id=None, batch_size=BATCH_SIZE, **options):
        if round_id is not None:
            settlement = round_settle(round_id=round_id, batch_size=batch_size)
            self.stdout.write(f"round {round_id}: {settlement.outcome}, pool {settlement.pool}, {settlement.state}")
            return
        report = rounds_settle_due(batch_size=batch_size)
        if report.failed:
            raise CommandError(str(report))
        self.stdout.write(self.style.SUCCESS(str(report)))
