from core.jobs import Job

NIGHTLY_JOBS = [
    # 02:30 in Asia/Shanghai: after settlement and the group-buy and assist sweeps (which may pay a
    # deleted member), before the ledger audit.
    Job(
        order=90,
        name="sweep_deleted_accounts",
        task="accounts.tasks.sweep_deleted_accounts_task",
        crontab="30 18 * * *",
    ),
]
