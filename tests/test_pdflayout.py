"""The PDF reader's rules on small hand-made pages: each rule with its own example.

Lines are given as the reader sees them (page, box, size, text, parts); no PDF library is needed.
"""

from kb.importer.pdf import _cell_text, _lines
from kb.importer.pdflayout import (
    LEADER,
    TextLine,
    _split_source,
    find_furniture,
    render,
)
from kb.importer.pdfrows import mark_rows

HEIGHT, LEFT, RIGHT, SIZE = 842.0, 62.0, 533.0, 10.5


def line(page, top, text, x0=LEFT, x1=RIGHT, size=SIZE, parts=None):
    parts = parts or [(x0, x1, text, [])]
    return TextLine(page, top, top + size, x0, x1, size, " ".join(p[2] for p in parts), parts=parts)


def page(*items):
    return {"height": HEIGHT, "width": 595.0, "items": list(items)}


def body(page_no, top=100.0, lines=3):
    """Full justified lines, the last one ending its paragraph short."""
    out = [
        line(page_no, top + 17 * i, f"第{page_no}页正文第{i}行的文字一直排到右边") for i in range(lines - 1)
    ]
    out.append(line(page_no, top + 17 * (lines - 1), "最后一行。", x1=LEFT + 60))
    return out


def test_lines_repeating_in_the_margins_are_furniture_whatever_they_say():
    pages = []
    for n in range(1, 6):
        header = line(
            n, 40, "某某产业通讯", parts=[(LEFT, 130, "某某产业通讯", []), (480, RIGHT, "行业动态", [])]
        )
        footer = line(n, 800, f"- {n} -", x0=280, x1=310)
        pages.append(page(header, *body(n), footer))
    furniture = find_furniture(pages)
    assert {(n, 40, 0) for n in range(1, 6)} <= furniture  # the same text on every page
    assert {(n, 800, 0) for n in range(1, 6)} <= furniture  # digits aside, the same text
    assert (1, 40, 1) in furniture  # a short part at a furniture height
    text = render(pages)
    assert "某某产业通讯" not in text and "- 3 -" not in text
    assert text.count("行业动态") == 1  # the section signal, once, after the open paragraph ends


def test_a_margin_line_seen_once_is_text():
    pages = [page(line(n, 40, "某某产业通讯"), *body(n)) for n in range(1, 5)]
    pages[2]["items"].append(line(3, 790, "注：本文数据截至2024年6月底，来自公开资料。"))
    text = render(pages)
    assert "注：本文数据截至2024年6月底，来自公开资料。" in text and "某某产业通讯" not in text


def test_full_lines_join_and_a_short_line_ends_the_paragraph():
    lines = body(1, lines=3) + [line(1, 151, "下一段首行缩进两个字符，另起一段的文字排到右边", x0=LEFT + 21)]
    text = render([page(*lines)])
    paragraphs = [p for p in text.split("\n") if p]
    assert paragraphs[0] == "第1页正文第0行的文字一直排到右边第1页正文第1行的文字一直排到右边最后一行。"
    assert paragraphs[1].startswith("下一段首行缩进")


def test_a_paragraph_continues_over_a_page_break():
    first = [line(1, 700, "这一段写到页底的最后一行仍然排满了整行的文字")]
    second = [line(2, 100, "并在下一页接着写完。", x1=LEFT + 100)]
    text = render([page(*first), page(*second)])
    assert "这一段写到页底的最后一行仍然排满了整行的文字并在下一页接着写完。" in text


def test_a_line_stopped_short_only_because_the_next_word_did_not_fit_continues():
    entry = line(1, 100, "◎ 添加 Dy-Cu 协同晶界改性实现", x1=RIGHT - 70)
    rest = line(1, 116, "Nd-Ce-Fe-B 矫顽力增强 ............ 10", x1=RIGHT - 24)
    rest.first_width = 55.0  # "Nd-Ce-Fe-B" is wider than what was left on the line above
    text = render([page(entry, rest, *body(1, top=200, lines=9))])
    assert "◎ 添加 Dy-Cu 协同晶界改性实现 Nd-Ce-Fe-B 矫顽力增强" in text
    assert "......" not in text  # the leader and page number are layout, not the title


def test_larger_type_is_a_title_and_a_title_over_two_lines_is_one_heading():
    title = [
        line(1, 80, "国家标准委下达2025年第一批", x0=150, x1=445, size=15),
        line(1, 101, "稀土国家标准制修订计划", x0=180, x1=415, size=15),
    ]
    text = render([page(*title, *body(1, top=130))])
    assert text.startswith("# 国家标准委下达2025年第一批稀土国家标准制修订计划\n")


def test_a_source_line_glued_to_the_last_sentence_gets_its_own_line():
    assert _split_source("研究成果发表在期刊上。（来源：某研究所）") == [
        "研究成果发表在期刊上。",
        "（来源：某研究所）",
    ]
    assert _split_source("括号（来源不明的说法）在句中。") == ["括号（来源不明的说法）在句中。"]
    assert LEADER.sub("", "◎ 稀土价格走势 ·········· 14") == "◎ 稀土价格走势"


def chars(text, x0, top, size=8.5, advance=None):
    out, x = [], x0
    for ch in text:
        width = advance or (size if ord(ch) > 0x2E80 else size * 0.55)
        out.append(
            {
                "text": ch,
                "x0": x,
                "x1": x + width,
                "top": top,
                "bottom": top + size,
                "size": size,
                "bold": False,
                "font": "F",
            }
        )
        x += width
    return out


def test_text_wrapped_inside_one_cell_is_rejoined_by_how_full_each_line_was():
    cell = (100.0, 0.0, 150.0, 60.0)  # 50 points wide, 3 points of padding

    def joined(first, second):
        return _cell_text(chars(first, 103, 5) + chars(second, 103, 16), cell, 1, HEIGHT)

    assert joined("20220747-T-", "469") == "20220747-T-469"  # broken after a hyphen: no space
    # broken at a space (the next word did not fit on a line that had room left): the space comes back
    assert joined("GB/T", "4138-2015") == "GB/T 4138-2015"
    # broken inside a word (the line ran to the cell's edge): no space
    full = chars("W2022236", 103, 5, advance=5.5)
    assert _cell_text(full + chars("5", 103, 16, advance=5.5), cell, 1, HEIGHT) == "W20222365"
    assert joined("全国稀土标", "准化委员会") == "全国稀土标准化委员会"


def test_small_raised_and_lowered_characters_stay_on_their_line():
    # set one after the other: Nd 100–111.6, ₂ to 115.1, Fe to 126.7, ₁₄ to 133.8, B
    base = (
        chars("Nd", 100, 100, size=10.5)
        + chars("Fe", 115.125, 100, size=10.5)
        + chars("B", 133.825, 100, size=10.5)
    )
    subscripts = chars("2", 111.55, 105, size=6.5) + chars("14", 126.675, 105, size=6.5)
    lines = _lines(base + subscripts, 1, HEIGHT)
    assert [x.text for x in lines] == ["Nd₂Fe₁₄B"]
    raised = (
        chars("4f", 100, 200, size=10.5)
        + chars("1", 111.55, 196, size=6.5)
        + chars("5d", 115.125, 200, size=10.5)
    )
    assert [x.text for x in _lines(raised, 1, HEIGHT)] == ["4f¹5d"]


def test_rows_of_a_table_without_rules_line_up_and_wrapped_cells_rejoin():
    def row(top, cells):
        return line(1, top, "", size=8.5, parts=[(x, x + 30, t, []) for x, t in cells if t])

    rows = [
        row(100, [(62, "序号"), (120, "计划号"), (200, "项目名称"), (320, "代替标准号")]),
        row(113, [(62, "1"), (120, "20250311-T-"), (200, "稀土永磁体"), (320, "")]),
        row(123, [(120, "469"), (200, "试验方法")]),  # the wrapped rest, close under its row
        row(136, [(62, "2"), (120, "20250312-T-"), (200, "化学分析方法"), (320, "GB/T 4138-2015")]),
        row(146, [(120, "469")]),
    ]
    mark_rows(rows)
    assert [r.text for r in rows if r.parts] == [
        "序号\t计划号\t项目名称\t代替标准号",
        "1\t20250311-T-469\t稀土永磁体试验方法\t",
        "2\t20250312-T-469\t化学分析方法\tGB/T 4138-2015",
    ]


def test_a_word_hyphenated_at_the_line_end_is_one_word_and_a_number_keeps_its_hyphen():
    lines = [
        line(1, 100, "the Distinguished Encoding Rules (DER) manip-"),
        line(1, 117, "ulation, and the plan numbered 20220747-T-"),
        line(1, 134, "469 is new.", x1=LEFT + 60),
        *body(1, top=200, lines=9),
    ]
    text = render([page(*lines)])
    assert "(DER) manipulation, and the plan numbered 20220747-T-469 is new." in text
