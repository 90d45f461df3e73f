from core.jobs import Job

NIGHTLY_JOBS = [
    # Group-buys past their deadline are refunded by a task at the deadline; these sweeps make sure
    # a lost task never strands money: every five minutes, and once in run_nightly.
    Job(
        order=55,
        name="groups_expire_due",
        task="campaigns.tasks.groups_expire_due_task",
        crontab="*/5 * * * *",
        nightly=False,
    ),
    Job(
        order=55,
        name="groups_expire_due_nightly",
        task="campaigns.tasks.groups_expire_due_task",
        crontab="35 17 * * *",
    ),
    # Assist tasks expire by a task at their deadline too; the same two sweeps return reserved rewards.
    Job(
        order=56,
        name="assists_expire_due",
        task="campaigns.tasks.assists_expire_due_task",
        crontab="*/5 * * * *",
        nightly=False,
    ),
    Job(
        order=56,
        name="assists_expire_due_nightly",
        task="campaigns.tasks.assists_expire_due_task",
        crontab="36 17 * * *",
    ),
    # Red packets expire by a task at their deadline; nothing is reserved, the sweeps only close them.
    Job(
        order=57,
        name="redpackets_expire_due",
        task="campaigns.tasks.redpackets_expire_due_task",
        crontab="*/5 * * * *",
        nightly=False,
    ),
    Job(
        order=57,
        name="redpackets_expire_due_nightly",
        task="campaigns.tasks.redpackets_expire_due_task",
        crontab="37 17 * * *",
    ),
]
