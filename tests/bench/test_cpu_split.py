import pytest

from bench.cpu_split import cpu_by_group, group_of


@pytest.mark.parametrize(
    ("comm", "command", "group"),
    [
        ("postgres", "postgres: postgres bench 127.0.0.1(5512) idle", "pg"),
        ("python", "/work/.venv/bin/python /work/.venv/bin/gunicorn core.wsgi:application", "gunicorn"),
        ("locust", "/work/.venv/bin/python /work/.venv/bin/locust -f bench/locustfile.py", "locust"),
        ("redis-server", "/usr/bin/redis-server 127.0.0.1:6379", "redis"),
        ("bash", "bash", "other"),
    ],
)
def test_processes_are_grouped_by_what_they_are(comm, command, group):
    assert group_of(comm, command) == group


def test_the_cpu_this_test_has_used_is_counted():
    before = cpu_by_group().get("other", 0)
    sum(i * i for i in range(2_000_000))  # a few tens of milliseconds of this process's CPU
    assert cpu_by_group().get("other", 0) > before
