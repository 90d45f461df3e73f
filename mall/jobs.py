from core.jobs import Job

NIGHTLY_JOBS = [
    Job(order=40, name="expire_coupons", task="mall.tasks.expire_coupons_task", crontab="10 16 * * *"),
]
