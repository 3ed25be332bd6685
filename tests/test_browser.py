"""One real-server smoke test: `kb serve` on a free loopback port, driven by headless Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CONTENT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
SHOTS = Path(__file__).resolve().parent / "screenshots"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver not installed")]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    shutil.copytree(CONTENT, root / "content")
    port = free_port()
    env = {**os.environ, "KB_CONTENT": str(root / "content"), "KB_INDEX": str(root / "index")}
    proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("kb serve did not answer: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    proc.stdout.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def test_search_facet_article_and_lookup(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server + "/")
    box = browser.find_element(By.ID, "q")
    assert browser.switch_to.active_element == box  # focused on arrival
    box.send_keys("钕铁硼", Keys.ENTER)
    marks = browser.find_elements(By.CSS_SELECTOR, ".snippet mark")
    assert marks and marks[0].text == "钕铁硼"
    browser.save_screenshot(str(SHOTS / "1-search.png"))

    facet = browser.find_element(By.CSS_SELECTOR, ".facets a.facet")
    label = facet.text.split()[0]
    facet.click()
    assert browser.find_elements(By.CSS_SELECTOR, ".facets a.active")
    assert label in browser.find_element(By.CSS_SELECTOR, ".facets a.active").text
    browser.save_screenshot(str(SHOTS / "2-facet.png"))

    first = browser.find_element(By.CSS_SELECTOR, ".hit h3 a")
    title = first.text
    first.click()
    assert browser.find_element(By.TAG_NAME, "h1").text == title
    assert browser.find_elements(By.CSS_SELECTOR, ".body mark")
    browser.save_screenshot(str(SHOTS / "3-article.png"))

    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    box = browser.switch_to.active_element
    assert box.get_attribute("id") == "q"

    browser.get(server + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("gbt4137", Keys.ENTER)
    card = browser.find_element(By.CSS_SELECTOR, ".card")
    assert "20220753-T-469" in card.text and "GB/T 4137" in card.text
    browser.save_screenshot(str(SHOTS / "4-number-card.png"))
    card.find_element(By.CSS_SELECTOR, "h2 a").click()
    assert "编号查询" in browser.find_element(By.TAG_NAME, "h1").text
    assert "稀土硅铁合金" in browser.find_element(By.CSS_SELECTOR, ".card").text
    browser.save_screenshot(str(SHOTS / "5-lookup.png"))

    browser.set_window_size(390, 844)
    browser.get(server + "/?q=稀土")
    browser.save_screenshot(str(SHOTS / "6-phone.png"))
    assert browser.find_elements(By.CSS_SELECTOR, ".hit")
