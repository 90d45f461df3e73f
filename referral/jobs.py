from core.jobs import Job

NIGHTLY_JOBS = [
    # 01:30 in Asia/Shanghai: flag inviters whose invitees never became active.
    Job(
        order=50,
        name="flag_inactive_inviters",
        task="referral.tasks.flag_inactive_inviters_task",
        crontab="30 17 * * *",
    ),
    # Group-buys past their deadline are refunded by a task at the deadline; these sweeps make sure
    # a lost task never strands money: every five minutes, and once in run_nightly.
    Job(
        order=55,
        name="groups_expire_due",
        task="referral.tasks.groups_expire_due_task",
        crontab="*/5 * * * *",
        nightly=False,
    ),
    Job(
        order=55,
        name="groups_expire_due_nightly",
        task="referral.tasks.groups_expire_due_task",
        crontab="35 17 * * *",
    ),
]
NIGHTLY_JOBS += [
    # Assist tasks expire by a task at their deadline too; the same two sweeps return reserved rewards.
    Job(
        order=56,
        name="assists_expire_due",
        task="referral.tasks.assists_expire_due_task",
        crontab="*/5 * * * *",
        nightly=False,
    ),
    Job(
        order=56,
        name="assists_expire_due_nightly",
        task="referral.tasks.assists_expire_due_task",
        crontab="36 17 * * *",
    ),
]
