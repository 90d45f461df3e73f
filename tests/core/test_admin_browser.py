"""The operator's admin in a real browser: the ordered home and a customer's profile render in
Chinese. The screenshots in docs/ come from this run (SCREENSHOTS_DIR=docs/screenshots)."""

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By

from mall.services import redemption_create, roles_seed
from tests.browser import headless_chromium
from tests.factories import StaffFactory, UserFactory
from tests.mall.factories import ProductFactory, give_points
from tests.mall.test_frontdesk_browser import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_sees_their_home_first_and_a_customer_profile(live_server):
    roles_seed()
    operator = StaffFactory(username="operator-zhou", nickname="运营小周")
    operator.groups.add(Group.objects.get(name="运营"))
    patient = UserFactory(nickname="小艾", phone="13812345678", phone_verified=True)
    give_points(patient, 500)
    redemption_create(user=patient, product_id=ProductFactory(name="洗牙体验券", price=80).pk)

    with headless_chromium(width=1280, height=1000) as browser:
        browser.get(f"{live_server.url}/admin/login/")
        browser.find_element(By.ID, "id_username").send_keys("operator-zhou")
        browser.find_element(By.ID, "id_password").send_keys("staff-password-2026")
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

        captions = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#content-main caption")]
        assert captions[0] == "增长分析" and "积分商城" in captions[:4]
        _shot(browser, "admin-home")

        browser.get(f"{live_server.url}/admin/accounts/customer/{patient.pk}/change/")
        page = browser.find_element(By.ID, "content").text
        assert "小艾" in page and "138****5678" in page and "积分与等级" in page and "洗牙体验券" in page
        _shot(browser, "customer-profile")
