from django.core.management.base import BaseCommand

from checkin.services.reminders import reminders_send


class Command(BaseCommand):
    help = "Send today's check-in reminders (subscribe messages) to enrolled users who have not checked in."

    def handle(self, *args, **options):
        self.stdout.write(f"sent {reminders_send()} reminder(s)")
