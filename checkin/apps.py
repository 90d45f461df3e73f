from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "checkin"
    verbose_name = _("Check-in challenges")

    def ready(self):
        # Register the Celery tasks in every process (run_nightly looks them up by name), not only
        # in workers, where autodiscovery imports them.
        from checkin import tasks  # noqa: F401
