import pytest
from django.core.management import call_command


def test_schema_generates_without_warnings_or_errors(tmp_path, capsys):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning into a failure.
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")

    text = out.read_text()
    assert "/api/auth/wechat/login" in text
    assert "/api/me" in text


@pytest.mark.django_db
def test_docs_page_loads_no_internet_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # Every script and stylesheet comes from our own static files (the sidecar), none from a CDN.
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_schema_endpoint_is_public(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
