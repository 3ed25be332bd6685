"""The PDF reader on bulletin PDFs generated here (kb/testing/pdfmaker.py), and converter texts of them.

The articles are made up for these tests; each PDF is printed the way bulletins are (cover, 目次 page,
running headers with the bulletin and section name, `- n -` / `第 n 页` footers, ruled tables with
narrow number columns) and must come back as the articles it was printed from.
"""

import io
import json
import re
import shutil
import subprocess

import pytest

from kb.errors import BulletinError
from kb.importer import import_file, read_source
from kb.importer.text import clean_line
from kb.testing import pdfmaker

pytest.importorskip("reportlab", reason="the test PDFs are made with ReportLab (pip install '.[test]')")
pytest.importorskip("pdfplumber", reason="the PDF reader needs pdfplumber")
if not pdfmaker.have_font():
    pytest.skip("no CJK TrueType font (apt-get install fonts-wqy-zenhei)", allow_module_level=True)

SENTENCES = [
    "该项目围绕中重稀土高效利用开展攻关，形成了从原料提纯到器件制备的完整工艺路线。",
    "企业负责人表示，新建产线采用全流程自动化控制，单位产品能耗较上一代装置下降约三成。",
    "专家指出，稀土功能材料的高端化需要上下游协同，应加快建立覆盖回收利用环节的标准体系。",
    "试验结果显示，样品在高温高湿环境下保持稳定，磁性能衰减明显小于对照组。",
    "地方主管部门将继续完善配套政策，引导社会资本投向绿色冶炼和尾矿综合治理项目。",
    "研究团队同时建立了杂质元素的快速检测方法，检测周期由原来的两天缩短到四小时以内。",
    "会议认为，当前稀土市场供需总体平衡，但部分产品价格波动较大，需要加强监测预警。",
    "下一步，双方将在人才培养、联合实验室建设和成果转化等方面开展更深层次的合作。",
]


def paragraph(seed, sentences=5):
    return "".join(SENTENCES[(seed + i * 3) % len(SENTENCES)] for i in range(sentences))


def body(seed, paragraphs=4, extra=""):
    parts = [paragraph(seed + i) for i in range(paragraphs)]
    return "\n\n".join(parts + ([extra] if extra else []))


PLAN_TABLE = """| 序号 | 计划号 | 项目名称 | 制修订 | 代替标准号 | 归口单位 |
|---|---|---|---|---|---|
| 1 | 20250311-T-469 | 稀土永磁体表面防护涂层耐盐雾试验方法 | 制定 |  | 全国稀土标准化技术委员会 |
| 2 | 20250312-T-469 | 稀土硅镁合金化学分析方法 | 修订 | GB/T 4138-2015 | 全国稀土标准化技术委员会 |
| 3 | 20250313-T-469 | 氧化钆铽荧光粉 | 修订 | XB/T 403-2023 | 全国稀土标准化技术委员会 |
| 4 | W20253301 | 氯化钐（英文版） | 制定 |  | 全国稀土标准化技术委员会 |"""

SCRIPT_PARAGRAPH = (
    "团队用光谱表征了 Nd₂Fe₁₄B 晶粒边界处的电子结构，发现 Ce³⁺ 离子的 4f¹5d⁰ 组态"
    "在退火后明显增多，并据此解释了矫顽力提高约 12% 的原因，相关数据已通过第三方复核。"
    "这一发现为低成本高丰度稀土永磁材料的设计提供了新的依据。"
)

ARTICLES = [
    pdfmaker.PdfArticle("某稀土集团智能分离工厂正式投产", body(0, 5), "行业动态", "稀土产业观察"),
    pdfmaker.PdfArticle("两部门部署稀土行业安全生产专项检查工作", body(1, 3), "行业动态", "某省应急管理厅"),
    pdfmaker.PdfArticle(
        "新型铈基永磁材料研究取得进展",
        body(2, 2, SCRIPT_PARAGRAPH) + "\n\n" + paragraph(5),
        "科技前沿",
        "材料研究前沿",
    ),
    pdfmaker.PdfArticle(
        "国家标准委下达2025年第一批稀土国家标准制修订计划",
        paragraph(3) + "\n\n" + PLAN_TABLE + "\n\n" + paragraph(6, 3),
        "政策法规",
        "标准化动态",
    ),
    pdfmaker.PdfArticle("稀土废料回收利用管理办法征求意见", body(4, 4), "政策法规", "资源综合利用网"),
    pdfmaker.PdfArticle("三月主要稀土产品价格小幅回落", body(7, 3), "市场行情", "价格监测中心"),
]

EXPECTED_NUMBERS = {
    "standards": {"GB/T 4138-2015", "XB/T 403-2023"},
    "plan_numbers": {"20250311-T-469", "20250312-T-469", "20250313-T-469", "W20253301"},
}


def make_issue(**options):
    values = {
        "articles": [pdfmaker.PdfArticle(a.title, a.body, a.section, a.source) for a in ARTICLES],
        "year": 2025,
        "number": 3,
        "total": 150,
    }
    values.update(options)
    return pdfmaker.PdfIssue(**values)


@pytest.fixture(scope="module")
def bulletin(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "2025-03.pdf"
    pages = pdfmaker.render_issue(make_issue(footer="dash", header="split"), path)
    assert pages >= 6, "the test issue should run over several pages"
    return path


@pytest.fixture(scope="module")
def imported(bulletin):
    return import_file(bulletin)


def titles(result):
    return [a.title for a in result.articles]


def test_pdf_gives_the_articles_it_was_printed_from(imported):
    assert imported.reader == "pdf"
    assert titles(imported) == [a.title for a in ARTICLES]
    assert [a.section for a in imported.articles] == [a.section for a in ARTICLES]
    assert [a.source for a in imported.articles] == [a.source for a in ARTICLES]
    issue = imported.issue
    assert (issue.publication, issue.year, issue.number, issue.total) == ("离子型稀土信息简报", 2025, 3, 150)
    assert [e.title.split(" ..")[0] for e in issue.toc][:2] == [a.title for a in ARTICLES[:2]]


def test_numbers_wrapped_in_narrow_cells_come_back_canonical(bulletin, imported):
    import pdfplumber

    with pdfplumber.open(bulletin) as pdf:  # the test is only worth something if the cells did wrap
        cells = [c for page in pdf.pages for t in page.extract_tables() for row in t for c in row if c]
    assert "20250311-T-\n469" in cells or "20250311-\nT-469" in cells
    assert "GB/T 4138-\n2015" in cells
    plan = imported.articles[3]
    assert set(plan.standards) == EXPECTED_NUMBERS["standards"]
    assert set(plan.plan_numbers) == EXPECTED_NUMBERS["plan_numbers"]
    assert [row.get("plan_number") for row in plan.plans] == [
        "20250311-T-469",
        "20250312-T-469",
        "20250313-T-469",
        "W20253301",
    ]
    assert "| 20250312-T-469 | 稀土硅镁合金化学分析方法 | 修订 | GB/T 4138-2015 |" in plan.body
    others = [n for a in imported.articles if a is not plan for n in a.standards + a.plan_numbers]
    assert others == []


@pytest.mark.parametrize("footer,header", [("dash", "split"), ("page", "centred"), ("page", "split")])
def test_running_headers_and_page_numbers_never_become_text(tmp_path, footer, header):
    path = tmp_path / "issue.pdf"
    pages = pdfmaker.render_issue(make_issue(footer=footer, header=header), path)
    result = import_file(path)
    assert titles(result) == [a.title for a in ARTICLES]
    for article in result.articles:
        assert "离子型稀土信息简报" not in article.body
        assert not re.search(r"(?m)^(?:- ?\d+ ?-|第 ?\d+ ?页)\s*$", article.body)
        for name in {a.section for a in ARTICLES}:
            assert not re.search(rf"(?m)^{name}$", article.body), (article.title, name)
    assert pages >= 6 and len(result.articles) == len(ARTICLES)


@pytest.mark.parametrize(
    "style",
    [
        {"titles": "face"},  # titles in the body size, centred, set apart only by another face
        {"paragraphs": "block"},  # paragraphs without a first-line indent, a space between them
        {"rules": False},  # tables set in columns without lines
    ],
)
def test_other_layouts_give_the_same_articles(tmp_path, style):
    path = tmp_path / "styled.pdf"
    pdfmaker.render_issue(make_issue(**style), path)
    result = import_file(path)
    assert titles(result) == [a.title for a in ARTICLES]
    assert [a.section for a in result.articles] == [a.section for a in ARTICLES]
    first = [p for p in result.articles[0].body.split("\n\n") if not p.startswith("（来源")]
    assert first == [paragraph(i) for i in range(5)]
    plan = result.articles[3]
    assert set(plan.plan_numbers) == EXPECTED_NUMBERS["plan_numbers"]
    assert set(plan.standards) == EXPECTED_NUMBERS["standards"]
    assert "| 20250312-T-469 | 稀土硅镁合金化学分析方法 | 修订 | GB/T 4138-2015 |" in plan.body


@pytest.mark.parametrize(
    "style",
    [
        {"contents": False},  # a cover but no contents page
        {"cover": False, "contents": False},  # the first article on page 1
        {"cover": False, "contents": False, "header": "centred"},  # the section on a second header line
    ],
)
def test_an_issue_without_contents_is_cut_at_its_titles_and_sections_come_from_headers(tmp_path, style):
    path = tmp_path / "plain.pdf"
    pdfmaker.render_issue(make_issue(**style), path)
    result = import_file(path)
    assert titles(result) == [a.title for a in ARTICLES]
    order = list(dict.fromkeys(a.section for a in ARTICLES))
    got = [a.section for a in result.articles]
    # a page's header names the section of its first article, so an article that starts lower on the
    # page where a new section begins may keep the previous section; never an earlier or unknown one
    assert got[0] == ARTICLES[0].section and got[-1] == ARTICLES[-1].section
    assert all(s in order for s in got)
    assert [order.index(s) for s in got] == sorted(order.index(s) for s in got)
    assert sum(g == a.section for g, a in zip(got, ARTICLES, strict=False)) >= len(ARTICLES) - 2
    if style.get("cover", True) or style.get("header") == "centred":  # the cover or headers name the issue
        assert (result.issue.slug, result.issue.total, result.errors) == ("2025-03", 150, [])
    else:  # nothing names the issue: the review asks for --issue and nothing may be written
        assert result.issue.slug == "" and any("期号" in e for e in result.errors)


def test_page_furniture_is_recognised_by_repetition_not_by_its_words(tmp_path):
    issue = make_issue(publication="稀土产业月度通讯")
    path = tmp_path / "other.pdf"
    pdfmaker.render_issue(issue, path)
    result = import_file(path)
    assert titles(result) == [a.title for a in ARTICLES]
    assert all("稀土产业月度通讯" not in a.body for a in result.articles)


def test_paragraphs_rejoin_over_lines_and_pages(imported):
    first = imported.articles[0]
    paragraphs = [p for p in first.body.split("\n\n") if p and not p.startswith("（来源")]
    assert paragraphs == [paragraph(i) for i in range(5)]


def test_super_and_subscripts_stay_in_their_paragraph(imported):
    research = imported.articles[2]
    assert clean_line(SCRIPT_PARAGRAPH) in research.body.split("\n\n")
    assert "Nd₂Fe₁₄B" in research.body and "4f¹5d⁰" in research.body


def test_a_source_line_set_after_the_last_sentence_ends_the_article(tmp_path):
    issue = make_issue(source_inline=(0, 1, 4))
    path = tmp_path / "inline.pdf"
    pdfmaker.render_issue(issue, path)
    result = import_file(path)
    assert titles(result) == [a.title for a in ARTICLES]
    assert [a.source for a in result.articles] == [a.source for a in ARTICLES]


def test_pdf_is_recognised_by_its_bytes_not_its_name(bulletin, tmp_path):
    renamed = tmp_path / "issue.txt"
    shutil.copy(bulletin, renamed)
    result = import_file(renamed)
    assert result.reader == "pdf" and titles(result) == [a.title for a in ARTICLES]
    _, reader = read_source("# 标题\n\n正文。\n\n## 小标题\n\n| a | b |\n|---|---|\n".encode(), "x.md")
    assert reader == "markdown"
    assert read_source("标题\n正文。\n".encode(), "x.txt")[1] == "text"


def test_scanned_pdf_gets_a_clear_message(tmp_path):
    path = tmp_path / "scan.pdf"
    pdfmaker.render_scanned(path)
    with pytest.raises(BulletinError) as info:
        import_file(path)
    message = str(info.value)
    assert "scan.pdf" in message and "没有文字层" in message and "OCR" in message


def test_encrypted_pdf_gets_a_clear_message(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "locked.pdf"
    canvas = Canvas(str(path), encrypt=StandardEncryption("secret", canPrint=0))
    canvas.drawString(72, 720, "locked")
    canvas.save()
    with pytest.raises(BulletinError) as info:
        import_file(path)
    assert "locked.pdf" in str(info.value) and "加密" in str(info.value)


def test_cli_dry_run_names_the_reader(bulletin, config):
    from click.testing import CliRunner

    from kb.cli import cli

    def run(*args):
        return CliRunner().invoke(
            cli, ["--content", str(config.content_dir), "--index", str(config.index_dir), *args]
        )

    report = run("import", "--dry-run", str(bulletin))
    assert report.exit_code == 0, report.output
    assert "读取方式：PDF（直接读取版面）" in report.output
    data = json.loads(run("import", "--dry-run", "--json", str(bulletin)).output)
    assert data["issue"]["reader"] == "pdf"
    assert [d["title"] for d in data["documents"]] == [a.title for a in ARTICLES]
    assert not config.content_dir.exists() or not any(config.content_dir.rglob("*.md"))


def test_admin_upload_reads_a_pdf(bulletin, built):
    from webui import create_app

    app = create_app(type(built)(content_dir=built.content_dir, index_dir=built.index_dir, admin_token="t"))
    upload = {"issue": (io.BytesIO(bulletin.read_bytes()), "2025-03.pdf")}
    response = app.test_client().post(
        "/admin/upload",
        headers={"Authorization": "Bearer t"},
        data=upload,
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "读取方式：PDF（直接读取版面）" in page
    assert all(a.title in page for a in ARTICLES)


# ----------------------------------------------------------------- converter texts of the same PDF


def _pdftotext(path, layout=False):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils' pdftotext is not installed")
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True, timeout=120).stdout.decode()


def _pdfminer(path):
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


def _pypdf(path):
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)


CONVERTERS = {
    "pdftotext": _pdftotext,
    "pdftotext-layout": lambda path: _pdftotext(path, layout=True),
    "pdfminer": _pdfminer,
    "pypdf": _pypdf,
}
# What the text rules (kb/importer/split.py, text.py) still get wrong on these converters' text, measured
# on this PDF: listed, not hidden; remove an entry when its rule lands (the test then passes).
KNOWN_TEXT_RULE_GAPS = {}  # converter name -> what its text still gets wrong


@pytest.mark.parametrize("name", list(CONVERTERS))
def test_converter_text_gives_the_pdf_readers_titles(bulletin, imported, tmp_path, name):
    text = CONVERTERS[name](bulletin)
    path = tmp_path / f"2025-03.{name}.txt"
    path.write_text(text, encoding="utf-8")
    result = import_file(path)
    want, got = titles(imported), titles(result)
    problems = [f"missing title {t}" for t in want if t not in got]
    problems += [f"extra title {t}" for t in got if t not in want]
    numbers = {n for a in result.articles for n in a.standards + a.plan_numbers}
    expected = EXPECTED_NUMBERS["standards"] | EXPECTED_NUMBERS["plan_numbers"]
    problems += [f"missed number {n}" for n in sorted(expected - numbers)]
    problems += [f"wrong number {n}" for n in sorted(numbers - expected)]
    if problems and name in KNOWN_TEXT_RULE_GAPS:
        pytest.xfail(f"{name} ({KNOWN_TEXT_RULE_GAPS[name]}): " + "; ".join(problems))
    assert problems == []
    assert got == want


# ----------------------------------------------------------------- a PDF from another producer


def _html(articles):
    from xml.sax.saxutils import escape

    parts = []
    for article in articles:
        parts.append(f"<h2>{escape(article.title)}</h2>")
        for block in article.body.split("\n\n"):
            if block.startswith("|"):
                rows = [r.strip("|").split("|") for r in block.splitlines() if not r.startswith("|---")]
                cells = "".join(
                    "<tr>" + "".join(f"<td>{escape(c.strip())}</td>" for c in row) + "</tr>" for row in rows
                )
                parts.append(f"<table>{cells}</table>")
            else:
                parts.append(f"<p>{escape(block)}</p>")
        parts.append(f"<p class=src>（来源：{escape(article.source)}）</p>")
    style = (
        "body{font-family:'WenQuanYi Zen Hei';font-size:10.5pt;line-height:1.6}"
        "h2{text-align:center;font-size:15pt}p{text-indent:2em;text-align:justify;margin:.3em 0}"
        ".src{text-align:right}table{border-collapse:collapse;font-size:8.5pt}"
        "td{border:1px solid #000;padding:2px;word-break:break-all}"
        "td:nth-child(2),td:nth-child(5){width:42px}"
    )
    return (
        f"<html><head><meta charset=utf-8><title>离子型稀土信息简报</title><style>{style}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def test_a_browser_printed_pdf_with_its_own_header_and_footer(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        pytest.skip("no Chromium to print HTML to PDF")
    page = tmp_path / "issue.html"
    page.write_text(_html(ARTICLES), encoding="utf-8")
    pdf = tmp_path / "printed.pdf"
    # Chromium prints its own running header (date, title) and footer (file URL, `n/N`) on every page
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if not pdf.exists():
        pytest.skip("Chromium could not print to PDF here")
    result = import_file(pdf)
    assert titles(result) == [a.title for a in ARTICLES]
    assert [a.source for a in result.articles] == [a.source for a in ARTICLES]
    for article in result.articles:
        assert "file://" not in article.body and not re.search(r"\d+/\d+/\d+", article.body)
    plan = result.articles[3]
    assert set(plan.plan_numbers) == EXPECTED_NUMBERS["plan_numbers"]
    assert set(plan.standards) == EXPECTED_NUMBERS["standards"]
    assert clean_line(SCRIPT_PARAGRAPH) in result.articles[2].body.split("\n\n")
