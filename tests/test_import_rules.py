"""Each repair rule of the importer, on small inline examples in the shapes converters give.

Shapes: poppler `pdftotext` (plain), `pdftotext -layout` (leading spaces, wide gaps, columns),
pdfminer (a blank line between lines), pypdf (no blank lines, footer and header on one line) and
PDF→Markdown converters (`#` headings, pipe tables with `<br>`, HTML comments).
"""

import pytest

from kb.importer import import_text
from kb.importer.body import read_blocks
from kb.importer.extract import TYPE_RULES, classify
from kb.importer.review import suspicious_title
from kb.importer.split import read_lines, repair_broken_numbers, split_bulletin
from kb.importer.text import pipe_row_to_cells, repair_cut_plan_numbers, repair_layout_numbers
from kb.numbers import join_number, parse_numbers, repair_numbers

# ---------------------------------------------------------------- one bulletin, five converters

PUBLICATION = "稀土产业简讯"
ISSUE = "2031年 第05期"
ARTICLES = [  # section, title, paragraphs, source
    (
        "产业新闻",
        "某省召开稀土产业链推进会议部署下半年重点工作",
        [
            "会议指出，要加快推进稀土产业链延链补链强链，推动冶炼分离企业向下游高端材料延伸，"
            "培育一批具有核心竞争力的龙头企业。"
        ],
        "某省工信厅",
    ),
    (
        "产业新闻",
        "两部门下达稀土标准制修订计划",
        ["日前，两部门联合下达本年度第一批稀土标准制修订计划，共涉及五项国家标准。"],
        "标准化研究院",
    ),
    (
        "科研进展",
        "某大学团队在稀土发光材料方面取得新进展",
        [
            "该团队发现三价铈离子的电子构型为4f",
            "1",
            "5d",
            "0",
            "，这种构型使其具有独特的发光性能，相关成果已发表在国际期刊上，并获得了国家自然科学基金的资助。",
        ],
        "某大学",
    ),
]
PLAN_ROWS = [
    ("1", "20310747-T-469", "稀土硅铁合金", "GB/T 4137-2015"),
    ("2", "20310753-T-469", "稀土镁硅铁合金", "GB/T 4138-2015"),
]
NUMBERS = {"20310747-T-469", "20310753-T-469", "GB/T 4137-2015", "GB/T 4138-2015"}


def _toc_lines(two_line_head=False, wrap_entry=False, pages_after=False):
    out = ["目", "次"] if two_line_head else ["目 次"]
    pages = []
    for section in ("产业新闻", "科研进展"):
        out.append(f"◇ {section}" if pages_after else f"◇ {section} 1-3")
        pages.append("1-3")
        for sec, title, _, _ in ARTICLES:
            if sec != section:
                continue
            if wrap_entry and len(title) > 18:
                out += [f"◎ {title[:17]}", f"{title[17:]} ............ 2"]
            else:
                out.append(f"◎ {title}" + ("" if pages_after else " ............ 2"))
    return out + (pages if pages_after else [])


def _table_rows_plain():
    """pdftotext: one cell per line, a plan number wrapped in its narrow cell."""
    out = ["序号", "计划号", "项目名称", "代替标准号"]
    for seq, plan, name, replaces in PLAN_ROWS:
        out += [seq, plan[:9], name, plan[9:], replaces[:10], replaces[10:]]
    return out


def _bulletin(shape):
    """The same small issue as each converter prints it."""
    cover = [PUBLICATION, ISSUE, ""]
    pages = []
    for i, (section, title, paragraphs, source) in enumerate(ARTICLES):
        body = [title] + paragraphs
        if i == 1:
            body += ["计划表如下："] + _table_rows_plain()
        if i == 2:
            body[-1] += f" （来源：{source}）"  # glued to the paragraph's last sentence
        else:
            body.append(f"（来源：{source}）")
        pages.append((section, body))
    if shape == "plain":
        text = cover + _toc_lines(two_line_head=True, wrap_entry=True)
        for n, (section, body) in enumerate(pages, 1):
            text += [f"\f{PUBLICATION} {ISSUE}", section] + body + [f"- {n} -"]
        return "\n".join(text)
    if shape == "pdfminer":
        text = cover + _toc_lines(pages_after=True)
        for n, (section, body) in enumerate(pages, 1):
            text += [f"\f{PUBLICATION}", f"{section}- {n} -"] + body
        return "\n\n".join(text)
    if shape == "pypdf":
        text = cover + _toc_lines(wrap_entry=True)
        for n, (section, body) in enumerate(pages, 1):
            text += [f"- {n} -   {section}", f"{PUBLICATION} {ISSUE}"] + body
        return "\n".join(text)
    if shape == "layout":
        text = ["    " + line for line in cover + _toc_lines()]
        for n, (section, body) in enumerate(pages, 1):
            text += [f"\f  {PUBLICATION}                              {section}"]
            for line in body:
                text.append("  " + line)
            text.append(f"                     第 {n} 页")
        return "\n".join(text)
    if shape == "markdown":
        text = [f"# {PUBLICATION}", ISSUE, "", "# 目次", ""] + _toc_lines()[1:]
        for n, (section, body) in enumerate(pages, 1):
            text += ["", f"<!-- page {n} -->", f"{PUBLICATION}{section}", "", f"# {body[0]}", ""]
            rows = body[1:]
            if "序号" in rows:
                at = rows.index("序号")
                rows = (
                    rows[:at]
                    + ["| 序号 | 计划号 | 项目名称 | 代替标准号 |", "|---|---|---|---|"]
                    + [
                        f"| {s} | {p[:9]}<br>{p[9:]} | {nm} | {r[:10]}<br>{r[10:]} |"
                        for s, p, nm, r in PLAN_ROWS
                    ]
                    + rows[at + len(_table_rows_plain()) :]
                )
            text += [line for row in rows for line in (row, "")]
            text.append(f"第 {n} 页")
        return "\n".join(text)
    raise ValueError(shape)


SHAPES = ("plain", "layout", "pdfminer", "pypdf", "markdown")


@pytest.mark.parametrize("shape", SHAPES)
def test_every_converter_shape_gives_the_same_articles_sections_and_numbers(shape):
    result = import_text(_bulletin(shape), f"issue.{shape}.txt", kind="bulletin")
    got = [(a.section, a.title) for a in result.articles]
    assert got == [(section, title) for section, title, _, _ in ARTICLES]
    assert [a.source for a in result.articles] == [source for *_, source in ARTICLES]
    numbers = {n for a in result.articles for n in a.standards + a.plan_numbers}
    assert numbers == NUMBERS
    research = result.articles[2]
    assert "4f15d0，这种构型" in research.body and research.type == "research"
    assert research.body.rstrip().endswith("（来源：某大学）")
    cutting = {"suspicious_title", "no_source", "no_section"}
    assert not [f for flags in result.flags.values() for f in flags if f in cutting]
    assert {"page number", "running header"} <= {reason for _, reason, _ in result.dropped}


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "glued, canonical",
    [
        ("20220747-T469", "20220747-T-469"),  # hyphen dropped at a line end
        ("20220747T469", "20220747-T-469"),
        ("GB/T 41382015", "GB/T 4138-2015"),  # PyMuPDF-style dehyphenation
        ("GB/T 12690.122003", "GB/T 12690.12-2003"),
        ("XB/T4032023", "XB/T 403-2023"),
    ],
)
def test_repair_numbers_restores_the_dash_a_converter_dropped(glued, canonical):
    assert [n.canonical for n in parse_numbers(repair_numbers(glued))] == [canonical]


def test_repair_numbers_leaves_complete_and_short_numbers_alone():
    for text in ("GB/T 20001", "GB 26451-2011", "第12015号", "CN117446850A 2024"):
        assert repair_numbers(text) == text


def test_two_neighbouring_wrapped_cells_read_across_are_put_back():
    assert repair_numbers("W2022236 202207625") == "W20222365 20220762"


@pytest.mark.parametrize(
    "head, tail, joined",
    [
        ("20220747-T-", "469", "20220747-T-469"),
        ("20220747-", "T-469", "20220747-T-469"),
        ("GB/T 4138-", "2015", "GB/T 4138-2015"),
        ("XB/T4", "03-202", "XB/T403-202"),
        ("GB/T12690.", "12-", "GB/T12690.12-"),
        ("XB/T403-2023", "2", None),  # a complete number and the next row's number
        ("稀土 2", "023", None),
        ("1", "2", None),
    ],
)
def test_join_number_only_where_the_grammar_reads_one_number(head, tail, joined):
    assert join_number(head, tail) == joined


def _texts(raw):
    lines = read_lines(raw)
    repair_broken_numbers(lines)
    return [line.text for line in lines if line.text.strip()]


@pytest.mark.parametrize(
    "raw, number",
    [
        ("XB/T4\n03-202\n3\n钆铁合金", "XB/T403-2023"),  # plain, one piece a line
        ("XB/T4\n\n03-202\n\n3\n\n钆铁合金", "XB/T403-2023"),  # pdfminer, blank lines between
        ("20220747-T-\n稀土硅铁合金\n469", "20220747-T-469"),  # a neighbouring cell between
        ("XB/T403-\n钆铁合金\n2023", "XB/T403-2023"),
        ("GB/T 4138- 1\n2015\n6", "GB/T 4138-2015 1"),  # the neighbour on the same line
    ],
)
def test_numbers_broken_over_lines_are_joined(raw, number):
    assert number in _texts(raw)


def test_row_numbers_after_a_complete_number_stay_apart():
    assert _texts("XB/T4\n03-201\n2\n2\n钆铁合金") == ["XB/T403-2012", "2", "钆铁合金"]


def test_layout_columns_rejoin_a_wrapped_number_down_its_cell():
    raw = [
        "                                  GB/T          国家标",
        "    20220751-                                   准化管",
        "4               稀土镁硅铁合金      修订   4138-",
        "    T-469                                       理委员",
        "                                  2015",
    ]
    raw[2] = raw[2][:34].ljust(34) + "4138-"
    fixed = repair_layout_numbers(raw)
    numbers = {n.canonical for line in fixed for n in parse_numbers(line)}
    assert numbers == {"20220751-T-469", "GB/T 4138-2015"}
    assert "2015" not in fixed[4] and "T-469" not in fixed[3]


def test_layout_cell_holding_two_pieces_and_a_neighbour():
    raw = [
        "    20220751-                                 GB/T 4138- 1    准化管",
        "4               稀土镁硅铁合金                  修订",
        "    T-469                                     2015       6    理委员",
    ]
    numbers = {n.canonical for line in repair_layout_numbers(raw) for n in parse_numbers(line)}
    assert numbers == {"20220751-T-469", "GB/T 4138-2015"}


def test_layout_plan_number_cut_after_its_kind_letter_beside_other_cells():
    raw = [
        "      20250312-T-                            GB/T 4138-",
        "  2               稀土硅镁合金化学分析方法         修订                 全国稀土标准化技术委员会",
        "      469                                    2015",
    ]
    fixed = repair_layout_numbers(raw)
    numbers = {n.canonical for line in fixed for n in parse_numbers(line)}
    assert numbers == {"20250312-T-469", "GB/T 4138-2015"}
    assert fixed[2].strip() == ""


def test_plain_plan_number_glued_to_its_neighbour_takes_its_code_from_the_line_below():
    raw = ["1", "", "20250311-T稀土永磁体表面防护涂层耐盐雾试验方法 制定", "469", "", "2"]
    fixed = repair_cut_plan_numbers(raw)
    assert fixed[2] == "20250311-T-469 稀土永磁体表面防护涂层耐盐雾试验方法 制定"
    assert fixed[3] == "" and fixed[5] == "2"  # the code line emptied, the next row's number kept


def test_a_cut_plan_number_without_a_code_line_is_left_alone():
    raw = ["20250311-T稀土永磁体表面防护涂层", "耐盐雾试验方法 制定", "全国稀土标准化技术委员会", "说明"]
    assert repair_cut_plan_numbers(raw) == raw


def test_markdown_pipe_row_rejoins_cells_wrapped_with_br():
    row = (
        "| 1<br>2 | 20220762-<br>T-469 | 化学分析方<br>法第1部分 | GB/T<br>16477.<br>1-2010 "
        "| methods of<br>rare-<br>earth |"
    )
    assert pipe_row_to_cells(row).split("\t") == [
        "12",
        "20220762-T-469",
        "化学分析方法第1部分",
        "GB/T16477.1-2010",
        "methods of rare-earth",
    ]
    assert pipe_row_to_cells("不是表格 | 行") == "不是表格 | 行"


# ---------------------------------------------------------------- contents page


@pytest.mark.parametrize(
    "toc",
    [
        ["目", "次", "◇ 行业动态 1-20", "◎ 第一篇文章的标题很长很长需要换行才能印完", "强", "◎ 第二篇文章"],
        [
            "目    次",
            "◇ 行业动态",
            "1-20",
            "◎ 第一篇文章的标题很长很长需要换行才能印完 ....",
            "........ 3",
            "◎ 第二篇文章 ............ 16",
        ],
        [
            "# 目次",
            "## ◇ 行业动态   1-20",
            "◎ 第一篇文章的标题很长很长需要换行才能印完",
            "◎ 第二篇文章",
            "1",
            "16",
        ],
    ],
)
def test_contents_page_variants(toc):
    text = "\n".join(["某某简报", "2031年 第05期"] + toc + ["", "正文开始的第一行文字。"])
    info, _, _ = split_bulletin(text)
    titles = [(e.section, e.title) for e in info.toc]
    first = "第一篇文章的标题很长很长需要换行才能印完" + ("强" if "强" in toc else "")
    assert titles == [("行业动态", first), ("行业动态", "第二篇文章")]


def test_wrapped_contents_entry_leaves_no_fragment_article():
    text = "\n".join(
        [
            "某某简报",
            "2031年 第05期",
            "目",
            "次",
            "◇ 行业动态 1-2",
            "◎ 工信部：聚焦稀土等优势产业链锻造一批“杀",
            "手锏”技术",
            "◎ 另一篇文章标题",
            "16",
            "工信部：聚焦稀土等优势产业链锻造一批“杀手锏”技术",
            "正文一段，写到这里结束。",
            "（来源：甲）",
            "另一篇文章标题",
            "正文二段，写到这里结束。",
            "（来源：乙）",
        ]
    )
    result = import_text(text, "toc.txt")
    assert [a.title for a in result.articles] == [
        "工信部：聚焦稀土等优势产业链锻造一批“杀手锏”技术",
        "另一篇文章标题",
    ]


# ---------------------------------------------------------------- furniture

LONG = "这是一段很长的正文，它一直写到页面的右边缘也没有结束，转到下一页"
TITLES = [
    "江西省已建成两百座绿色矿山",
    "稀土永磁材料产业集群加快发展",
    "海外稀土项目获得开采许可",
    "新型催化剂使用寿命大幅延长",
]


@pytest.mark.parametrize(
    "furniture",
    [
        ["- {n} -   行业动态"],
        ["行业动态- {n} -"],
        ["第 {n} 页", "离子型稀土信息简报"],
        ["\f离子型稀土信息简报", "- {n} -"],
    ],
)
def test_page_furniture_beside_a_title_is_not_the_title(furniture):
    lines = []
    for n, title in enumerate(TITLES, 1):
        lines += [title, LONG + "才写完。", f"（来源：{n}）"] + [f.format(n=n) for f in furniture]
    result = import_text("\n".join(lines), "f.txt", kind="bulletin")
    assert [a.title for a in result.articles] == TITLES


def test_running_header_with_the_issue_repeats_at_page_breaks_and_is_dropped():
    pages = []
    for n, title in enumerate(TITLES, 1):
        pages += [
            "离子型稀土信息简报 2031年 第05期",
            title,
            LONG,
            "接着写完这一句。",
            f"（来源：{n}）",
            f"- {n} -",
        ]
    result = import_text("\n".join(pages), "h.txt", kind="bulletin")
    assert [a.title for a in result.articles] == TITLES
    assert f"{LONG}接着写完这一句。" in result.articles[0].body


def test_table_cells_that_repeat_are_not_running_headers():
    cells = []
    for n in range(1, 6):
        cells += [str(n), f"稀土产品名称{n}", "推荐", "修订"] + ["说明文字"] * 10
    text = "\n".join(["标准计划表", "正文说明。"] + cells + ["（来源：甲）"])
    result = import_text(text, "t.txt", kind="bulletin")
    assert result.articles[0].body.count("修订") == 5


def test_a_title_at_the_top_of_a_page_is_kept():
    text = "\n".join(
        [
            "第一篇文章的标题",
            "正文写完了。",
            "（来源：甲）",
            "- 2 -",
            "短标题文章",
            "第二篇正文。",
            "（来源：乙）",
        ]
    )
    result = import_text(text, "p.txt", kind="bulletin")
    assert [a.title for a in result.articles] == ["第一篇文章的标题", "短标题文章"]


# ---------------------------------------------------------------- article ends, paragraphs


@pytest.mark.parametrize(
    "end",
    [
        ["……获得了基金的资助。 （来源：宁波材料所）"],
        ["……获得了基金的资助。（来源：宁波", "材料所）"],
    ],
)
def test_a_source_glued_to_the_paragraph_or_wrapped_ends_the_article(end):
    text = "\n".join(
        ["第一篇文章的标题", "第一段。"] + end + ["第二篇文章的标题", "第二篇的正文。", "（来源：乙）"]
    )
    result = import_text(text, "s.txt", kind="bulletin")
    assert [(a.title, a.source) for a in result.articles] == [
        ("第一篇文章的标题", "宁波材料所"),
        ("第二篇文章的标题", "乙"),
    ]
    assert result.articles[0].body.rstrip().endswith("（来源：宁波材料所）")


@pytest.mark.parametrize("sep", ["\n", "\n\n"])
def test_super_and_subscripts_on_lines_of_their_own_rejoin_the_paragraph(sep):
    lines = read_lines(
        sep.join(["稀土离子的电子构型为4f", "1", "5d", "0", "，掺杂 Nd", "3+", "离子的光纤。"])
    )
    blocks = read_blocks(lines, 40)
    assert [b.text for b in blocks] == ["稀土离子的电子构型为4f15d0，掺杂 Nd3+离子的光纤。"]


def test_a_row_number_after_a_word_is_not_a_superscript():
    blocks = read_blocks(read_lines("\n".join(["alloy contents", "1", "W20222356"])), 40)
    assert "W20222356" in [b.text for b in blocks]


def test_markdown_title_cut_into_two_headings_is_one_title():
    text = "\n".join(
        [
            "# 武汉某大学：在掺杂稀土的无铅金属卤化物钙钛矿功能纤维复合材",
            "",
            "# 料方面取得重要进展",
            "",
            "正文第一段写在这里。",
            "（来源：某大学）",
        ]
    )
    result = import_text(text, "m.md", kind="bulletin")
    assert (
        result.articles[0].title
        == "武汉某大学：在掺杂稀土的无铅金属卤化物钙钛矿功能纤维复合材料方面取得重要进展"
    )


def test_markdown_table_header_repeated_on_a_new_page_is_not_a_row():
    text = "\n".join(
        [
            "计划表",
            "| 序号 | 计划号 |",
            "|---|---|",
            "| 1 | 20220747-T-469 |",
            "<!-- page 2 -->",
            "| 序号 | 计划号 |",
            "|---|---|",
            "| 2 | 20220749-T-469 |",
            "（来源：甲）",
        ]
    )
    article = import_text(text, "t.md", kind="bulletin").articles[0]
    assert [p["plan_number"] for p in article.plans] == ["20220747-T-469", "20220749-T-469"]


# ---------------------------------------------------------------- sections


def test_sections_follow_running_headers_and_run_on_until_the_next():
    text = "\n".join(
        [
            "离子型稀土信息简报",
            "2031年 第05期",
            "",
            "行业动态",
            "甲文章的标题在这里",
            "正文。",
            "（来源：甲）",
            "乙文章的标题在这里",
            "正文。",
            "（来源：乙）",  # no header: inherits 行业动态
            "\f离子型稀土信息简报",
            "科技前沿",
            "丙文章的标题在这里",
            "正文。",
            "（来源：丙）",
            "\f离子型稀土信息简报",
            "丁文章的标题在这里",
            "正文。",
            "（来源：丁）",  # header naming no section
        ]
    )
    result = import_text(text, "sec.txt", kind="bulletin")
    assert [a.section for a in result.articles] == ["行业动态", "行业动态", "科技前沿", None]


# ---------------------------------------------------------------- types

TYPE_EXAMPLES = {  # one example per TYPE_RULES row, in the same order
    ("patent", "records"): dict(patents=[{"number": "CN1"}]),
    ("patent_list", "section"): dict(section="专利目录"),
    ("journal_toc", "section"): dict(section="期刊目录"),
    ("abstract", "section"): dict(section="文章摘要"),
    ("abstract", "body"): dict(body="张三，李四\n\n摘要：研究了……\n\n关键词：稀土；发光"),
    ("knowledge", "section"): dict(section="稀土知识"),
    ("standard_plan", "records"): dict(plans=[{"plan_number": "20220747-T-469"}]),
    ("standard_plan", "title"): dict(title="工信部：5项稀土行业标准报批公示"),
    ("market", "records"): dict(prices=[{"product": "氧化镨钕"}]),
    ("market", "title"): dict(title="稀土价格触及年内低点"),
    ("report", "title"): dict(title="上半年稀土行业相关政策概述"),
    ("policy", "doc+title"): dict(title="两部门下达第二批开采指标", doc_numbers=["工信部联原〔2022〕90号"]),
    ("policy", "title"): dict(title="关于加强知识产权强省建设的行动方案（2022—2035年）"),
    ("research", "title"): dict(title="学者发现稀土可提高量子信息存储"),
    ("knowledge", "lead"): dict(
        title="稀土抑癌作用的探索", body="稀土是镧系元素以及钪和钇共17种元素的总称。"
    ),
    ("research", "section"): dict(title="新型磁体问世在即", section="科技前沿"),
    ("research", "lead"): dict(
        title="激光输出达到百瓦级", body="近日，某所研究员团队与合作者报道了一种新型光纤。"
    ),
    ("policy", "section"): dict(title="深海资源勘查标准发布", section="政策法规"),
    ("market", "section"): dict(title="本月稀土市场情况", section="市场行情"),
    ("news", "default"): dict(title="某省已建成200座绿色矿山", body="近日，某省举行新闻发布会。"),
}


def test_every_type_rule_has_an_example():
    assert [(kind, where) for kind, where, _ in TYPE_RULES] == list(TYPE_EXAMPLES)


@pytest.mark.parametrize("rule", list(TYPE_EXAMPLES), ids=lambda r: f"{r[0]}-{r[1]}")
def test_type_rule(rule):
    example = {
        "title": "一个普通的标题",
        "section": None,
        "body": "正文。",
        "plans": [],
        "prices": [],
        "patents": [],
        "doc_numbers": [],
        **TYPE_EXAMPLES[rule],
    }
    kind = classify(example.pop("title"), example.pop("section"), example.pop("body"), **example)
    assert kind == rule[0]


def test_a_policy_title_outranks_the_research_section():
    assert (
        classify(
            "关于扩大战略性新兴产业投资的指导意见", "科技前沿", "正文。", plans=[], prices=[], patents=[]
        )
        == "policy"
    )


def test_a_visit_to_a_research_institute_is_news():
    assert (
        classify(
            "工信部赴工业互联网研究院交流对接",
            "行业动态",
            "会上，双方交流。",
            plans=[],
            prices=[],
            patents=[],
        )
        == "news"
    )


# ---------------------------------------------------------------- review flags


@pytest.mark.parametrize("title", ["16", "……", "”技术与产业发展", "手锏”技术", "强"])
def test_fragment_titles_a_converter_leaves_are_flagged(title):
    assert suspicious_title(title)


def test_article_flags_for_missing_source_and_section():
    text = "\n".join(
        [
            "离子型稀土信息简报",
            "2031年 第05期",
            "",
            "行业动态",
            "甲文章的标题在这里",
            "正文。",
            "（来源：甲）",
            "\f离子型稀土信息简报",
            "乙文章的标题在这里",
            "正文没有来源行。",
        ]
    )
    result = import_text(text, "flags.txt", kind="bulletin")
    flags = {a.title: result.flags[a.id] for a in result.articles}
    assert {"no_source", "no_section"} <= set(flags["乙文章的标题在这里"])
    assert not {"no_source", "no_section"} & set(flags["甲文章的标题在这里"])


@pytest.mark.parametrize(
    "text",
    [
        "某某简报\n目\n次\n◇ 行业动态 1-2\n◎ 第一篇文章\n第一篇文章\n正文。",
        "第一篇文章\n正文写完了。（来源：甲）\n第二篇文章\n正文。（来源：乙）",
    ],
)
def test_a_bulletin_is_recognised_by_a_split_contents_head_or_glued_sources(text):
    from kb.importer import is_bulletin

    assert is_bulletin(text)
    assert not is_bulletin("某某管理办法\n\n第一条 为了规范管理，制定本办法。")


def _with_toc(body):
    head = [
        "某某简报",
        "2031年 第05期",
        "目 次",
        "◇ 行业动态 1-2",
        "◎ 稀土价格走势月度回顾",
        "◎ 稀土抑癌作用的探索",
        "",
    ]
    return "\n\n".join(head + body)  # pdfminer: a blank line between lines


def test_a_source_line_read_after_the_next_title_is_put_back():
    text = _with_toc(
        [
            "稀土价格走势月度回顾",
            "本月价格下跌。",
            "稀土抑癌作用的探索",
            "（来源：生意社）",
            "稀土是镧系元素等17种元素的总称。",
            "（来源：中国稀土）",
        ]
    )
    result = import_text(text, "order.txt")
    assert [(a.title, a.source) for a in result.articles] == [
        ("稀土价格走势月度回顾", "生意社"),
        ("稀土抑癌作用的探索", "中国稀土"),
    ]


def test_a_subheading_read_before_its_title_is_put_after_it():
    text = _with_toc(
        [
            "稀土价格走势月度回顾",
            "本月价格下跌。（来源：协会）",
            "一、稀土价格指数",
            "稀土抑癌作用的探索",
            "稀土是镧系元素等17种元素的总称。",
            "（来源：中国稀土）",
        ]
    )
    result = import_text(text, "order.txt")
    assert [a.title for a in result.articles] == ["稀土价格走势月度回顾", "稀土抑癌作用的探索"]
    assert result.articles[1].body.startswith("一、稀土价格指数")


PRICE_CELLS = [
    "产品名",
    "纯度",
    "上月均价",
    "本月均价",
    "环比",
    "氧化镧",
    "≥ 99%",
    "4.00",
    "4.00",
    "0.00%",
    "氧化铈",
    "≥ 99%",
    "6.00",
    "5.70",
    "-5.00%",
    "- 14 -",
    "产品名",
    "纯度",
    "上月均价",
    "本月均价",
    "环比",  # page break, header again
    "氧化镨",
    "≥ 99%",
    "470.47",
    "416.84",
    "-11.40%",
]


@pytest.mark.parametrize("sep", ["\n", "\n\n"])
def test_a_table_printed_one_cell_per_line_is_rebuilt(sep):
    text = sep.join(["2031年5月稀土价格走势", "本月价格下跌。"] + PRICE_CELLS + ["（来源：协会）"])
    article = import_text(text, "cells.txt", kind="bulletin").articles[0]
    assert [p["product"] for p in article.prices] == ["氧化镧", "氧化铈", "氧化镨"]
    assert "| 产品名 | 纯度 | 上月均价 | 本月均价 | 环比 |" in article.body


def test_short_text_lines_without_a_numeric_pattern_stay_paragraphs():
    cells = [
        "钆铁合金",
        "推荐",
        "修订",
        "稀土硅铁合金",
        "推荐",
        "制定",
        "氯化镧",
        "推荐",
        "制定",
        "氧化钇",
        "推荐",
        "修订",
    ]
    article = import_text(
        "\n".join(["标准计划", "说明。"] + cells + ["（来源：甲）"]), "t.txt", kind="bulletin"
    ).articles[0]
    assert "|" not in article.body
