"""The throughput figures compare with `me/ping` at the same concurrency: each simulated user of the
baseline keeps one token for the whole phase, as the subject's users do. (With a token per request,
100 tokens were 100 requests, a burst of new connections, not a rate: finding 31 of
docs/benchmarks.md.)"""

from bench import run


def test_the_baseline_around_a_subject_pings_for_the_whole_phase_with_a_token_per_user(monkeypatch):
    calls = []

    def locust(scenario, **kwargs):
        calls.append((scenario, kwargs))
        return {"rps": {"ping": 600.0, "redeem": 150.0}[scenario], "errors_5xx": 0}

    monkeypatch.setattr(run, "locust", locust)
    tally, base_rps, base_5xx = run.ping_around(
        {"phase": 6}, ["t1", "t2"], 100, lambda: locust("redeem", users=100, seconds=6, per_user=True)
    )

    assert [scenario for scenario, _ in calls] == ["ping", "redeem", "ping"]
    for scenario, kwargs in calls:
        assert (kwargs["users"], kwargs["seconds"], kwargs["per_user"]) == (100, 6, True), scenario
    assert (tally["rps"], base_rps, base_5xx) == (150.0, 600.0, False)
