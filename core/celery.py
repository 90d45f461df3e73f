"""The Celery application. Tasks live in each app's tasks.py and stay thin: ids in, one service call."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("growth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
