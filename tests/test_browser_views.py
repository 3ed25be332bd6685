"""The register pages in a real headless Chromium against a real `kb serve`, at desktop and phone widths.

Reuses the server and browser fixtures of test_browser.py; screenshots go to tests/screenshots/.
"""

import time

import pytest
from test_browser import SHOTS, browser, navigate, server  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser]

SIZES = {"desktop": (1280, 1000), "phone": (390, 844)}


def by():
    from selenium.webdriver.common.by import By

    return By


def shot(driver, name):
    driver.save_screenshot(str(SHOTS / f"views-{name}.png"))


def no_page_overflow(driver):
    """The page itself never scrolls sideways; only table boxes do."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def chart_pixels(driver):
    """Painted pixels on the chart's canvas (0 when nothing is drawn)."""
    return driver.execute_script("""
        var c = document.querySelector('#price-chart canvas');
        if (!c || !c.width || !c.height) return 0;
        var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
        for (var i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;""")


@pytest.mark.parametrize("size", SIZES)
def test_prices_and_a_product_chart(server, browser, size):  # noqa: F811
    browser.set_window_size(*SIZES[size])
    browser.get(server + "/prices")
    rows = browser.find_elements(by().CSS_SELECTOR, "table.prices tbody tr")
    assert len(rows) > 20
    assert no_page_overflow(browser)
    shot(browser, f"prices-{size}")
    navigate(browser, browser.find_element(by().LINK_TEXT, "氧化镨钕").click)
    assert "氧化镨钕" in browser.find_element(by().TAG_NAME, "h1").text
    deadline = time.time() + 10
    while chart_pixels(browser) < 500 and time.time() < deadline:
        time.sleep(0.2)
    assert chart_pixels(browser) >= 500  # uPlot drew axes, line and points
    assert browser.find_element(by().CSS_SELECTOR, "#price-chart canvas").size["width"] > 200
    assert "407.63" in browser.find_element(by().CSS_SELECTOR, "table.register").text
    assert no_page_overflow(browser)
    shot(browser, f"price-chart-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_register_filtered_by_a_sloppy_number(server, browser, size):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    browser.set_window_size(*SIZES[size])
    browser.get(server + "/standards")
    box = browser.find_element(by().NAME, "filter")
    navigate(browser, lambda: box.send_keys("gbt4137", Keys.ENTER))
    text = browser.find_element(by().CSS_SELECTOR, "table.standards tbody").text
    assert "GB/T 4137-2015" in text and "20220753-T-469" in text and "GB/T 4138-2015" not in text
    assert no_page_overflow(browser)
    if size == "phone":
        wrap = browser.find_element(by().CSS_SELECTOR, ".table-wrap")
        assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", wrap)
        number = browser.find_element(by().CSS_SELECTOR, "table.standards td.num a")
        line = browser.execute_script("return parseFloat(getComputedStyle(arguments[0]).lineHeight)", number)
        assert number.size["height"] <= line * 1.3  # the number stays on one line
    shot(browser, f"standards-gbt4137-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_lookup_shows_replaced_standard_and_successor(server, browser, size):  # noqa: F811
    browser.set_window_size(*SIZES[size])
    browser.get(server + "/lookup/XB/T 403-2012")
    life = browser.find_element(by().CSS_SELECTOR, ".card.life")
    assert "被代替" in life.text and "XB/T 403-2023" in life.text and "钆铁合金" in life.text
    shot(browser, f"lookup-replaced-{size}")
    navigate(browser, life.find_element(by().CSS_SELECTOR, "dd a.num").click)
    life = browser.find_element(by().CSS_SELECTOR, ".card.life")
    assert "XB/T 403-2023" in browser.find_element(by().TAG_NAME, "h1").text
    assert "代替" in life.text and "XB/T 403-2012" in life.text and "报批公示" in life.text
    assert no_page_overflow(browser)
    shot(browser, f"lookup-successor-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_patent_card_and_policies(server, browser, size):  # noqa: F811
    browser.set_window_size(*SIZES[size])
    browser.get(server + "/lookup/cn117446850a")
    card = browser.find_element(by().CSS_SELECTOR, ".patent-card")
    for text in ("一种从稀土废水中高效回收稀土氧化物的方法", "刘炜珍", "2024-01-26", "摘要"):
        assert text in card.text
    assert no_page_overflow(browser)
    shot(browser, f"patent-{size}")
    browser.get(server + "/policies")
    rows = browser.find_elements(by().CSS_SELECTOR, "table.policies tbody tr")
    assert len(rows) >= 5 and "工信部联原〔2022〕90号" in browser.find_element(by().TAG_NAME, "table").text
    assert no_page_overflow(browser)
    shot(browser, f"policies-{size}")
    navigate(browser, browser.find_element(by().PARTIAL_LINK_TEXT, "知识产权强省").click)
    panel = browser.find_element(by().CSS_SELECTOR, ".meta-panel dl.policy")
    assert "中共江西省委、江西省人民政府" in panel.text and "期限 2022–2035 年" in panel.text
    assert no_page_overflow(browser)
    shot(browser, f"policy-article-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_search_shows_the_product_card_first(server, browser, size):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    browser.set_window_size(*SIZES[size])
    browser.get(server + "/")
    navigate(browser, lambda: browser.find_element(by().ID, "q").send_keys("氧化镨钕 价格", Keys.ENTER))
    card = browser.find_element(by().CSS_SELECTOR, ".product-card")
    assert "氧化镨钕" in card.text and "407.63" in card.text
    first = browser.find_element(by().CSS_SELECTOR, "main .card")
    assert "product-card" in first.get_attribute("class")
    assert no_page_overflow(browser)
    shot(browser, f"search-product-{size}")


def test_facets_fold_above_results_on_a_phone(server, browser):  # noqa: F811
    browser.set_window_size(*SIZES["phone"])
    browser.get(server + "/?q=稀土")
    facets = browser.find_element(by().CSS_SELECTOR, ".facets")
    results = browser.find_element(by().CSS_SELECTOR, ".results")
    assert facets.location["y"] < results.location["y"]
    assert no_page_overflow(browser)
    shot(browser, "search-phone")


def test_csv_download(server, browser, tmp_path):  # noqa: F811
    browser.set_window_size(*SIZES["desktop"])
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.get(server + "/standards")
    browser.find_element(by().LINK_TEXT, "CSV").click()
    deadline = time.time() + 15
    while not list(tmp_path.glob("*.csv")) and time.time() < deadline:
        time.sleep(0.2)
    files = list(tmp_path.glob("*.csv"))
    assert files, "the CSV was not downloaded"
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "XB/T 403-2023" in raw.decode("utf-8-sig")


@pytest.mark.parametrize("article", ["2022-08-d35695f0", "2023-07-6d7b6c96", "2023-07-7f4e1112"])
def test_article_tables_scroll_inside_their_box_on_a_phone(server, browser, article):  # noqa: F811
    browser.set_window_size(*SIZES["phone"])
    browser.get(server + "/doc/" + article)
    tables = browser.find_elements(by().CSS_SELECTOR, "main table")
    assert tables and no_page_overflow(browser)
    for cell in browser.find_elements(by().CSS_SELECTOR, "main td")[:40]:
        if cell.text.strip():
            assert cell.size["width"] >= 40  # never one or two characters per column
    shot(browser, f"article-{article[-8:]}-phone")
