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
from conftest import CONTENT, DATA

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
SHOTS = Path(__file__).resolve().parent / "screenshots"
ADMIN_TOKEN = "browser-test-token"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver not installed"),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    shutil.copytree(CONTENT, root / "content")
    port = free_port()
    env = {
        **os.environ,
        "KB_CONTENT": str(root / "content"),
        "KB_INDEX": str(root / "index"),
        "KB_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
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
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--disable-gpu",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(10)  # a form submitted with Enter may still show the old page for a moment
    SHOTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def test_search_facet_article_and_lookup(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server + "/")
    box = browser.find_element(By.ID, "q")
    assert browser.switch_to.active_element == box  # focused on arrival
    navigate(browser, lambda: box.send_keys("钕铁硼", Keys.ENTER))
    marks = browser.find_elements(By.CSS_SELECTOR, ".snippet mark")
    assert marks and marks[0].text == "钕铁硼"
    browser.save_screenshot(str(SHOTS / "1-search.png"))

    facet = browser.find_element(By.CSS_SELECTOR, ".facets a.facet")
    label = facet.text.split()[0]
    navigate(browser, facet.click)
    assert browser.find_elements(By.CSS_SELECTOR, ".facets a.active")
    assert label in browser.find_element(By.CSS_SELECTOR, ".facets a.active").text
    browser.save_screenshot(str(SHOTS / "2-facet.png"))

    first = browser.find_element(By.CSS_SELECTOR, ".hit h3 a")
    title = first.text
    navigate(browser, first.click)
    assert browser.find_element(By.TAG_NAME, "h1").text == title
    assert browser.find_elements(By.CSS_SELECTOR, ".body mark")
    browser.save_screenshot(str(SHOTS / "3-article.png"))

    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    box = browser.switch_to.active_element
    assert box.get_attribute("id") == "q"

    browser.get(server + "/")
    box = browser.find_element(By.ID, "q")
    navigate(browser, lambda: box.send_keys("gbt4137", Keys.ENTER))
    card = browser.find_element(By.CSS_SELECTOR, ".card")
    assert "20220753-T-469" in card.text and "GB/T 4137" in card.text
    browser.save_screenshot(str(SHOTS / "4-number-card.png"))
    navigate(browser, card.find_element(By.CSS_SELECTOR, "h2 a").click)
    assert "编号查询" in browser.find_element(By.TAG_NAME, "h1").text
    assert "稀土硅铁合金" in browser.find_element(By.CSS_SELECTOR, ".card").text
    browser.save_screenshot(str(SHOTS / "5-lookup.png"))

    browser.set_window_size(390, 844)
    browser.get(server + "/?q=稀土")
    browser.save_screenshot(str(SHOTS / "6-phone.png"))
    assert browser.find_elements(By.CSS_SELECTOR, ".hit")


def submit(browser, button):
    """Click a button that submits a form, and wait for the next page."""
    navigate(browser, button.click)


def navigate(browser, action):
    """Do what loads a new page (a click, Enter in a form) and wait until the old page is gone,
    so the next lookup never finds an element of the page being left."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    action()

    def gone(_):
        # expected_conditions.staleness_of, but Chromium may also answer mid-navigation that the
        # node "does not belong to the document" (a plain WebDriverException): gone as well
        try:
            page.is_enabled()
        except WebDriverException:  # (StaleElementReferenceException is one)
            return True
        return False

    WebDriverWait(browser, 60).until(gone)


def test_admin_upload_review_confirm_and_update(server, browser):
    """Staff upload an issue, read the Chinese review, confirm, re-import another converter's text
    (confirming the replacement), update the index and read a plain result."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1280, 1000)
    browser.get(server + "/admin/login")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    submit(browser, browser.find_element(By.XPATH, "//input[@id='token']/ancestor::form//button"))
    assert "导入新一期" in browser.find_element(By.TAG_NAME, "h1").text

    browser.find_element(By.ID, "issue").send_keys(str(DATA / "bulletin_running_header.txt"))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]"))
    assert (
        browser.find_element(By.ID, "review-issue").text
        == "期号：示例稀土信息简报 2021年第5期 → content/2021-05/"
    )
    assert browser.find_element(By.ID, "review-summary").text == "文章 5 篇：新增 5"
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#review-table th")]
    assert headers == ["操作", "栏目", "类型", "标题", "来源", "日期", "提示"]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in browser.find_elements(By.CSS_SELECTOR, "#review-table tbody tr")
    ]
    assert [
        "新增",
        "（无栏目）",
        "政策",
        "关于开展示例稀土企业专项检查的通知",
        "示例工业主管部门",
        "2021-04-30",
        "",
    ] in rows
    assert any(r[3] == "什么是离子吸附型稀土矿" and r[6] == "日期取自期号" for r in rows)
    browser.save_screenshot(str(SHOTS / "7-admin-review.png"))
    assert not browser.find_elements(By.ID, "confirmed")  # a new issue replaces nothing
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#confirm-form button"))
    assert "已写入 content/2021-05/" in browser.find_element(By.ID, "import-result").text

    browser.find_element(By.ID, "issue").send_keys(str(DATA / "bulletin_running_header_variant.txt"))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]"))
    cells = browser.find_elements(By.CSS_SELECTOR, "#review-table tbody td:first-child")
    actions = [td.text.split("\n")[0] for td in cells]
    assert len(actions) == 5 and set(actions) == {"修改"}
    browser.find_element(By.CSS_SELECTOR, "#confirm-form button").click()  # not yet ticked: refused
    assert browser.find_element(By.ID, "confirmed").get_attribute("required") == "true"
    browser.find_element(By.ID, "confirmed").click()
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#confirm-form button"))
    result = browser.find_element(By.ID, "import-result").text
    assert "已写入 content/2021-05/" in result and "修改 5" in result

    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[value=update]"))

    def finished_status(b):  # the status element is replaced as the page polls: read it in one go
        element = b.find_element(By.ID, "index-status")
        return element.text if element.get_attribute("data-state") in ("done", "failed") else None

    status = WebDriverWait(
        browser, 120, poll_frequency=0.5, ignored_exceptions=(StaleElementReferenceException,)
    ).until(finished_status)
    assert status.startswith("索引更新完成：新增 5 篇，更新 0 篇，删除 0 篇，用时"), status
    assert "{" not in status
    browser.save_screenshot(str(SHOTS / "8-admin-index.png"))
    browser.get(server + "/?q=离子吸附型稀土矿")
    assert "什么是离子吸附型稀土矿" in browser.find_element(By.CSS_SELECTOR, ".hit h3").text
