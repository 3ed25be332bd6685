"""Patent and policy registers (kb/registers.py) and the register pages with their CSV / JSON exports."""

import csv
import io

import pytest

from kb.registers import build_patents, filter_policies, own_doc_number, policy_row


def test_policy_fields_from_front_matter_win():
    row = policy_row(
        {
            "id": "p",
            "title": "稀土管理条例",
            "type": "policy",
            "issue": "documents",
            "issuer": "国务院",
            "doc_number": "国令第785号",
            "published": "2024-06-22",
            "effective": "2024-10-01",
            "validity": "现行有效",
            "body": "",
            "doc_numbers": [],
        }
    )
    assert (row["issuer"], row["effective"], row["validity"], row["derived"]) == (
        "国务院",
        "2024-10-01",
        "现行有效",
        [],
    )


@pytest.mark.parametrize(
    "record, field, expected",
    [
        (
            {
                "doc_numbers": ["国发〔2011〕12号"],
                "issue": "documents",
                "body": "根据《若干意见》（国发〔2011〕12号）的要求",
            },
            "doc_number",
            "",
        ),  # a citation is not its number
        (
            {
                "doc_numbers": ["工信部联原〔2022〕90号"],
                "issue": "2022-08",
                "body": "通知工信部联原〔2022〕90号",
            },
            "issuer",
            "工业和信息化部等",
        ),
        (
            {
                "title": "关于加强知识产权强省建设的行动方案（2022—2035年）",
                "issue": "2022-08",
                "body": "近日，中共江西省委、江西省人民政府印发了"
                "《关于加强知识产权强省建设的行动方案（2022—2035年）》",
            },
            "issuer",
            "中共江西省委、江西省人民政府",
        ),
        (
            {"title": "稀土行业发展规划（2016-2020年）", "issue": "documents", "body": ""},
            "validity",
            "期限 2016–2020 年",
        ),
        ({"body": "本办法自2024年10月1日起施行。", "issue": "documents"}, "effective", "2024-10-01"),
        ({"source": "发展改革委网站", "issue": "x", "body": ""}, "issuer", "发展改革委"),
        ({"source": "青岛日报社", "issue": "x", "body": ""}, "issuer", ""),  # a newspaper did not issue it
    ],
)
def test_policy_fields_derived_by_rule(record, field, expected):
    record = {"id": "x", "title": "", "type": "policy", "doc_numbers": [], **record}
    row = policy_row(record)
    assert row[field] == expected
    assert (field in row["derived"]) == bool(expected)


def test_own_doc_number_in_a_bulletin_article():
    assert (
        own_doc_number(
            {
                "doc_numbers": ["国标委发〔2022〕22号"],
                "issue": "2022-08",
                "body": "《通知》（国标委发[2022]22号）正式发布",
            }
        )
        == "国标委发〔2022〕22号"
    )


def test_policy_filters():
    rows = [
        {
            "issuer": "国务院",
            "doc_number": "国发〔2011〕12号",
            "published": "2011-05",
            "effective": "",
            "validity": "",
            "title": "若干意见",
        },
        {
            "issuer": "工业和信息化部",
            "doc_number": "",
            "published": "2016-09",
            "effective": "",
            "validity": "期限 2016–2020 年",
            "title": "发展规划",
        },
    ]
    assert filter_policies(rows, doc_number="国发[2011]12号") == rows[:1]
    assert filter_policies(rows, issuer="工业和信息化部", year="2016", validity="期限") == rows[1:]


def test_patents_one_row_per_number():
    patent = {"number": "CN117446850A", "title": "方法", "inventors": ["甲", "乙"], "published": "2024-01-26"}
    rows = build_patents([{"id": "a", "patents": [patent]}, {"id": "b", "patents": [patent]}])
    assert len(rows) == 1 and rows[0]["inventors"] == "甲，乙" and rows[0]["article_id"] == "a"


# ------------------------------------------------------------------ pages and exports


@pytest.mark.parametrize("url", ["/prices", "/standards", "/patents", "/policies"])
def test_csv_exports_open_in_excel(client, url):
    response = client.get(url + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
    assert all("\u4e00" <= ch <= "\u9fff" for ch in rows[0][0])  # Chinese headers


def test_standards_csv_columns(client):
    rows = list(
        csv.DictReader(io.StringIO(client.get("/standards.csv?filter=xbt403").get_data().decode("utf-8-sig")))
    )
    assert [r["编号"] for r in rows] == ["XB/T 403-2012", "XB/T 403-2023"]
    assert rows[0]["被代替"] == "XB/T 403-2023" and rows[1]["代替"] == "XB/T 403-2012"
    assert rows[1]["阶段"] == "报批公示 2023-07-10" and rows[1]["名称"] == "钆铁合金"


@pytest.mark.parametrize("url", ["/prices.json", "/standards.json", "/patents.json", "/policies.json"])
def test_json_exports_are_paged_and_readable(client, url):
    response = client.get(url + "?limit=2")
    assert "\\u" not in response.get_data(as_text=True)  # UTF-8, not ASCII escapes
    data = response.get_json()
    assert {"total", "page", "limit", "next_url", "rows"} <= set(data) and len(data["rows"]) <= 2
    if data["total"] > 2:
        assert "page=2" in data["next_url"]
        assert client.get(data["next_url"]).get_json()["page"] == 2


def test_search_api_hits_carry_urls_not_paths(client):
    data = client.get("/api/search?q=稀土&limit=2").get_json()
    hit = data["hits"][0]
    assert "path" not in hit and hit["url"].endswith("/doc/" + hit["id"])
    assert hit["api_url"].endswith("/api/doc/" + hit["id"]) and "page=2" in data["next_url"]
    doc = client.get(hit["api_url"]).get_json()
    assert "path" not in doc and doc["url"] == hit["url"]


def test_search_results_as_csv(client):
    raw = client.get("/search.csv?q=钕铁硼").get_data()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert raw.startswith(b"\xef\xbb\xbf") and rows and rows[0]["链接"].startswith("http")
    every = client.get("/api/search?q=稀土&limit=1").get_json()["total"]
    assert (
        every > 10
        and len(
            list(
                csv.DictReader(
                    io.StringIO(client.get("/search.csv?q=稀土&limit=10").get_data().decode("utf-8-sig"))
                )
            )
        )
        == every
    )
    assert client.get("/search.csv").status_code == 400


def test_price_pages(client):
    html = client.get("/prices").get_data(as_text=True)
    assert "氧化镨钕" in html and "407.63" in html
    page = client.get("/price/氧化镨钕 ≥99%Nd2O375%").get_data(as_text=True)
    assert 'id="price-chart"' in page and "vendor/uplot/uPlot.iife.min.js" in page and "453.05" in page
    assert client.get("/price/nothing").status_code == 404
    assert client.get("/price/氧化镨钕 ≥99%Nd2O375%.json").get_json()["latest_price"] == 407.63


def test_search_shows_the_product_card_first(client):
    html = client.get("/?q=氧化镨钕 价格").get_data(as_text=True)
    assert 'class="card product-card"' in html
    assert html.index("product-card") < html.index('class="results"')


def test_lookup_shows_the_life_of_a_replaced_standard(client):
    html = client.get("/lookup/XB/T 403-2012").get_data(as_text=True)
    assert "被代替" in html and "XB/T 403-2023" in html and "钆铁合金" in html and "2023-07-10" in html


def test_lookup_of_a_patent_shows_its_card(client):
    html = client.get("/lookup/CN117446850A").get_data(as_text=True)
    assert 'class="card patent-card"' in html and "刘炜珍" in html and "2024-01-26" in html and "摘要" in html


def test_register_filter_reads_sloppy_numbers(client):
    html = client.get("/standards?filter=gbt4137").get_data(as_text=True)
    assert "GB/T 4137-2015" in html and "20220753-T-469" in html and "GB/T 4138-2015" not in html
    assert client.get("/standards?stage=nope").status_code == 400
    assert client.get("/standards?limit=x").status_code == 200
    assert client.get("/standards.json?limit=x").status_code == 400


def test_article_panels(client):
    html = client.get("/doc/2023-07-7f4e1112").get_data(as_text=True)  # table flattened to lines
    assert "价格表" in html and "/price/" in html and "453.05" in html
    html = client.get("/doc/2024-01-55f44156").get_data(as_text=True)  # the body has its own table
    assert "据正文表格整理" not in html
    html = client.get("/doc/2023-07-6d7b6c96").get_data(as_text=True)
    assert "本文涉及的标准" in html and "钆铁合金" in html
    html = client.get("/doc/2022-08-af7b4e3c").get_data(as_text=True)
    assert "发文机关" in html and "工信部联原〔2022〕90号" in html


def test_policies_page_filters(client):
    html = client.get("/policies?issuer=中共江西省委、江西省人民政府").get_data(as_text=True)
    assert "知识产权强省" in html and "总量控制指标" not in html


def test_lookup_api_carries_life_and_patent(client):
    data = client.get("/api/lookup/xbt403-2012").get_json()
    assert data["life"][0]["replaced_by"] == [{"number": "XB/T 403-2023", "how": "报批公示"}]
    assert data["articles"][0]["url"].endswith("/doc/2023-07-6d7b6c96")
    assert client.get("/api/lookup/CN117446850A").get_json()["patent"]["inventors"].startswith("刘炜珍")


@pytest.mark.parametrize(
    "value, cell",
    [
        ("-7.51%", "-7.51%"),
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+3.83%", "+3.83%"),
        ("+A1", "'+A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-x", "'-x"),
        ("稀土", "稀土"),
    ],
)
def test_csv_cells_never_run_as_formulas(value, cell):
    from webui.registers import _cell

    assert _cell(value) == cell
