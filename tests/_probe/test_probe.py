import time, os
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, give_points
from mall.models import Product

pytestmark = pytest.mark.django_db(transaction=True)


def test_probe(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    users = [UserFactory() for _ in range(60)]
    for u in users:
        give_points(u, 100000)
    product = ProductFactory(price=10, stock=100000, kind=Product.Kind.COUPON)
    clients = [client_for(u) for u in users]
    url = reverse("mall-redemptions")
    ping = "/api/me/ping"
    for c in clients[:5]:
        c.post(url, {"product": product.pk}, format="json")
        c.get(ping)
    N = int(os.environ.get("N", 200))
    t = time.perf_counter()
    for i in range(N):
        clients[i % 60].get(ping)
    tp = (time.perf_counter() - t) / N
    from pyinstrument import Profiler

    prof = Profiler(interval=0.0005) if os.environ.get("PROF") else None
    if prof:
        prof.start()
    t = time.perf_counter()
    for i in range(N):
        r = clients[i % 60].post(url, {"product": product.pk}, format="json")
        assert r.status_code == 201, r.content
    tr = (time.perf_counter() - t) / N
    if prof:
        prof.stop()
        print(prof.output_text(unicode=False, color=False, show_all=False))
    with CaptureQueriesContext(connection) as q:
        clients[7].post(url, {"product": product.pk}, format="json")
    for x in q.captured_queries:
        print(x["sql"][:160])
    print(f"PING {tp * 1000:.2f} ms  REDEEM {tr * 1000:.2f} ms  ratio {tp / tr:.3f} queries {len(q)}")
