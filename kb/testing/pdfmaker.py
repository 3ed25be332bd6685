"""Render an issue (articles as Markdown) into a realistic A4 bulletin PDF, for tests and benchmarks.

The PDF looks like the bulletins staff receive: a cover, a 目次 page with sections and page ranges,
running headers with the bulletin and section name, page numbers in the footer (`- n -` or
`第 n 页`), titles in a larger font, wrapped paragraphs, right-aligned （来源：…） lines, ruled tables
whose narrow number columns wrap numbers inside the cell, and sub/superscripts set small and shifted.

Needs ReportLab (a test extra) and a TrueType CJK font (Debian's fonts-wqy-zenhei).
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

FONT_FILES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
FONT = "KbCJK"
TITLE_FONT = "KbCJKTitle"  # the same face registered again: title runs carry their own font name
FACE_FONT = "KbCJKFace"  # another face of the same family, for titles set apart by face, not size
PAGE_W, PAGE_H = 595.27, 841.89  # A4 in points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 62.0, 72.0, 66.0

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-")
_SUP_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+")
_SUB_RUN = re.compile(r"[₀₁₂₃₄₅₆₇₈₉₊₋]+")
_HTML_SCRIPT = re.compile(r"<(sup|sub)>(.*?)</\1>", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_SOURCE_LINE = re.compile(r"^[（(]\s*来\s*源\s*[:：].*[）)]$")
_EMPHASIS = re.compile(r"\*{1,2}([^*\n]+)\*{1,2}")


@dataclass
class PdfArticle:
    title: str
    body: str  # Markdown: paragraphs, ## headings, - items, pipe tables
    section: str | None = None
    source: str | None = None


@dataclass
class PdfIssue:
    articles: list
    publication: str = "离子型稀土信息简报"
    year: int | None = None
    number: int | None = None
    total: int | None = None
    footer: str = "dash"  # dash: "- n -"; page: "第 n 页"
    header: str = "split"  # split: name left, section right; centred: "name year 第N期" centred
    source_inline: tuple = ()  # indexes of articles whose source line follows the last paragraph
    cover: bool = True
    contents: bool = True
    titles: str = "large"  # large: 15 pt centred; face: body size, centred, in another face
    paragraphs: str = "indent"  # indent: first line indented two characters; block: space between
    rules: bool = True  # tables ruled (grid lines) or set in columns without lines
    pages: dict = field(default_factory=dict)  # filled by render: article index -> first body page

    @property
    def issue_line(self):
        if not self.year:
            return ""
        line = f"{self.year}年 第{self.number:02d}期" if self.number else f"{self.year}年"
        return line + (f" 总第{self.total}期" if self.total else "")


def register_fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for path, index in FONT_FILES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=index))
            pdfmetrics.registerFont(TTFont(TITLE_FONT, path, subfontIndex=index))
            for other in (index + 2, index + 1, index):
                try:
                    pdfmetrics.registerFont(TTFont(FACE_FONT, path, subfontIndex=other))
                except Exception:  # noqa: BLE001, S112 - a collection with fewer faces: try the next
                    continue
                break
            return
    raise RuntimeError("no CJK TrueType font found; install fonts-wqy-zenhei")


def have_font():
    return any(Path(path).exists() for path, _ in FONT_FILES)


def inline(text):
    """Markdown/Unicode inline text to ReportLab paragraph markup (escaped, scripts as <super>/<sub>)."""
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = text.replace("\\|", "|").replace("<br>", "\n").replace("<br/>", "\n")
    parts, last = [], 0
    for match in _HTML_SCRIPT.finditer(text):
        parts.append(escape(text[last : match.start()]))
        tag = "super" if match.group(1).lower() == "sup" else "sub"
        parts.append(f"<{tag}>{escape(match.group(2))}</{tag}>")
        last = match.end()
    parts.append(escape(text[last:]))
    out = "".join(parts)
    out = _SUP_RUN.sub(lambda m: f"<super>{m.group(0).translate(SUPERSCRIPTS)}</super>", out)
    out = _SUB_RUN.sub(lambda m: f"<sub>{m.group(0).translate(SUBSCRIPTS)}</sub>", out)
    return out.replace("\n", "<br/>")


def markdown_blocks(body):
    """Markdown body to (kind, payload) blocks: heading, item, table (rows of cells), paragraph."""
    blocks, table = [], []
    for raw in body.split("\n") + [""]:
        line = raw.strip()
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
            if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                table.append(cells)
            continue
        if table:
            blocks.append(("table", table))
            table = []
        if not line:
            continue
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            blocks.append(("heading", heading.group(1)))
        elif re.match(r"^[-*•]\s+", line):
            blocks.append(("item", re.sub(r"^[-*•]\s+", "", line)))
        else:
            blocks.append(("paragraph", line))
    return blocks


def _styles(issue):
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    block = issue.paragraphs == "block"
    base = ParagraphStyle(
        "body",
        fontName=FONT,
        fontSize=10.5,
        leading=17,
        wordWrap="CJK",
        alignment=TA_JUSTIFY,
        firstLineIndent=0 if block else 21,
        spaceAfter=9 if block else 3,
    )
    styles = {
        "body": base,
        "item": ParagraphStyle("item", parent=base, firstLineIndent=0, leftIndent=14, bulletIndent=2),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=TITLE_FONT,
            fontSize=15,
            leading=21,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceBefore=14,
            spaceAfter=10,
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            fontName=TITLE_FONT,
            fontSize=11.5,
            leading=18,
            alignment=TA_LEFT,
            firstLineIndent=0,
            spaceBefore=5,
            spaceAfter=3,
        ),
        "source": ParagraphStyle("source", parent=base, alignment=TA_RIGHT, firstLineIndent=0, spaceAfter=8),
        "cell": ParagraphStyle(
            "cell",
            parent=base,
            fontSize=8.5,
            leading=10.5,
            firstLineIndent=0,
            alignment=TA_LEFT,
            spaceAfter=0,
        ),
        "cover": ParagraphStyle(
            "cover",
            parent=base,
            fontName=TITLE_FONT,
            fontSize=30,
            leading=40,
            alignment=TA_CENTER,
            firstLineIndent=0,
        ),
        "cover2": ParagraphStyle(
            "cover2", parent=base, fontSize=14, leading=22, alignment=TA_CENTER, firstLineIndent=0
        ),
        "toc_head": ParagraphStyle(
            "toc_head",
            parent=base,
            fontName=TITLE_FONT,
            fontSize=18,
            leading=26,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceAfter=12,
        ),
        "toc_section": ParagraphStyle(
            "toc_section",
            parent=base,
            fontName=TITLE_FONT,
            fontSize=12,
            leading=20,
            alignment=TA_LEFT,
            firstLineIndent=0,
            spaceBefore=6,
        ),
        "toc_entry": ParagraphStyle(
            "toc_entry",
            parent=base,
            fontSize=10.5,
            leading=16,
            alignment=TA_LEFT,
            firstLineIndent=0,
            leftIndent=26,
            rightIndent=24,
        ),
    }
    if issue.titles == "face":
        styles["title"] = ParagraphStyle(
            "title",
            parent=styles["title"],
            fontName=FACE_FONT,
            fontSize=10.5,
            leading=17,
            spaceBefore=12,
            spaceAfter=8,
        )
        styles["heading"] = ParagraphStyle(
            "heading", parent=styles["heading"], fontName=FACE_FONT, fontSize=10.5, leading=17
        )
    return styles


def _is_numberish(text):
    plain = re.sub(r"\s", "", text)
    return bool(plain) and sum(ch.isascii() for ch in plain) >= 0.7 * len(plain)


def _tokens(text):
    return re.findall(r"[^\s\-/]*[\-/]|[^\s\-/]+\s*|\s+", text)


def _wrap_ascii(text, width, font, size):
    """Break an ASCII cell the way word processors do: after a hyphen, slash or space, else anywhere."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    tokens = _tokens(text)
    lines, current = [], ""
    for token in tokens:
        if stringWidth((current + token).rstrip(), font, size) <= width:
            current += token
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        while stringWidth(token.rstrip(), font, size) > width:  # one token wider than the cell
            cut = max(
                1,
                max(i for i in range(1, len(token) + 1) if stringWidth(token[:i], font, size) <= width)
                if stringWidth(token[:1], font, size) <= width
                else 1,
            )
            lines.append(token[:cut])
            token = token[cut:]
        current = token
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _table(rows, styles, frame_width, rules=True):
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table, TableStyle

    cell = styles["cell"]
    wide = max(len(row) for row in rows)
    rows = [row + [""] * (wide - len(row)) for row in rows]
    pad = 6.0 if rules else 16.0
    natural = []
    for col in range(wide):
        texts = [row[col] for row in rows[1:] if row[col].strip()] or [rows[0][col]]
        longest = max(stringWidth(t, FONT, cell.fontSize) for t in texts) + pad
        numberish = sum(_is_numberish(t) for t in texts) >= 0.6 * len(texts)
        # number columns are set narrow, as bulletins do to fit many columns: long numbers wrap
        # after a hyphen or space (`20220747-T-` / `469`, `GB/T 4138-` / `2015`)
        token = (
            max(
                (stringWidth(tok.strip(), FONT, cell.fontSize) for t in texts for tok in _tokens(t)),
                default=0.0,
            )
            + pad
        )
        natural.append((min(longest, max(token, 52.0 + pad)) if numberish else max(longest, 30.0), numberish))
    fixed = sum(w for w, numberish in natural if numberish)
    flexible = [w for w, numberish in natural if not numberish]
    room = max(frame_width - fixed, 40.0 * max(1, len(flexible)))
    scale = min(1.0, room / sum(flexible)) if flexible else 1.0
    widths = [w if numberish else max(w * scale, 36.0) for w, numberish in natural]
    if sum(widths) > frame_width:
        widths = [w * frame_width / sum(widths) for w in widths]
    data = []
    for row in rows:
        out = []
        for col, text in enumerate(row):
            plain = inline(text)
            if _is_numberish(text) and "<" not in plain:
                lines = _wrap_ascii(text.replace("\\|", "|"), widths[col] - pad, FONT, cell.fontSize)
                plain = "<br/>".join(escape(line) for line in lines)
            out.append(Paragraph(plain, cell))
        data.append(out)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="CENTER")
    table.setStyle(
        TableStyle(
            [
                (
                    "GRID" if rules else "LINEBELOW",
                    (0, 0),
                    (-1, -1),
                    0.5 if rules else 0,
                    colors.black if rules else colors.white,
                ),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE" if rules else "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), pad / 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad / 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _marker(**attrs):
    from reportlab.platypus.flowables import Spacer

    flowable = Spacer(0, 0)
    for key, value in attrs.items():
        setattr(flowable, key, value)
    return flowable


def _story(issue, styles, frame_width, pages):
    from reportlab.platypus import (
        CondPageBreak,
        NextPageTemplate,
        PageBreak,
        Paragraph,
        Spacer,
    )

    story = []
    if issue.cover:
        story += [Spacer(0, 170), Paragraph(escape(issue.publication), styles["cover"]), Spacer(0, 30)]
        if issue.issue_line:
            story.append(Paragraph(escape(issue.issue_line), styles["cover2"]))
        story += [Spacer(0, 330), Paragraph("内部资料 注意保存", styles["cover2"]), PageBreak()]
    if issue.contents:
        story += _contents(issue, styles, pages)
    story += [NextPageTemplate("body"), PageBreak() if story else Spacer(0, 0), _marker(kb_body_start=True)]
    for index, article in enumerate(issue.articles):
        story.append(CondPageBreak(110))
        title = Paragraph(inline(article.title), styles["title"])
        title.kb_article, title.kb_section = index, article.section
        story.append(title)
        blocks = markdown_blocks(article.body)
        source = f"（来源：{article.source}）" if article.source else None
        while blocks and blocks[-1][0] == "paragraph" and _SOURCE_LINE.match(blocks[-1][1]):
            source = source or blocks[-1][1]
            blocks.pop()
        inline_source = source and index in issue.source_inline and blocks and blocks[-1][0] == "paragraph"
        for i, (kind, payload) in enumerate(blocks):
            if kind == "table":
                story += [Spacer(0, 4), _table(payload, styles, frame_width, issue.rules), Spacer(0, 6)]
            elif kind == "heading":
                story.append(Paragraph(inline(payload), styles["heading"]))
            elif kind == "item":
                story.append(Paragraph(inline(payload), styles["item"], bulletText="•"))
            else:
                text = inline(payload)
                if inline_source and i == len(blocks) - 1:
                    text += escape(source)
                story.append(Paragraph(text, styles["body"]))
        if source and not inline_source:
            story.append(Paragraph(escape(source), styles["source"]))
    return story


def _contents(issue, styles, pages):
    from reportlab.platypus import PageBreak, Paragraph

    out = [Paragraph("目&nbsp;&nbsp;&nbsp;&nbsp;次", styles["toc_head"])]
    groups = []
    for index, article in enumerate(issue.articles):
        if not groups or groups[-1][0] != article.section:
            groups.append((article.section, []))
        groups[-1][1].append(index)
    last_page = max(pages.values(), default=1) + 1
    for g, (section, members) in enumerate(groups):
        if section:
            first = pages.get(members[0], 1)
            following = pages.get(groups[g + 1][1][0], last_page) - 1 if g + 1 < len(groups) else last_page
            end = max(first, pages.get(members[-1], first), following)
            line = f"◇ {escape(section)}&nbsp;&nbsp;&nbsp;{first}-{end}"
            out.append(Paragraph(line, styles["toc_section"]))
        for index in members:
            title = escape(issue.articles[index].title)
            dots = "." * 12
            out.append(Paragraph(f"◎ {title} {dots} {pages.get(index, 1)}", styles["toc_entry"]))
    out.append(PageBreak())
    return out


class _Tracker:
    """What the page furniture needs: where the body starts and which section each page is in."""

    def __init__(self):
        self.body_start = None
        self.section = None
        self.page_section = None
        self.pages = {}


def render_issue(issue, path):
    """Write `issue` as a PDF at `path`; return the number of pages. Fills issue.pages."""
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    register_fonts()
    styles = _styles(issue)
    frame_width = PAGE_W - 2 * MARGIN_X
    pages = {}
    for _ in range(3):  # contents page numbers settle after a pass or two
        tracker = _Tracker()
        doc = BaseDocTemplate(
            str(path),
            pagesize=(PAGE_W, PAGE_H),
            title=issue.publication,
            author="kb test renderer",
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
        )
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, frame_width, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM, id="f")

        def after(flowable, doc=doc, tracker=tracker):
            if getattr(flowable, "kb_body_start", False):
                tracker.body_start = doc.page
            if hasattr(flowable, "kb_article"):
                tracker.pages[flowable.kb_article] = doc.page - (tracker.body_start or 1) + 1
                if tracker.page_section is None:
                    tracker.page_section = flowable.kb_section or ""
                tracker.section = flowable.kb_section

        def furniture(canvas, doc, tracker=tracker):
            _draw_furniture(canvas, doc, tracker, issue)

        doc.afterFlowable = after
        templates = [
            PageTemplate(id="front", frames=[frame]),
            PageTemplate(id="body", frames=[frame], onPageEnd=furniture),
        ]
        if not (issue.cover or issue.contents):
            templates.reverse()  # no front matter: the body (with headers and footers) starts on page 1
        doc.addPageTemplates(templates)
        doc.build(_story(issue, styles, frame_width, pages))
        if tracker.pages == pages:
            break
        pages = tracker.pages
    issue.pages = dict(pages)
    return doc.page


def _draw_furniture(canvas, doc, tracker, issue):
    number = doc.page - (tracker.body_start or doc.page) + 1
    section = tracker.page_section if tracker.page_section is not None else tracker.section
    tracker.page_section = None
    canvas.saveState()
    canvas.setFont(FONT, 9)
    top = PAGE_H - MARGIN_TOP + 22
    if issue.header == "centred":
        head = issue.publication + (f"  {issue.issue_line}" if issue.issue_line else "")
        canvas.drawCentredString(PAGE_W / 2, top, head)
        if section:
            canvas.drawRightString(PAGE_W - MARGIN_X, top - 12, section)
    else:
        canvas.drawString(MARGIN_X, top, issue.publication)
        if section:
            canvas.drawRightString(PAGE_W - MARGIN_X, top, section)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, top - 16, PAGE_W - MARGIN_X, top - 16)
    canvas.setFont(FONT, 9.5)
    footer = f"- {number} -" if issue.footer == "dash" else f"第 {number} 页"
    canvas.drawCentredString(PAGE_W / 2, MARGIN_BOTTOM - 34, footer)
    canvas.restoreState()


def render_scanned(path, pages=2):
    """A PDF with no text layer: each page only a drawn image-like pattern (as a scanner makes)."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=(PAGE_W, PAGE_H))
    for _ in range(pages):
        canvas.setFillColor(colors.Color(0.95, 0.95, 0.93))
        canvas.rect(0, 0, PAGE_W, PAGE_H, fill=1, stroke=0)
        canvas.setFillColor(colors.Color(0.2, 0.2, 0.2))
        for row in range(40):
            canvas.rect(MARGIN_X, PAGE_H - 100 - row * 17, 300 + (row * 37) % 170, 8, fill=1, stroke=0)
        canvas.showPage()
    canvas.save()
