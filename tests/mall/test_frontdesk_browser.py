"""The front-desk page in a real browser: a store clerk logs in on a tablet-sized screen, types a
patient's code, sees who it is, confirms, and finds it in today's list. The screenshots in docs/
come from this run (SCREENSHOTS_DIR=docs/screenshots)."""

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from mall.models import Coupon
from mall.services import redemption_create, store_staff_add
from tests.browser import headless_chromium
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, StoreFactory, give_points

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(driver, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_a_clerk_verifies_a_voucher_at_the_front_desk(live_server):
    store = StoreFactory(name="南山诊所")
    store_staff_add(store=store, username="clerk-nanshan", password="front-desk-2026", nickname="前台小王")
    patient = UserFactory(nickname="小艾", phone="13812345678", phone_verified=True)
    give_points(patient, 100)
    coupon = redemption_create(user=patient, product_id=ProductFactory(name="洗牙体验券", price=80).pk).coupons.get()

    with headless_chromium() as browser:
        browser.get(f"{live_server.url}/staff/")
        assert "/staff/login" in browser.current_url  # not logged in: the page's own login
        browser.find_element(By.ID, "username").send_keys("clerk-nanshan")
        browser.find_element(By.ID, "password").send_keys("front-desk-2026")
        browser.find_element(By.ID, "login").click()

        browser.find_element(By.ID, "code").send_keys(coupon.code.lower())
        browser.find_element(By.ID, "look-up").click()
        voucher = browser.find_element(By.ID, "voucher").text
        assert "小艾" in voucher and "138****5678" in voucher and "洗牙体验券" in voucher
        assert "13812345678" not in browser.page_source
        _shot(browser, "frontdesk-lookup")

        browser.find_element(By.ID, "confirm").click()
        assert "已核销" in browser.find_element(By.CLASS_NAME, "messages").text
        assert "小艾" in browser.find_element(By.ID, "today").text
        _shot(browser, "frontdesk-verified")

    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.USED and coupon.store == store
