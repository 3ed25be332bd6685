"""Article dates: own datelines, not dates quoted in the body; the issue's month otherwise."""

import pytest
from conftest import DATA

from kb.importer import import_file, import_text
from kb.importer.dates import article_date, read_dateline
from kb.importer.legal import read_document_header


@pytest.mark.parametrize(
    "body, expected",
    [
        ("8月4日，自然资源部召开座谈会。", "2022-08-04"),
        ("8月20日下午，省政府新闻办举行新闻发布会。", "2022-08-20"),
        ("2022年8月17日消息，工信部发布通知。", "2022-08-17"),
        ("新华社北京8月3日电 国务院常务会议部署工作。", "2022-08-03"),
        ("据彭博新闻8月5日报道，某公司获得许可。", "2022-08-05"),
        ("本报讯 8月9日，某协会召开年会。", "2022-08-09"),
        ("（记者 张三）\n\n8月9日，某协会召开年会。", "2022-08-09"),  # a byline before the dateline
        ("发布时间：2022-08-12\n\n正文。", "2022-08-12"),
        ("通知正文第一段。\n\n示例工业主管部门 2022年8月12日", "2022-08-12"),  # signature
        ("12月28日，某研究所发表论文。", "2021-12-28"),  # a month after the issue's: the year before
    ],
)
def test_datelines(body, expected):
    issue_month = 1 if expected.startswith("2021-12") else 8
    issue_year = 2022
    assert read_dateline(body, issue_year, issue_month) == expected


@pytest.mark.parametrize(
    "body",
    [
        "近日，工信部发布通知。",
        "日前，某研究所取得进展，成果于2022年7月28日发表。",
        "截至8月8日，氧化钕价格为80.25万元/吨。",  # a data date, not a dateline
        "稀土价格指数较2011年12月6日的历史高点下降了58%。",
        "2011年12月6日，稀土价格指数创下历史高点。",  # a dateline outside the issue's window is a quote
        "2023年是全面贯彻落实的关键之年。2023年6月8日，某会议召开。",
        "美国国防部8月5日宣布了新的合同。",  # a subject before the date is no dateline
    ],
)
def test_quoted_dates_are_not_the_article_date(body):
    assert read_dateline(body, 2022, 8) is None
    assert article_date(body, 2022, 8) == ("2022-08", "issue")


def test_patent_publication_date_is_the_article_date():
    patents = [{"number": "CN117446850A", "published": "2024-01-26"}]
    assert article_date("本发明公开了一种方法。", 2024, 1, patents=patents) == ("2024-01-26", "article")


def test_issue_without_a_month_number_dates_by_year():
    assert article_date("近日，某事发生。", 2021, None) == ("2021", "issue")
    assert article_date("近日，某事发生。", None, None) == (None, None)


def test_fixture_dates_and_date_from():
    result = import_file(DATA / "bulletin_running_header.txt")
    dates = {a.title: (a.date, a.date_from) for a in result.articles}
    assert dates["示例稀土价格月内小幅回升"] == ("2021-05-12", "article")  # not the 2011 high it quotes
    assert dates["某研究所在 NdFeB 磁体晶界扩散研究中取得进展"] == (
        "2021-05",
        "issue",
    )  # 近日; quoted 4月28日
    assert dates["关于开展示例稀土企业专项检查的通知"] == ("2021-04-30", "article")  # signature, not 6月1日
    assert dates["海外某稀土矿项目获得开采许可"] == ("2021-05-08", "article")
    assert dates["什么是离子吸附型稀土矿"] == ("2021-05", "issue")
    assert {a.year for a in result.articles} == {2021}
    flagged = [a.title for a in result.articles if "date_from_issue" in result.flags[a.id]]
    assert flagged == ["某研究所在 NdFeB 磁体晶界扩散研究中取得进展", "什么是离子吸附型稀土矿"]


def test_a_december_dateline_in_a_january_issue_keeps_the_issue_year_facet():
    text = (
        "示例稀土简报\n2024年 第01期\n\n某成果发表\n\n"
        "12月10日，某期刊在线发表了某团队的成果。\n\n（来源：某网）\n"
    )
    article = import_text(text, "x.txt").articles[0]
    assert article.date == "2023-12-10" and article.year == 2024


LAW = """# 某某资源管理条例

2019年3月2日 中华人民共和国国务院令第709号公布

2019年5月1日 施行

<!-- INFO END -->

第一条 为了加强管理，制定本条例。

第三十条 本条例自2019年5月1日起施行。
"""


def test_law_header_gives_issuer_published_and_effective():
    assert read_document_header(LAW.split("\n")[1:]) == {
        "issuer": "国务院",
        "published": "2019-03-02",
        "effective": "2019-05-01",
    }
    article = import_text(LAW, "law.md").articles[0]
    assert (article.issuer, article.published, article.effective, article.date) == (
        "国务院",
        "2019-03-02",
        "2019-05-01",
        "2019-03-02",
    )
    assert "INFO END" not in article.body


def test_amended_law_is_published_on_its_last_amendment_and_effective_from_its_clause():
    text = (
        "# 中华人民共和国某某法\n\n1986年3月19日 第六届全国人民代表大会常务委员会第十五次会议通过\n\n"
        "2009年8月27日 第十一届全国人民代表大会常务委员会第十次会议《关于修改部分法律的决定》第二次修正\n\n"
        "<!-- INFO END -->\n\n第一条 为了规范。\n\n第五十条 本法自1986年10月1日起施行。\n"
    )
    article = import_text(text, "law.md").articles[0]
    assert (article.issuer, article.published, article.effective) == (
        "全国人民代表大会常务委员会",
        "2009-08-27",
        "1986-10-01",
    )


def test_in_force_on_publication():
    texts = ["2001年5月1日 某某部令第3号发布", "第一条 为了规范。", "第九条 本办法自发布之日起施行。"]
    assert read_document_header(texts) == {
        "issuer": "某某部",
        "published": "2001-05-01",
        "effective": "2001-05-01",
    }
