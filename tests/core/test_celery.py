"""Tasks queued by name: every name a service or a beat entry uses is a registered task."""

import pytest
from django.db import transaction

from core.celery import enqueue_on_commit, registered_task
from core.jobs import all_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_beat_entry_names_a_registered_task():
    for job in all_jobs():
        assert registered_task(job.task).name == job.task


def test_an_unknown_task_name_fails_in_the_transaction_not_in_the_broker():
    with pytest.raises(KeyError), transaction.atomic():
        enqueue_on_commit("campaigns.tasks.no_such_task", 1)
    with pytest.raises(ModuleNotFoundError):
        enqueue_on_commit("nowhere.tasks.expire", 1)


def test_a_queued_task_runs_after_commit_and_not_after_rollback(monkeypatch):
    ran = []
    task = registered_task("campaigns.tasks.group_expire_task")
    monkeypatch.setattr(task, "apply_async", lambda args, eta=None: ran.append((args, eta)))

    with transaction.atomic():
        enqueue_on_commit("campaigns.tasks.group_expire_task", 7, eta="later")
        assert ran == []  # not before the commit: the worker would not see the row yet
    assert ran == [([7], "later")]

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("campaigns.tasks.group_expire_task", 8)
        raise RuntimeError
    assert ran == [([7], "later")]
