from core.jobs import Job

# Crontabs are in CELERY_TIMEZONE (UTC): 16:10 UTC is 00:10 in Asia/Shanghai.
NIGHTLY_JOBS = [
    Job(order=20, name="settle_rounds", task="checkin.tasks.settle_rounds_task", crontab="10 16 * * *"),
    Job(order=30, name="rebuild_leaderboards", task="checkin.tasks.rebuild_leaderboards_task", crontab="30 16 * * *"),
    # The morning reminder (07:00 Asia/Shanghai), not part of the nightly run.
    Job(
        order=50,
        name="checkin_reminders",
        task="checkin.tasks.send_reminders_task",
        crontab="0 23 * * *",
        nightly=False,
    ),
]
