import time, os
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.mall.factories import give_points
from bench import fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _time(clients, N, call):
    t = time.perf_counter()
    for i in range(N):
        call(clients[i % len(clients)], i)
    return (time.perf_counter() - t) / N


def test_probe_draw_open():
    users = [UserFactory() for _ in range(120)]
    for u in users:
        give_points(u, 100000)
    clients = [client_for(u) for u in users]
    lottery, prizes = fixtures.lottery_with_stock()
    starters = [u.pk for u in users[100:]]
    packets = fixtures.redpackets_started(starters, needed=100)
    N = int(os.environ.get("N", 100))
    ping = lambda c, i: c.get("/api/me/ping")

    def draw(c, i):
        r = c.post(f"/api/lotteries/{lottery.pk}/draw", {}, format="json")
        assert r.status_code == 201, r.content

    def open_(c, i):
        r = c.post(f"/api/redpackets/{packets[(i // 100) % len(packets)].pk}/open", {}, format="json")
        assert r.status_code == 200, r.content

    _time(clients[:5], 5, ping)
    _time(clients[:5], 5, draw)
    _time(clients[:100], 100, lambda c, i: open_(c, i + 1900))  # every friend's first open (binding) on packet 19
    tp = _time(clients[:100], N, ping)
    from pyinstrument import Profiler

    prof = Profiler(interval=0.0005) if os.environ.get("PROF") == "draw" else None
    if prof:
        prof.start()
    td = _time(clients[:100], N, draw)
    if prof:
        prof.stop()
        print(prof.output_text(unicode=False, color=False))
    prof = Profiler(interval=0.0005) if os.environ.get("PROF") == "open" else None
    if prof:
        prof.start()
    to = _time(clients[:100], N, open_)
    if prof:
        prof.stop()
        print(prof.output_text(unicode=False, color=False))
    for name, call in (("DRAW", draw), ("OPEN", open_)):
        with CaptureQueriesContext(connection) as q:
            call(clients[93 if name == "DRAW" else 99], 100)
        print(name, "QUERIES", len(q))
        for x in q.captured_queries:
            print("  ", x["sql"][:150])
    print(f"PING {tp * 1000:.2f} ms  DRAW {td * 1000:.2f} ms ({tp / td:.3f})  OPEN {to * 1000:.2f} ms ({tp / to:.3f})")
