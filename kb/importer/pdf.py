"""Read a born-digital PDF bulletin into the text the importer reads, using what the PDF knows.

    text = read_pdf(data, path)      # then import_text(text, path) as for any converter's text

pdfplumber (MIT, on pdfminer.six) gives every character with its position, font and size. From them:
- page furniture: lines in the top or bottom margin that repeat at the same height on many pages
  (running headers, `- n -` / `第 n 页` page numbers: digits are ignored when comparing) are left out;
  a header part that names a section is kept as one short line, so the section rules see it;
- titles: lines set clearly larger than the body text (or in a bold face) become Markdown headings;
  a title set over two lines is one heading;
- paragraphs: a line that runs to the right edge continues on the next line unless that one is
  indented; each paragraph comes out as one line; a （来源：…） line glued to the end of a paragraph
  is put on its own line;
- super- and subscripts (smaller characters above or below the baseline) stay on their line,
  as Unicode ¹ ₂ where such characters exist;
- ruled tables: cells come from the table's geometry; text wrapped inside one cell is rejoined from
  that cell alone (`20220747-T-` / `469` → `20220747-T-469`) and rows come out tab-separated.
"""

import io
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from kb.errors import BulletinError
from kb.importer.split import ENUMERATOR, KNOWN_SECTIONS, SOURCE, TOC_SECTION
from kb.importer.text import ends_sentence, join_fragments

MARGIN_BAND = 0.11  # top and bottom share of the page where running headers and page numbers sit
SLOT = 3.0  # points: furniture repeats at the same height within this
SCRIPT_SIZE = 0.86  # a character this much smaller than its line is a super- or subscript
HEADING_SIZE = 1.2  # this much larger than body text: a title (`#`)
SUBHEADING_SIZE = 1.06  # this much larger, or bold: a heading inside an article (`###`)
BOLD_FONT = re.compile(r"bold|heavy|black|semibold|demi|simhei|黑体", re.IGNORECASE)
SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
SUBSCRIPT = str.maketrans("0123456789+-", "₀₁₂₃₄₅₆₇₈₉₊₋")
BLOCK_START = re.compile(r"^[◎○●•◇◆■□▪]")
PDF_MAGIC = b"%PDF-"


def is_pdf(data):
    """PDF files start with `%PDF-` (the standard allows a little junk before it)."""
    return PDF_MAGIC in data[:1024]


@dataclass
class TextLine:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    text: str
    bold: bool = False
    first_width: float = 0.0
    parts: list = field(default_factory=list)  # (x0, x1, text) pieces split at wide gaps
    font: str = ""
    row: bool = False  # a row of a table drawn without rules: its parts are cells


@dataclass
class Layout:
    """What the body text looks like: its size and font, the text column per page, the line gap."""

    size: float
    font: str
    bold: bool
    edges: dict
    gap: float


@dataclass
class TableBlock:
    page: int
    top: float
    bottom: float
    rows: list


def read_pdf(data, path="issue.pdf"):
    """PDF bytes to importer text (Markdown headings, one paragraph a line, tab-separated tables)."""
    pages = _read_pages(data, path)
    return render(pages)


DAMAGED = "the file may be damaged; export the PDF again"
ENCRYPTED = "PDF 已加密 the PDF is encrypted (password protected)"
UNPROTECT = "save an unprotected copy of the PDF, or import a converter's text"


def _open(data, path):
    """The document in PDFium (fast characters); pdfplumber is opened only for pages with ruled lines."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise BulletinError("reading PDF files needs pypdfium2 and pdfplumber", path=path,
                            hint="pip install pypdfium2 pdfplumber, or import a converter's text") from None
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == 4 or "password" in str(exc).lower():
            raise BulletinError(ENCRYPTED, path=path, hint=UNPROTECT) from None
        raise BulletinError("PDF 无法读取 the PDF cannot be read", path=path, hint=DAMAGED) from None


def _open_tables(data, path):
    try:
        import pdfplumber
    except ImportError:
        raise BulletinError("reading tables in PDF files needs pdfplumber", path=path,
                            hint="pip install pdfplumber") from None
    try:
        return pdfplumber.open(io.BytesIO(data))
    except Exception:  # pdfminer raises many types for damaged or encrypted files
        raise BulletinError("PDF 无法读取 the PDF cannot be read", path=path, hint=DAMAGED) from None


def _page_chars(page):
    """Every character PDFium finds on the page, as {text, x0, x1, top, bottom, size, bold}."""
    import ctypes

    from pypdfium2 import raw

    height = page.get_height()
    textpage = page.get_textpage()
    out, rect, name, flags = [], raw.FS_RECTF(), ctypes.create_string_buffer(128), ctypes.c_int()
    fonts = {}
    try:
        handle = textpage.raw
        for i in range(raw.FPDFText_CountChars(handle)):
            if raw.FPDFText_IsGenerated(handle, i) or abs(raw.FPDFText_GetCharAngle(handle, i)) > 0.01:
                continue
            code = raw.FPDFText_GetUnicode(handle, i)
            code = 0x2D if code == 2 else code  # PDFium reports a hyphen that ends a line as U+0002
            text = chr(code) if code and not raw.FPDFText_HasUnicodeMapError(handle, i) else "\ufffd"
            if text in "\r\n\x00" or (not text.strip() and text not in " \u3000\xa0"):
                continue
            raw.FPDFText_GetLooseCharBox(handle, i, rect)
            weight = raw.FPDFText_GetFontWeight(handle, i)
            raw.FPDFText_GetFontInfo(handle, i, name, 128, ctypes.byref(flags))
            key = (name.value, weight)
            if key not in fonts:
                fonts[key] = weight >= 600 or bool(BOLD_FONT.search(name.value.decode("latin-1")))
            out.append({"text": text, "x0": rect.left, "x1": rect.right, "top": height - rect.top,
                        "bottom": height - rect.bottom, "size": raw.FPDFText_GetFontSize(handle, i),
                        "bold": fonts[key], "font": key[0]})
    finally:
        textpage.close()
    return out


def _ruled(page):
    """Does the page draw enough straight lines to hold a ruled table?"""
    from pypdfium2 import raw

    segments = 0
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=2):
        segments += max(0, raw.FPDFPath_CountSegments(obj.raw))
        if segments >= 8:
            return True
    return False


def _read_pages(data, path):
    """Per page: its text lines and tables, top to bottom."""
    doc = _open(data, path)
    plumber = None
    pages, chars_seen = [], 0
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                chars = _page_chars(page)
                height, width = page.get_height(), page.get_width()
                ruled = bool(chars) and _ruled(page)
            finally:
                page.close()
            chars_seen += sum(1 for c in chars if c["text"].strip())
            tables = []
            if ruled:
                plumber = plumber or _open_tables(data, path)
                tables = _tables(plumber.pages[index])
            boxes = [t.bbox for t in tables]
            free = [c for c in chars if not any(_inside(c, box) for box in boxes)]
            number = index + 1
            items = _lines(free, number, height)
            items += [TableBlock(number, t.bbox[1], t.bbox[3], _table_rows(t, chars, number, height))
                      for t in tables]
            items.sort(key=lambda item: item.top)
            pages.append({"height": height, "width": width, "items": items})
    except BulletinError:
        raise
    except Exception as exc:
        raise BulletinError(f"PDF 无法读取 the PDF cannot be read ({type(exc).__name__})", path=path,
                            hint=DAMAGED) from None
    finally:
        if plumber is not None:
            plumber.close()
        doc.close()
    if not pages:
        raise BulletinError("PDF 没有页面 the PDF has no pages", path=path)
    if chars_seen < 20 * len(pages) ** 0.5:
        raise BulletinError(
            "PDF 没有文字层（可能是扫描件），不支持 OCR: the PDF has no text layer (a scan?) "
            "and OCR is not supported", path=path,
            hint="import the text of the issue instead, or a PDF exported from the original document")
    return pages


def _inside(char, bbox):
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return bbox[0] - 1 <= x <= bbox[2] + 1 and bbox[1] - 1 <= y <= bbox[3] + 1


def _tables(page):
    """Ruled tables of at least two rows and two columns."""
    found = []
    for table in page.find_tables():
        rows = table.rows
        if len(rows) >= 2 and max(len(r.cells) for r in rows) >= 2:
            found.append(table)
    return found


def _centre(char):
    return (char["top"] + char["bottom"]) / 2


SCRIPT_CHARS = re.compile(r"^[0-9A-Za-z+\-−*′'.,]+$")


def _overlaps_x(chars, others, slack):
    return min(c["x0"] for c in chars) - slack <= others[0]["x0"] <= max(c["x1"] for c in chars) + slack


def _attach_scripts(groups):
    """A run of small digits or letters set half a line above or below a line is its sub/superscript."""
    kept = []
    for i, group in enumerate(groups):
        top, bottom, size, members = group
        text = "".join(c["text"] for c in members)
        home = None
        if len(text) <= 12 and SCRIPT_CHARS.match(text):
            centre = (top + bottom) / 2
            near = [g for g in groups[max(0, i - 3):i + 4] if g is not group and size <= SCRIPT_SIZE * g[2]
                    and abs((g[0] + g[1]) / 2 - centre) < 0.8 * g[2] and _overlaps_x(g[3], members, size)]
            if near:
                home = min(near, key=lambda g: abs((g[0] + g[1]) / 2 - centre))
        if home is None:
            kept.append(group)
        else:
            home[3].extend(members)
    return kept


def _lines(chars, page, height):
    """Characters to lines; smaller raised or lowered characters join the line they sit on."""
    groups = []  # [top, bottom, size, chars]
    for char in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if not char["text"].strip():
            continue
        h = char["bottom"] - char["top"]
        home = None
        for group in reversed(groups[-4:]):
            overlap = min(group[1], char["bottom"]) - max(group[0], char["top"])
            if overlap >= 0.45 * min(h, group[1] - group[0]):
                home = group
                break
        if home is None:
            groups.append([char["top"], char["bottom"], char["size"], [char]])
            continue
        home[3].append(char)
        if char["size"] > home[2] * 1.05:  # a larger character: the line's box is its box
            home[0], home[1], home[2] = char["top"], char["bottom"], char["size"]
    groups = _attach_scripts(groups)
    spaces = [c for c in chars if not c["text"].strip()]
    lines = []
    for top, bottom, size, members in groups:
        members.sort(key=lambda c: c["x0"])
        sizes = Counter(round(c["size"], 1) for c in members)
        main = max(sizes, key=lambda s: (sizes[s], s))
        base = statistics.median(_centre(c) for c in members if round(c["size"], 1) == main)
        parts = _parts(members, main, base, height, spaces, top, bottom)
        text = " ".join(p[2] for p in parts)
        bold = sum(c["bold"] for c in members) > len(members) / 2
        fonts = Counter(c.get("font", "") for c in members)
        lines.append(TextLine(page, top, bottom, members[0]["x0"], max(c["x1"] for c in members), main,
                              text, bold, _first_word_width(members, main), parts,
                              font=max(fonts, key=fonts.get)))
    return lines


def _first_word_width(members, size):
    """How wide the line's first word is: a Latin word up to a space, or one Chinese character."""
    end = members[0]
    for prev, char in pairwise(members):
        if not (prev["text"].isascii() and char["text"].isascii()) or char["x0"] - prev["x1"] > 0.2 * size:
            break
        end = char
    return end["x1"] - members[0]["x0"]


def _parts(members, size, base, height, spaces, top, bottom):
    """The line's text in pieces split at wide gaps (a header's left and right parts)."""
    parts, text, start, last = [], "", members[0]["x0"], None
    for char in members:
        if last is not None:
            gap = char["x0"] - last["x1"]
            if gap > 2.5 * size:
                parts.append((start, last["x1"], text.strip()))
                text, start = "", char["x0"]
            elif not text.endswith(" ") and (gap > 0.2 * size or any(
                    last["x1"] - 1 <= s["x0"] and s["x1"] <= char["x0"] + 1 and top - 1 <= s["top"] <= bottom
                    for s in spaces)):
                text += " "
        text += _script(char, size, base, height)
        last = char
    parts.append((start, last["x1"], text.strip()))
    return [p for p in parts if p[2]]


def _script(char, size, base, height):
    """A character as printed: small raised digits as superscripts, small lowered ones as subscripts."""
    ch = char["text"]
    if char["size"] > SCRIPT_SIZE * size:
        return ch
    shift = _centre(char) - base
    if shift < -0.15 * size:
        return ch.translate(SUPERSCRIPT)
    if shift > 0.08 * size:
        return ch.translate(SUBSCRIPT)
    return ch


def _table_rows(table, chars, page, height):
    rows = []
    for row in table.rows:
        cells = []
        for bbox in row.cells:
            if bbox is None:
                cells.append("")
                continue
            inner = [c for c in chars if _inside(c, bbox)]
            cells.append(_cell_text(inner, bbox, page, height))
        rows.append(cells)
    return rows


def _cell_text(chars, bbox, page, height):
    """One cell's lines rejoined: a line that filled the cell was broken inside a word."""
    lines = _lines(chars, page, height)
    if not lines:
        return ""
    right = bbox[2] - max(0.0, min(line.x0 for line in lines) - bbox[0])  # the cell's padding
    text = ""
    for i, line in enumerate(lines):
        piece = line.text.replace("\t", " ")
        if not text:
            text = piece
            continue
        prev = lines[i - 1]
        first = piece[:1]
        full = prev.x1 + line.first_width > right - 0.5
        if full or text.endswith(("-", "/", "—")) or not (text[-1].isascii() and first.isascii()):
            text += piece  # broken inside a word, after a hyphen, or Chinese: no space was lost
        else:
            text += " " + piece  # a Latin line broken at a space
    return text.strip()


def _key(text):
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def find_furniture(pages):
    """(page, top, part index) of every running header, footer and page number."""
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
    for number, line, _, text in margin:
        if (round(line.top / SLOT), _key(text)) in repeated:
            slots[round(line.top / SLOT)] += 1
    furniture = set()
    for number, line, i, text in margin:
        slot = round(line.top / SLOT)
        near = [s for s in (slot - 1, slot, slot + 1) if slots[s] >= need]
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
    known = set(KNOWN_SECTIONS) | _contents_sections(pages, furniture)
    for number, page in enumerate(pages, start=1):
        for item in page["items"]:
            if isinstance(item, TextLine) and any((number, item.top, i) in furniture
                                                  for i in range(len(item.parts))):
                for i, part in enumerate(item.parts):
                    name = re.sub(r"\s+", "", part[2])
                    if (number, item.top, i) in furniture and name in known:
                        flow.append(("section", name, number))
                item.parts = [p for i, p in enumerate(item.parts) if (number, item.top, i) not in furniture]
                if not item.parts:
                    continue
                item.text = " ".join(p[2] for p in item.parts)
            flow.append(item)
    mark_rows(flow)
    layout = _layout(flow, body)
    return "\n".join(_emit(flow, layout)) + "\n"


def _aligned(a, b):
    """Do two lines split into parts share at least two column positions (left or right edges)?"""
    hits = 0
    for pa in a.parts:
        if any(abs(pa[0] - pb[0]) < 4 or abs(pa[1] - pb[1]) < 4 for pb in b.parts):
            hits += 1
    return hits >= 2


def mark_rows(flow):
    """Lines in parts that line up with a neighbour's parts are rows of a table drawn without rules."""
    lines = [item for item in flow if isinstance(item, TextLine)]
    for i, line in enumerate(lines):
        if len(line.parts) < 2:
            continue
        neighbours = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        if any(o.page == line.page and len(o.parts) >= 2 and _aligned(line, o) for o in neighbours):
            line.row = True
            line.text = "\t".join(p[2] for p in line.parts)


def _layout(flow, body):
    lines = [item for item in flow if isinstance(item, TextLine) and abs(item.size - body) < 0.6]
    fonts = Counter()
    bold = Counter()
    for line in lines:
        fonts[line.font] += len(line.text)
        bold[line.bold] += len(line.text)
    gaps = [b.top - a.bottom for a, b in pairwise(lines)
            if a.page == b.page and 0 < b.top - a.bottom < 2 * body]
    return Layout(size=body, font=max(fonts, key=fonts.get) if fonts else "",
                  bold=bool(bold) and max(bold, key=bold.get), edges=_edges(flow, body),
                  gap=statistics.median(gaps) if gaps else 0.5 * body)


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
    if _centred(line, layout) and (marked or line.size >= SUBHEADING_SIZE * body) \
            and not ends_sentence(line.text):
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
    if line.page == prev.page and line.top - prev.bottom > layout.gap + 0.25 * line.size:
        return False  # a paragraph space
    next_left = edges.get(line.page, edges[None])[0]
    indented = line.x0 - next_left >= 1.5 * line.size and line.x0 > prev.x0 + 0.5 * line.size
    return not indented


def _emit(flow, layout):
    out, para, heading, last_table = [], None, None, None

    pending = []

    def flush(sections=True, force=False):
        nonlocal para, heading
        if para is not None:
            out.extend(_split_source(para[1]))
            out.append("")
        if heading is not None:
            out.append("#" * heading[0] + " " + heading[1])
            out.append("")
        ended = heading is not None or (para is not None and _split_source(para[1])[-1] != para[1]) \
            or (para is not None and SOURCE.match(para[1]))
        para = heading = None
        if not sections or not (ended or force):
            return
        for name in pending:
            if out[-2:-1] != [name]:
                out.extend([name, ""])
        pending.clear()

    for item in flow:
        if isinstance(item, tuple):
            pending.append(item[1])  # a section name from a running header: after the open paragraph
            continue
        if isinstance(item, TableBlock):
            rows = [[_unmapped(cell) for cell in row] for row in item.rows]
            continued = last_table is not None and last_table.page == item.page - 1 and para is None \
                and heading is None and rows and last_table.rows and len(rows[0]) == len(last_table.rows[0])
            flush(sections=not continued, force=not continued)
            if continued:
                if item.rows[0] == last_table.rows[0]:
                    rows = rows[1:]  # the header row printed again on a continued table
                while out and not out[-1]:
                    out.pop()
            out.extend("\t".join(cell.replace("\n", " ") for cell in row) for row in rows)
            out.append("")
            last_table = item
            continue
        text = _unmapped(item.text.replace("\xa0", " ")).strip()
        if not text:
            continue
        level = _heading_level(item, layout)
        if level:
            if para is not None:
                flush()
            if heading is not None and heading[0] == level and abs(heading[2].size - item.size) < 0.5 \
                    and item.page == heading[2].page and item.top - heading[2].bottom < 0.8 * item.size:
                heading = (level, join_fragments(heading[1], text), item)
                continue
            flush()
            heading = (level, text, item)
            last_table = None
            continue
        if heading is not None:
            flush()
        if para is not None and _continues(para[0], item, layout):
            para = (item, join_fragments(para[1], text))
            continue
        flush()
        para = (item, text)
        last_table = None
    flush(force=True)
    return out


def _unmapped(text):
    """Glyphs the PDF gives no Unicode for come out as `(cid:N)`: at a line start it is a bullet."""
    if "(cid:" not in text:
        return text
    text = re.sub(r"^\s*\(cid:\d+\)\s*", "• ", text)
    return re.sub(r"\(cid:\d+\)", "", text)


def _split_source(text):
    """A paragraph that ends with its （来源：…） line: the two, on their own lines."""
    for i in range(max(0, len(text) - 70), len(text)):
        if text[i] in "（(【[" and i > 0 and SOURCE.match(text[i:].strip()):
            return [text[:i].rstrip(), text[i:].strip()]
    return [text]
