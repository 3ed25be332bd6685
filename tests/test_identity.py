"""Issue identity (cover, running headers, --issue, refusal) and article identity across converters."""

import pytest
from conftest import DATA

from kb.errors import BulletinError
from kb.importer import import_text
from kb.importer.identity import find_issue, make_id, parse_issue_arg, read_issue_mark, title_key

BODY = (
    "某某公司发布新产品\n\n某某公司今日发布了一款新的稀土永磁产品，性能提升明显。\n\n（来源：某某报）\n"
    "第二篇文章的标题\n\n第二篇文章的正文，写得足够长以便成为一个段落。\n\n（来源：某某网）\n"
)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("2020年 第 11期", (2020, 11, None, "")),
        ("离子型稀土信息简报                      2020年 第 11期 ", (2020, 11, None, "离子型稀土信息简报")),
        ("2020年第11期（总第85期）", (2020, 11, 85, "")),
        ("示例简报　2021年第5期（总第70期）　第 3 页", (2021, 5, 70, "示例简报")),
        ("2022年 第08期 总第106期", (2022, 8, 106, "")),
        ("2019年第十二期", (2019, 12, None, "")),
        ("- 7 - 示例简报 2021 年 第 5 期", (2021, 5, None, "示例简报")),
        ("２０２４年 第０１期 总第１２３期", (2024, 1, 123, "")),  # full-width digits
    ],
)
def test_issue_marks_on_page_furniture(line, expected):
    assert read_issue_mark(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "据《稀土》2023年第3期报道，某企业的新工艺已经投产。",  # a sentence quoting another journal
        "本刊2023年第3期刊登的文章引起了读者的广泛关注和热烈讨论，编辑部收到大量来信",
        "2023年第二季度稀土价格",  # no 期
    ],
)
def test_sentences_and_other_numbers_are_not_issue_marks(line):
    assert read_issue_mark(line) is None


def test_issue_from_cover():
    text = "示例稀土简报\n2021年 第05期 总第70期\n\n" + BODY
    result = import_text(text, "whatever-name.txt")
    assert result.issue.as_dict() == {
        "publication": "示例稀土简报",
        "year": 2021,
        "number": 5,
        "total": 70,
        "slug": "2021-05",
    }
    assert result.issue.found_in == "cover" and not result.errors
    assert all(a.id.startswith("2021-05-") for a in result.articles)


def test_issue_from_repeated_running_header_not_from_file_name():
    result = import_text(
        (DATA / "bulletin_running_header.txt").read_text(encoding="utf-8"), "001_dcab44cefc53b7b9.txt"
    )
    assert (result.issue.slug, result.issue.found_in, result.issue.publication) == (
        "2021-05",
        "running header",
        "示例稀土信息简报",
    )
    assert not any("001_" in a.id for a in result.articles)
    assert "示例稀土信息简报2021年第5期" not in [a.title for a in result.articles]


def test_a_quoted_issue_in_a_sentence_never_names_the_issue():
    text = BODY.replace("性能提升明显。", "据《稀土》2019年第3期报道，性能提升明显。")
    result = import_text(text, "x.txt")
    assert result.issue.year is None and result.errors


def test_two_different_issues_named_equally_often_are_ambiguous():
    texts = ["正文很长很长的一段，写到这里为止。"] * 50 + ["简报 2021年第5期", "简报 2021年第6期"]
    assert find_issue(texts) is None


def test_no_issue_anywhere_refuses_with_a_chinese_hint():
    result = import_text(BODY, "2020-11.txt")  # not even a file named like an issue counts
    assert result.issue.slug == ""
    assert result.errors and "--issue YYYY-NN" in result.errors[0] and "无法确定期号" in result.errors[0]


def test_issue_argument_names_the_issue_and_wins_over_the_text():
    given = import_text(BODY, "x.txt", issue="2020-11")
    assert (given.issue.slug, given.issue.found_in, given.errors) == ("2020-11", "--issue", [])
    assert given.articles[0].date_from == "issue" and given.articles[0].date == "2020-11"
    other = import_text("示例稀土简报\n2021年 第05期\n\n" + BODY, "x.txt", issue="2021年第6期")
    assert other.issue.slug == "2021-06"
    assert any("不一致" in w for w in other.warnings)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2020-11", (2020, 11)),
        ("2020/1", (2020, 1)),
        ("2020年第11期", (2020, 11)),
        ("２０２０－１１", (2020, 11)),
    ],
)
def test_issue_argument_forms(value, expected):
    assert parse_issue_arg(value) == expected


@pytest.mark.parametrize("value", ["11", "2020", "November 2020", "2020-11-05", ""])
def test_bad_issue_argument_is_a_clear_error(value):
    with pytest.raises(BulletinError) as error:
        parse_issue_arg(value)
    assert "YYYY-NN" in error.value.describe()


def test_title_key_ignores_spaces_punctuation_variants_and_width():
    same = [
        "工信部：聚焦稀土、光伏等优势产业链“杀手锏”技术",
        '工信部:聚焦稀土,光伏等优势产业链"杀手锏"技术',
        "工信部 ： 聚焦 稀土、光伏 等优势产业链 「杀手锏」 技术",
    ]
    assert len({title_key(t) for t in same}) == 1
    assert title_key("ＮｄＦｅＢ磁体 研究") == title_key("NdFeB磁体研究") == title_key("ndfeb 磁体研究")
    assert title_key("稀土价格上涨") != title_key("稀土价格下跌")
    assert make_id("2021-05", same[0]) == make_id("2021-05", same[2])
    assert make_id("2021-05", same[0]) != make_id("2021-06", same[0])


def test_gbk_copy_of_an_issue_lands_in_the_same_issue_with_the_same_ids(tmp_path):
    from kb.importer import import_file

    text = (DATA / "bulletin_running_header.txt").read_text(encoding="utf-8")
    utf8 = import_file(DATA / "bulletin_running_header.txt")
    gbk = tmp_path / "002_gbk.txt"
    gbk.write_bytes(text.encode("gb18030"))
    copy = import_file(gbk)
    assert copy.issue.slug == utf8.issue.slug == "2021-05"
    assert [a.id for a in copy.articles] == [a.id for a in utf8.articles]


def test_articles_with_one_title_in_one_issue_become_one_article():
    text = (
        "示例稀土简报\n2021年 第05期\n\n"
        + BODY
        + BODY.split("（来源：某某报）")[0]
        + "补充的一段文字。\n\n（来源：某某报）\n"
    )
    result = import_text(text, "x.txt")
    titles = [a.title for a in result.articles]
    assert len(titles) == len(set(titles)) == 2
    merged = result.articles[0]
    assert "补充的一段文字" in merged.body and "merged_duplicate" in result.flags[merged.id]
