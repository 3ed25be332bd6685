import re
from pathlib import Path

import pytest
import yaml
from conftest import (
    BULLETIN,
    BULLETIN_CELLS,
    BULLETIN_TABS,
    DATA,
    DATA_FILES,
    POLICY,
    SEED_FILES,
    SEEDS,
    needs_seeds,
)

from kb.importer import import_file, import_text
from kb.importer.split import split_bulletin
from kb.importer.text import decode, normalise_title

EVAL = SEEDS.parent / "eval" / "dev-queries.yaml"


def squash(text):
    return re.sub(r"[\s|*#\-]+", "", text)


@pytest.mark.parametrize("seed", DATA_FILES + SEED_FILES, ids=lambda p: p.name[:20])
def test_every_content_line_lands_in_exactly_one_article(seed):
    result = import_file(seed)
    text = decode(seed.read_bytes())
    _, drafts, lines = split_bulletin(text, "x") if len(result.articles) > 1 else (None, None, None)
    if drafts is None:
        article = result.articles[0]
        body = squash(article.title + article.body)
        for line in text.split("\n"):
            if line.strip():
                assert squash(decode(line.encode()).strip()) in body or squash(line) in body
        return
    owner = {}
    for i, draft in enumerate(drafts):
        for line in draft.lines:
            assert line.no not in owner, f"line {line.no} is in two articles"
            owner[line.no] = i
    for line in lines:
        if line.is_content or line.joined_into:
            assert line.no in owner, f"{seed.name}:{line.no} is in no article: {line.text!r}"
    by_title = {a.title: a for a in result.articles}
    for draft in drafts:
        article = by_title[draft.title]
        haystack = squash(article.title + article.body)
        for line in draft.lines:
            if line.joined_into or not line.text.strip():
                continue
            for cell in line.text.split("\t"):
                assert squash(cell) in haystack, f"{seed.name}:{line.no} lost: {cell!r}"


@pytest.mark.parametrize(
    "queries, files",
    [
        (DATA / "dev-queries.yaml", DATA_FILES),
        pytest.param(EVAL, SEED_FILES, marks=needs_seeds),
    ],
    ids=["data", "shared"],
)
def test_dev_query_titles_are_articles(queries, files):
    wanted = yaml.safe_load(queries.read_text(encoding="utf-8"))
    titles = {}
    for seed in files:
        titles[seed.name] = {normalise_title(a.title) for a in import_file(seed).articles}
    for item in wanted:
        for rel in item["relevant"]:
            assert normalise_title(rel["title"]) in titles[rel["seed"]], rel


def test_excerpt_with_tab_tables_issue_numbers_and_plans():
    result = import_file(BULLETIN_TABS)
    assert result.issue.as_dict() == {
        "publication": "离子型稀土信息简报",
        "year": 2022,
        "number": 8,
        "total": 106,
        "slug": "2022-08",
    }
    plan = next(a for a in result.articles if a.type == "standard_plan")
    assert plan.section == "行业动态"
    assert {"GB/T 4137-2015", "GB/T 4138-2015", "GB/T 12690.12-2003"} <= set(plan.standards)
    assert "20220747-T-469" in plan.plan_numbers and "W20222365" in plan.plan_numbers
    rows = {r["plan_number"]: r for r in plan.plans if "foreign_plan_number" not in r}
    assert rows["20220753-T-469"]["replaces"] == "GB/T 4137-2015"
    market = next(a for a in result.articles if a.type == "market")
    assert any(p["product"] == "氧化镨钕" for p in market.prices)


def test_excerpt_with_numbers_broken_over_cell_lines():
    article = next(a for a in import_file(BULLETIN_CELLS).articles if "报批公示" in a.title)
    assert {"XB/T 403-2023", "XB/T 631-2023", "XB/T 617.8-2023"} <= set(article.standards)
    assert article.type == "standard_plan"


def test_excerpt_with_markdown_headings_patents_and_sections():
    result = import_file(BULLETIN)
    assert result.issue.slug == "2024-01" and len(result.articles) == 8
    patent = next(a for a in result.articles if a.patents and a.patents[0]["number"] == "CN117446850A")
    assert patent.type == "patent" and patent.section == "专利简介"
    assert patent.patents[0]["abstract"].startswith("本发明")
    assert {a.section: a.type for a in result.articles}["专利目录"] == "patent_list"


def test_excerpt_standalone_policy_is_one_article():
    (article,) = import_file(POLICY).articles
    assert article.title == "稀土行业发展规划（2016-2020年）" and article.type == "policy"


@needs_seeds
def test_bulletin_000_issue_sections_numbers_and_plans():
    result = import_file(SEEDS / "000_77bfed0df3362ec0.txt")
    assert result.issue.as_dict() == {
        "publication": "离子型稀土信息简报",
        "year": 2022,
        "number": 8,
        "total": 106,
        "slug": "2022-08",
    }
    assert len(result.articles) == 13
    plan = next(a for a in result.articles if a.type == "standard_plan")
    assert plan.section == "行业动态" and plan.source == "包头稀土研究院"
    assert {"GB/T 4137-2015", "GB/T 4138-2015", "GB/T 12690.12-2003", "GB/T 16477.1-2010"} <= set(
        plan.standards
    )
    assert "20220747-T-469" in plan.plan_numbers and "W20222365" in plan.plan_numbers
    assert "国标委发〔2022〕22号" in plan.doc_numbers
    rows = {r["plan_number"]: r for r in plan.plans if "foreign_plan_number" not in r}
    assert rows["20220753-T-469"]["replaces"] == "GB/T 4137-2015"
    assert rows["20220753-T-469"]["action"] == "修订"
    assert rows["20220762-T-469"]["name"].endswith("十五个稀土元素含量的测定")  # continued over a page break
    foreign = [r for r in plan.plans if r.get("foreign_plan_number") == "W20222365"]
    assert foreign and foreign[0]["plan_number"] == "20220762-T-469" and foreign[0]["language"] == "英文"
    quota = next(a for a in result.articles if "工信部联原〔2022〕90号" in a.doc_numbers)
    assert quota.type == "policy" and "GB 26451-2011" in quota.standards
    sections = {a.title: a.section for a in result.articles}
    assert sections["2022年8月稀土价格走势"] == "市场行情"
    assert sections["全方位解读磁性材料"] == "稀土知识"
    market = next(a for a in result.articles if a.type == "market" and a.prices)
    assert any(p["product"] == "氧化镨钕" and p["purity"].startswith("≥99%") for p in market.prices)
    assert "$" not in market.body and "Copyright" not in "".join(a.body for a in result.articles)


@needs_seeds
def test_bulletin_002_numbers_broken_over_lines_are_joined():
    result = import_file(SEEDS / "002_64e5ae6ac3e7075b.txt")
    article = next(a for a in result.articles if "报批公示" in a.title)
    assert {"XB/T 403-2023", "XB/T 631-2023", "XB/T 617.8-2023", "XB/T 632-2023", "XB/T 633-2023"} <= set(
        article.standards
    )
    assert article.type == "standard_plan"
    prices = next(a for a in result.articles if a.type == "market" and a.prices).prices
    assert len(prices) >= 20


@needs_seeds
def test_bulletin_004_patents_and_sections():
    result = import_file(SEEDS / "004_39445f6e3ed9601d.txt")
    patent = next(a for a in result.articles if a.patents and a.patents[0]["number"] == "CN117446850A")
    record = patent.patents[0]
    assert record["published"] == "2024-01-26" and record["inventors"][0] == "刘炜珍"
    assert record["title"] == patent.title and record["abstract"].startswith("本发明")
    assert patent.type == "patent" and patent.section == "专利简介"
    types = {a.section: a.type for a in result.articles}
    assert types["专利目录"] == "patent_list" and types["期刊目录"] == "journal_toc"
    assert types["文章摘要"] == "abstract"


@needs_seeds
def test_standalone_document_is_one_article():
    result = import_file(SEEDS / "003_5081cec3de1370b7.txt")
    assert len(result.articles) == 1
    article = result.articles[0]
    assert article.title == "稀土行业发展规划（2016-2020年）" and article.type == "policy"


def test_wrapped_title_and_paragraphs_are_joined():
    text = (
        "正文最后一句。\n（来源：甲）\n\n"
        "关于扩大战略性新兴产业投资 培育壮大新增长点增\n长极的指导意见\n"
        "国务院有关部门，各省、自治区、直辖市、新疆生产建设兵团发展改革委、科技\n"
        "厅，现将有关事项通知如下，请认真贯彻执行，确保各项任务落到实处并取得实效。\n"
        "（来源：发展改革委网站）\n"
    )
    result = import_text(text, "wrapped.txt")
    article = result.articles[-1]
    assert article.title == "关于扩大战略性新兴产业投资培育壮大新增长点增长极的指导意见"
    assert "发展改革委、科技厅，现将" in article.body


def test_running_headers_page_numbers_and_watermarks_are_dropped():
    lines = ["第一篇文章标题", "这是第一段正文，它很长很长，一直写到页面边缘也没有结束，然后"]
    lines += ["离子型稀土信息简报", "- 6 -", "行业动态"]
    lines += ["接着写完这一句。", "（来源：某报）"]
    result = import_text("\n".join(lines), "headers.txt")
    article = result.articles[0]
    assert "然后接着写完这一句。" in article.body
    reasons = {reason for _, reason, _ in result.dropped}
    assert {"page number", "running header"} <= reasons


def test_no_source_markers_is_one_document_and_says_so():
    result = import_text("某某管理办法\n\n第一条 为了规范管理，制定本办法。\n", "law.md")
    assert len(result.articles) == 1 and result.articles[0].type == "policy"


def test_ids_are_stable_and_url_safe():
    a = import_file(BULLETIN)
    b = import_file(BULLETIN)
    assert [x.id for x in a.articles] == [x.id for x in b.articles]
    assert len({x.id for x in a.articles}) == len(a.articles)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", x.id) for x in a.articles)


def test_law_with_front_matter(tmp_path):
    path = Path(tmp_path) / "law.md"
    path.write_text(
        "---\ntitle: 中华人民共和国矿产资源法\ndate: 1986-03-19\n---\n\n"
        "# 中华人民共和国矿产资源法\n\n第一条 为了发展矿业。\n",
        encoding="utf-8",
    )
    article = import_file(path).articles[0]
    assert article.title == "中华人民共和国矿产资源法" and article.date == "1986-03-19"


AMENDED = (
    "# 某市社会救助条例\n\n2018年11月22日 某市人民代表大会常务委员会第七次会议通过\n\n{history}"
    "## 第一章 总则\n\n第一条 为了加强社会救助，制定本条例。2030年1月1日起施行。\n"
)


def test_amended_versions_of_one_law_get_their_own_date_and_id():
    first = import_text(AMENDED.format(history=""), "v1.md").articles[0]
    second = import_text(AMENDED.format(history="2024年12月31日 第十八次会议修正\n\n"), "v2.md").articles[0]
    assert first.date == "2018-11-22"  # a date inside the body proper is not the version date
    assert second.date == "2024-12-31"
    assert first.id != second.id


def test_two_documents_with_one_id_in_one_import_are_a_conflict_not_a_silent_overwrite(tmp_path):
    from kb.content import plan_writes

    same = [import_text(AMENDED.format(history=""), name).articles[0] for name in ("a.md", "b.md")]
    same[1].body += "\n第二条 不同的正文。\n"
    planned = {}
    first, writes = plan_writes(same[:1], tmp_path, planned=planned)
    second, more = plan_writes(same[1:], tmp_path, planned=planned)
    assert len(writes) == 1 and more == []
    assert (
        second.conflicts
        and "某市社会救助条例" in second.conflicts[0]
        and "front matter" in second.conflicts[0]
    )
