"""A headless Chromium for the tests that need a real browser (Debian's chromium and
chromium-driver, driven by Selenium; .ci/run installs them)."""

import contextlib
import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


@contextlib.contextmanager
def headless_chromium(*, width: int = 1024, height: int = 1366):
    """A tablet-sized window (portrait), in Chinese. The flags keep Chromium off the network it
    would otherwise call home to (this machine has none)."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=zh-CN",
        f"--window-size={width},{height}",
    ]:
        options.add_argument(flag)
    # Headless Chromium asks for English whatever --lang says; the front desk's browsers are Chinese.
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
        try:
            driver.implicitly_wait(5)  # a click that loads a page returns before the page is there
            yield driver
        finally:
            driver.quit()
