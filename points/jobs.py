from core.jobs import Job

NIGHTLY_JOBS = [
    Job(order=10, name="expire_points", task="points.tasks.expire_lots_task", crontab="0 16 * * *"),
    # Last: after settlement, expiry and grants, the ledger must still balance.
    Job(order=99, name="audit_ledger", task="points.tasks.audit_ledger_task", crontab="0 19 * * *"),
]
