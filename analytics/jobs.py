from core.jobs import Job

# After settlement, expiry and the referral checks of the night (01:45 / 02:00 Asia/Shanghai).
NIGHTLY_JOBS = [
    Job(order=80, name="analytics_nightly", task="analytics.tasks.analytics_nightly_task", crontab="45 17 * * *"),
    # Rule tags after the segments they may read, before the automations that target them (01:50).
    Job(order=82, name="tags_compute", task="analytics.tasks.tags_compute_task", crontab="50 17 * * *"),
    Job(order=85, name="automations_run", task="analytics.tasks.automations_run_task", crontab="0 18 * * *"),
    # After expiry and every grant of the night, before the ledger audit (02:50 Asia/Shanghai).
    Job(order=90, name="liability_check", task="analytics.tasks.liability_check_task", crontab="50 18 * * *"),
]
