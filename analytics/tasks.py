from celery import shared_task

from analytics.services import analytics_nightly, automations_run, liability_nightly, tags_nightly


@shared_task
def analytics_nightly_task() -> str:
    return analytics_nightly()


@shared_task
def automations_run_task() -> str:
    return automations_run()


@shared_task
def liability_check_task() -> str:
    return liability_nightly()


@shared_task
def tags_compute_task() -> str:
    return tags_nightly()
