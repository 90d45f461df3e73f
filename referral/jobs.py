from core.jobs import Job

NIGHTLY_JOBS = [
    # 01:30 in Asia/Shanghai: flag inviters whose invitees never became active.
    Job(
        order=50,
        name="flag_inactive_inviters",
        task="referral.tasks.flag_inactive_inviters_task",
        crontab="30 17 * * *",
    ),
]
