import pytest

from core.wechat import get_wechat_client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Factories hash a password per user; these tests never log in with one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def wechat():
    client = get_wechat_client()
    client.sent_messages.clear()
    yield client
    client.sent_messages.clear()
