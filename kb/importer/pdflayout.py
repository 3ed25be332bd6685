"""What the lines of a PDF are, and the text they make (see kb/importer/pdf.py for the reading).

- page furniture: lines in the top or bottom margin that repeat at the same height on many pages
  (running headers, `- n -` / `第 n 页` page numbers: digits are ignored when comparing) are left out;
  a header part that names a section is kept as one short line, so the section rules see it;
- titles: lines set clearly larger than the body text, or centred in a bold or another face, become
  `#` headings; larger or bold lines inside an article `###`; a title set over two lines is one heading;
- paragraphs: a line that runs to the right edge (or stops short only because the next word did not
  fit) continues on the next line unless that one is indented or set a paragraph space lower; each
  paragraph comes out as one line; a （来源：…） line glued to the end of a paragraph gets its own line;
- tables: ruled tables come as tab-separated rows (a header row repeated on the next page is dropped);
  lines whose parts line up with a neighbour's are rows of a table drawn without rules (pdfrows.py);
- an issue printed without a contents page gets one, made from its titles and running headers.
"""

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from kb.importer.identity import read_issue_mark
from kb.importer.pdfrows import mark_rows
from kb.importer.split import ENUMERATOR, KNOWN_SECTIONS, SOURCE, TOC_HEAD, TOC_SECTION
from kb.importer.text import ends_sentence, join_fragments

MARGIN_BAND = 0.11  # top and bottom share of the page where running headers and page numbers sit
SLOT = 3.0  # points: furniture repeats at the same height within this
HEADING_SIZE = 1.2  # this much larger than body text: a title (`#`)
SUBHEADING_SIZE = 1.06  # this much larger, or bold: a heading inside an article (`###`)
BLOCK_START = re.compile(r"^[◎○●•◇◆■□▪]")
LEADER = re.compile(r"\s*(?:[.·…]\s?){4,}\s*\d{1,3}\s*$")  # a contents entry's dot leader and page


@dataclass
class TextLine:
    """One printed line: its page, box, main type size, text, and the parts it splits into at gaps."""

    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    text: str
    bold: bool = False
    first_width: float = 0.0  # of the first word: would it have fitted on the line above?
    parts: list = field(default_factory=list)  # (x0, x1, text, narrow gaps) pieces split at wide gaps
    first_char: float = 0.0  # width of the first character: was the line above full?
    font: str = ""
    row: bool = False  # a row of a table drawn without rules: its parts are cells
    scripts: bool = False  # has sub- or superscripts (some renderers then open the line spacing)


@dataclass
class TableBlock:
    """A ruled table: its rows of cell texts."""

    page: int
    top: float
    bottom: float
    rows: list


@dataclass
class Layout:
    """What the body text looks like: its size and font, the text column per page, the line gap."""

    size: float
    font: str
    bold: bool
    edges: dict
    gap: float
    sections: dict = field(default_factory=dict)  # page -> the section its running header names


def _key(text):
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def find_furniture(pages):
    """(page, top, part index) of every running header, footer and page number.

    A margin line is furniture when its text (digits aside) repeats at the same height on a quarter of
    the pages; so is a short line at that height, or at a height just beside it where short lines
    recur on as many pages (a section name printed under the bulletin's name)."""
    margin = []
    for number, page in enumerate(pages, start=1):
        band = MARGIN_BAND * page["height"]
        for line in page["items"]:
            if isinstance(line, TextLine) and (line.bottom < band or line.top > page["height"] - band):
                for i, part in enumerate(line.parts):
                    margin.append((number, line, i, part[2]))
    need = max(2, round(0.25 * len(pages)))
    by_slot_key = defaultdict(set)
    for number, line, _, text in margin:
        by_slot_key[(round(line.top / SLOT), _key(text))].add(number)
    repeated = {k for k, pages_ in by_slot_key.items() if len(pages_) >= need}
    slots = Counter()
    for _number, line, _, text in margin:
        if (round(line.top / SLOT), _key(text)) in repeated:
            slots[round(line.top / SLOT)] += 1
    short_pages = defaultdict(set)
    for number, line, _, text in margin:
        if len(text) <= 25:
            short_pages[round(line.top / SLOT)].add(number)
    fixed = {s for s in slots if slots[s] >= need}
    beside = {
        s for s, pages_ in short_pages.items() if len(pages_) >= need and any(abs(s - f) <= 6 for f in fixed)
    }
    furniture = set()
    for number, line, i, text in margin:
        slot = round(line.top / SLOT)
        near = {slot - 1, slot, slot + 1} & (fixed | beside)
        if (slot, _key(text)) in repeated or (near and len(text) <= 25):
            furniture.add((number, line.top, i))
    return furniture


def render(pages):
    """Pages of lines and tables to importer text."""
    furniture = find_furniture(pages)
    sizes = Counter()
    for page in pages:
        for item in page["items"]:
            if isinstance(item, TextLine):
                sizes[round(item.size, 1)] += len(item.text)
    body = max(sizes, key=sizes.get) if sizes else 10.0
    flow = []  # TextLine | TableBlock | ("section", name)
    sections = {}
    known = set(KNOWN_SECTIONS) | _contents_sections(pages, furniture)
    for number, page in enumerate(pages, start=1):
        for item in page["items"]:
            if isinstance(item, TextLine) and any(
                (number, item.top, i) in furniture for i in range(len(item.parts))
            ):
                for i, part in enumerate(item.parts):
                    name = re.sub(r"\s+", "", part[2])
                    if (number, item.top, i) not in furniture:
                        continue
                    if name in known:
                        flow.append(("section", name, number))
                        sections.setdefault(number, name)
                    elif read_issue_mark(
                        part[2]
                    ):  # `离子型稀土信息简报 2024年第1期`: the issue rules read it
                        flow.append(("mark", part[2], number))
                item.parts = [p for i, p in enumerate(item.parts) if (number, item.top, i) not in furniture]
                if not item.parts:
                    continue
                item.text = " ".join(p[2] for p in item.parts)
            flow.append(item)
    mark_rows([item for item in flow if isinstance(item, TextLine)])
    layout = _layout(flow, body)
    layout.sections = sections
    out, titles = _emit(flow, layout)
    return "\n".join(_with_contents(out, titles, set(sections.values()))) + "\n"


def _first_article(out, titles, names):
    """The first title followed by text (cover and masthead lines are followed by other headings)."""
    for k, (at, *_rest) in enumerate(titles):
        following = [line for line in out[at + 1 : at + 8] if line.strip() and line not in names]
        if following and not following[0].startswith("#"):
            return k
    return None


def _with_contents(out, titles, names):
    """An issue printed without a contents page gets one made from its titles and running headers,
    put before the first article: the splitter then cuts at the titles and leaves the cover alone.
    A title takes its page's section; titles before the first named page take the first section."""
    if not names or any(TOC_HEAD.match(line.lstrip("#").replace(" ", "")) for line in out[:300]):
        return out  # printed with contents, or no sections to give (the contents reader needs them)
    first = _first_article(out, titles, names)
    if first is None:
        return out
    entries = titles[first:]
    known = [section for *_, section in entries if section]
    if not known:
        return out
    contents, current = ["目次", ""], None
    for _, title, _, section in entries:
        section = section or current or known[0]
        if section != current:
            contents += [f"◇ {section}", ""]
            current = section
        contents += [f"◎ {title}", ""]
    at = entries[0][0]
    return out[:at] + contents + out[at:]


def _layout(flow, body):
    lines = [item for item in flow if isinstance(item, TextLine) and abs(item.size - body) < 0.6]
    fonts = Counter()
    bold = Counter()
    for line in lines:
        fonts[line.font] += len(line.text)
        bold[line.bold] += len(line.text)
    gaps = [
        b.top - a.bottom for a, b in pairwise(lines) if a.page == b.page and 0 < b.top - a.bottom < 2 * body
    ]
    return Layout(
        size=body,
        font=max(fonts, key=fonts.get) if fonts else "",
        bold=bool(bold) and max(bold, key=bold.get),
        edges=_edges(flow, body),
        gap=statistics.median(gaps) if gaps else 0.5 * body,
    )


def _contents_sections(pages, furniture):
    names = set()
    for page in pages[:4]:
        for item in page["items"]:
            if isinstance(item, TextLine):
                match = TOC_SECTION.match(item.text.strip())
                if match:
                    names.add(re.sub(r"\s+", "", match.group("name")))
    return names


def _edges(flow, body):
    """Left and right edge of the body text on each page (the text column)."""
    edges = {}
    by_page = defaultdict(list)
    for item in flow:
        if isinstance(item, TextLine) and abs(item.size - body) < 0.6:
            by_page[item.page].append(item)
    all_lines = [line for lines in by_page.values() for line in lines]
    default = _edge_pair(all_lines) if all_lines else (0.0, 1e9)
    for page, lines in by_page.items():
        edges[page] = _edge_pair(lines) if len(lines) >= 8 else default
    edges[None] = default
    return edges


def _edge_pair(lines):
    lefts = Counter(round(line.x0) for line in lines)
    left = min(x for x, n in lefts.items() if n >= max(lefts.values()) / 3)
    rights = sorted(line.x1 for line in lines)
    return left, rights[int(0.9 * (len(rights) - 1))]


def _centred(line, layout):
    left, right = layout.edges.get(line.page, layout.edges[None])
    return line.x0 > left + 1.5 * line.size and abs((line.x0 + line.x1) / 2 - (left + right) / 2) < line.size


def _heading_level(line, layout):
    """1: a title (larger type, or a centred line set apart by a bold or other face); 3: a heading."""
    body = layout.size
    if line.size >= HEADING_SIZE * body:
        return 1
    if line.row or len(line.text) > 60 or line.size < 0.95 * body:
        return 0
    marked = (line.bold and not layout.bold) or (line.font != layout.font and line.font != "")
    if (
        _centred(line, layout)
        and (marked or line.size >= SUBHEADING_SIZE * body)
        and not ends_sentence(line.text)
    ):
        return 1
    if line.size >= SUBHEADING_SIZE * body or (line.bold and not layout.bold):
        return 3
    return 0


def _continues(prev, line, layout):
    """Is `line` the wrapped rest of the paragraph whose last line is `prev`?"""
    edges = layout.edges
    if abs(prev.size - line.size) > 0.5 or BLOCK_START.match(line.text) or ENUMERATOR.match(line.text):
        return False
    if prev.row or line.row:
        return False
    if SOURCE.match(line.text.strip()) or SOURCE.match(prev.text.strip()):
        return False
    slack = edges.get(prev.page, edges[None])[1] - prev.x1
    # a line that stopped short ended its paragraph, unless the next word was too wide to fit
    # (a Latin word, or a contents entry set with a right indent for its page number)
    if slack > 1.5 * prev.size and (ends_sentence(prev.text) or line.first_width < slack - 2.5 * prev.size):
        return False
    allowed = layout.gap + (0.6 if prev.scripts or line.scripts else 0.25) * line.size
    if line.page == prev.page and line.top - prev.bottom > allowed:
        return False  # a paragraph space
    next_left = edges.get(line.page, edges[None])[0]
    indented = line.x0 - next_left >= 1.5 * line.size and line.x0 > prev.x0 + 0.5 * line.size
    return not indented


class _Writer:
    """Writes the flow out as text, one open paragraph or heading at a time."""

    def __init__(self, layout):
        self.layout = layout
        self.out = []
        self.titles = []  # (line index, title, page, section)
        self.para = None  # (last line, text)
        self.heading = None  # (level, text, last line)
        self.pending = []  # header signals waiting for the open paragraph to end
        self.marked = False
        self.last_table = None

    def flush(self, signals=True, force=False):
        """Write the open paragraph or heading; then the waiting header signals, once it ended an
        article (a source line), a title was written, or `force`."""
        para, heading, out = self.para, self.heading, self.out
        ended = heading is not None
        if para is not None:
            lines = _split_source(LEADER.sub("", para[1]))
            out.extend([*lines, ""])
            ended = bool(SOURCE.match(lines[-1]))
        if heading is not None:
            section = self.layout.sections.get(heading[2].page) if heading[0] == 1 else None
            self.titles.append((len(out), heading[1], heading[2].page, section))
            out.extend(["#" * heading[0] + " " + heading[1], ""])
            if section:  # the running header of the title's page names its section
                out.extend([section, ""])
        self.para = self.heading = None
        if signals and (ended or force):
            for name in self.pending:
                if out[-2:-1] != [name]:
                    out.extend([name, ""])
            self.pending.clear()

    def signal(self, kind, text):
        if kind == "mark" and not self.marked:
            self.out[:0] = [text, ""]  # the first issue mark heads the text, as the first page's header
            self.marked = True
        else:
            self.pending.append(text)

    def table(self, item):
        rows = [[_unmapped(cell).replace("\n", " ") for cell in row] for row in item.rows]
        last = self.last_table
        continued = (
            last is not None
            and last.page == item.page - 1
            and self.para is None
            and self.heading is None
            and rows
            and last.rows
            and len(rows[0]) == len(last.rows[0])
        )
        self.flush(signals=not continued, force=not continued)
        if continued:
            if item.rows[0] == last.rows[0]:
                rows = rows[1:]  # the header row printed again on a continued table
            while self.out and not self.out[-1]:
                self.out.pop()
        self.out.extend("\t".join(row) for row in rows)
        self.out.append("")
        self.last_table = item

    def line(self, item):
        text = _unmapped(item.text.replace("\xa0", " ")).strip()
        if not text:
            return
        level = _heading_level(item, self.layout)
        heading = self.heading
        if level:
            if (
                heading is not None
                and heading[0] == level
                and abs(heading[2].size - item.size) < 0.5
                and item.page == heading[2].page
                and item.top - heading[2].bottom < 0.8 * item.size
            ):
                self.heading = (level, join_fragments(heading[1], text), item)  # a title over two lines
                return
            self.flush()
            self.heading, self.last_table = (level, text, item), None
            return
        if self.para is not None and heading is None and _continues(self.para[0], item, self.layout):
            prev = self.para[0]
            right = self.layout.edges.get(prev.page, self.layout.edges[None])[1]
            at_space = prev.x1 + item.first_char < right - 0.5 and text[:1].isascii() and text[:1].isalnum()
            before = self.para[1]
            if before.endswith("-"):  # broken after a hyphen: nothing between the pieces
                if re.search(r"[a-z]-$", before) and text[:1].islower():
                    before = before[:-1]  # a Latin word hyphenated at the line end
                joined = before + text
            else:
                joined = before + " " + text if at_space else join_fragments(before, text)
            self.para = (item, joined)
            return
        self.flush()
        self.para, self.last_table = (item, text), None


def _emit(flow, layout):
    """Lines and tables to text lines; also the titles as (line index, title, page, section)."""
    writer = _Writer(layout)
    for item in flow:
        if isinstance(item, tuple):
            writer.signal(item[0], item[1])
        elif isinstance(item, TableBlock):
            writer.table(item)
        else:
            writer.line(item)
    writer.flush(force=True)
    return writer.out, writer.titles


def _unmapped(text):
    """A glyph the PDF gives no Unicode for (U+FFFD): at a line start it is a bullet, elsewhere noise."""
    if "\ufffd" not in text:
        return text
    text = re.sub(r"^\s*\ufffd+\s+", "• ", text)
    return text.replace("\ufffd", "")


def _split_source(text):
    """A paragraph that ends with its （来源：…） line: the two, on their own lines."""
    for i in range(max(0, len(text) - 70), len(text)):
        if text[i] in "（(【[" and i > 0 and SOURCE.match(text[i:].strip()):
            return [text[:i].rstrip(), text[i:].strip()]
    return [text]
