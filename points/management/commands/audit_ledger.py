from django.core.management.base import BaseCommand, CommandError

from points.services.audit import ledger_audit


class Command(BaseCommand):
    help = "Verify the ledger: balances sum to zero and match entries, no negative wallet, balanced transactions."

    def handle(self, *args, **options):
        report = ledger_audit()
        self.stdout.write(
            f"accounts: {report.accounts}, transactions: {report.transactions_checked}, "
            f"sum of balances: {report.total_balance}"
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"  PROBLEM: {problem}")
            raise CommandError(f"ledger audit failed: {len(report.problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS("ledger audit: ok"))
