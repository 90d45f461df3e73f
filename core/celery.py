"""The Celery application. Tasks live in each app's tasks.py and stay thin: ids in, one service call."""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("growth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task_name: str, *args, eta=None) -> None:
    """Queue the task `task_name` with `args` once the current transaction commits.

    By name, so that a service can schedule its own app's task without importing the tasks module
    that imports the service (no import circle). The name must be a registered task: a typo fails
    here, in the transaction, instead of vanishing into the broker.
    """
    from django.db import transaction

    task = registered_task(task_name)
    transaction.on_commit(lambda: task.apply_async(args=list(args), eta=eta))


def registered_task(task_name: str):
    """The task registered as `task_name` ("app.tasks.name"), importing its module first: outside a
    worker, Celery discovers tasks modules only when something imports them. KeyError if unknown."""
    importlib.import_module(task_name.rpartition(".")[0])
    return app.tasks[task_name]
