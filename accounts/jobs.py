from core.jobs import Job

NIGHTLY_JOBS = [
    # 00:35 in Asia/Shanghai, on the new local day: the level's birthday gift to the members born on
    # it (docs/membership.md). Any number of runs pays each member once a year.
    Job(order=45, name="birthday_gifts", task="accounts.tasks.birthday_gifts_task", crontab="35 16 * * *"),
    # 02:30 in Asia/Shanghai: after settlement and the group-buy and assist sweeps (which may pay a
    # deleted member), before the ledger audit.
    Job(
        order=90,
        name="sweep_deleted_accounts",
        task="accounts.tasks.sweep_deleted_accounts_task",
        crontab="30 18 * * *",
    ),
]
