from core.jobs import Job

# After settlement, expiry and the referral checks of the night (01:45 / 02:00 Asia/Shanghai).
NIGHTLY_JOBS = [
    Job(order=80, name="analytics_nightly", task="analytics.tasks.analytics_nightly_task", crontab="45 17 * * *"),
    Job(order=85, name="automations_run", task="analytics.tasks.automations_run_task", crontab="0 18 * * *"),
]
