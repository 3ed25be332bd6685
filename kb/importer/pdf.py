"""Read a born-digital PDF bulletin into the text the importer reads, using what the PDF knows.

    text = read_pdf(data, path)      # then import_text(text, path) as for any converter's text

PDFium (pypdfium2) gives every character with its box, size and font; pdfplumber's table finder reads
the ruled tables, on the pages that draw lines. This module turns characters into lines and table
cells; kb/importer/pdflayout.py decides what the lines are (furniture, titles, paragraphs) and writes
the text.
- super- and subscripts (smaller characters above or below the line's middle) stay on their line,
  as Unicode ¹ ₂ where such characters exist;
- a line is cut into parts at wide gaps (a header's left and right sides, columns of a table drawn
  without rules);
- ruled tables: cells come from the table's geometry; text wrapped inside one cell is rejoined from
  that cell alone (`20220747-T-` / `469` → `20220747-T-469`): a line that filled the cell was broken
  inside a word, a shorter one at a space.
A PDF without a text layer (a scan), an encrypted or a damaged one gets a clear BulletinError.
"""

import io
import re
import statistics
import threading
from collections import Counter
from itertools import pairwise

from kb.errors import BulletinError
from kb.importer.pdflayout import TableBlock, TextLine, render

WORD_GAP = 0.15  # a gap this many characters wide is a space between words
PART_GAP = 1.5  # a gap this many characters wide splits a line into parts (columns, header sides)
SCRIPT_SIZE = 0.86  # a character this much smaller than its line is a super- or subscript
BOLD_FONT = re.compile(r"bold|heavy|black|semibold|demi|simhei|黑体", re.IGNORECASE)
SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
SUBSCRIPT = str.maketrans("0123456789+-", "₀₁₂₃₄₅₆₇₈₉₊₋")
PDF_MAGIC = b"%PDF-"
MAX_PAGES = 1000  # a bulletin has tens of pages; more is not an issue of it
PDFIUM_LOCK = threading.Lock()


def is_pdf(data):
    """PDF files start with `%PDF-` (the standard allows a little junk before it)."""
    return PDF_MAGIC in data[:1024]


def read_pdf(data, path="issue.pdf"):
    """PDF bytes to importer text (Markdown headings, one paragraph a line, tab-separated tables)."""
    with PDFIUM_LOCK:  # PDFium is not thread-safe; the web admin may read two uploads at once
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
        raise BulletinError(
            "reading PDF files needs pypdfium2 and pdfplumber",
            path=path,
            hint="pip install pypdfium2 pdfplumber, or import a converter's text",
        ) from None
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
        raise BulletinError(
            "reading tables in PDF files needs pdfplumber", path=path, hint="pip install pdfplumber"
        ) from None
    try:
        return pdfplumber.open(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - pdfminer raises many types for damaged or encrypted files
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
            if code == 2 or raw.FPDFText_IsHyphen(handle, i):
                text = "-"  # PDFium reports a hyphen that ends a line as U+0002
            else:
                text = chr(code) if code and not raw.FPDFText_HasUnicodeMapError(handle, i) else "\ufffd"
            if text in "\r\n\x00" or (not text.strip() and text not in " \u3000\xa0"):
                continue
            raw.FPDFText_GetLooseCharBox(handle, i, rect)
            weight = raw.FPDFText_GetFontWeight(handle, i)
            raw.FPDFText_GetFontInfo(handle, i, name, 128, ctypes.byref(flags))
            key = (name.value, weight)
            if key not in fonts:
                fonts[key] = weight >= 600 or bool(BOLD_FONT.search(name.value.decode("latin-1")))
            out.append(
                {
                    "text": text,
                    "x0": rect.left,
                    "x1": rect.right,
                    "top": height - rect.top,
                    "bottom": height - rect.bottom,
                    "size": raw.FPDFText_GetFontSize(handle, i),
                    "bold": fonts[key],
                    "font": key[0],
                }
            )
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
    count = len(doc)
    if count > MAX_PAGES:
        doc.close()
        raise BulletinError(
            f"PDF 页数过多 the PDF has {count} pages (at most {MAX_PAGES})",
            path=path,
            hint="import one issue at a time",
        )
    try:
        for index in range(len(doc)):
            try:  # the libraries meet the file here; a damaged page raises anything
                page = doc[index]
                try:
                    chars = _page_chars(page)
                    height, width = page.get_height(), page.get_width()
                    ruled = bool(chars) and _ruled(page)
                finally:
                    page.close()
                tables = []
                if ruled:
                    plumber = plumber or _open_tables(data, path)
                    tables = _tables(plumber.pages[index])
            except BulletinError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise BulletinError(
                    f"PDF 无法读取 the PDF cannot be read (page {index + 1}: {type(exc).__name__})",
                    path=path,
                    hint=DAMAGED,
                ) from None
            chars_seen += sum(1 for c in chars if c["text"].strip())
            boxes = [t.bbox for t in tables]
            free = [c for c in chars if not any(_inside(c, box) for box in boxes)]
            number = index + 1
            items = _lines(free, number, height)
            items += [
                TableBlock(number, t.bbox[1], t.bbox[3], _table_rows(t, chars, number, height))
                for t in tables
            ]
            items.sort(key=lambda item: item.top)
            pages.append({"height": height, "width": width, "items": items})
    finally:
        if plumber is not None:
            plumber.close()
        doc.close()
    if not pages:
        raise BulletinError("PDF 没有页面 the PDF has no pages", path=path)
    if chars_seen < 20 * len(pages) ** 0.5:
        raise BulletinError(
            "PDF 没有文字层（可能是扫描件），不支持 OCR: the PDF has no text layer (a scan?) "
            "and OCR is not supported",
            path=path,
            hint="import the text of the issue instead, or a PDF exported from the original document",
        )
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
            near = [
                g
                for g in groups[max(0, i - 3) : i + 4]
                if g is not group
                and size <= SCRIPT_SIZE * g[2]
                and abs((g[0] + g[1]) / 2 - centre) < 0.8 * g[2]
                and _overlaps_x(g[3], members, size)
            ]
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
    for top, bottom, _size, members in groups:
        members.sort(key=lambda c: c["x0"])
        sizes = Counter(round(c["size"], 1) for c in members)
        main = max(sizes, key=lambda s: (sizes[s], s))
        base = statistics.median(_centre(c) for c in members if round(c["size"], 1) == main)
        parts = _parts(members, main, base, height, spaces, top, bottom)
        text = " ".join(p[2] for p in parts)
        bold = sum(c["bold"] for c in members) > len(members) / 2
        fonts = Counter(c.get("font", "") for c in members)
        lines.append(
            TextLine(
                page,
                top,
                bottom,
                members[0]["x0"],
                max(c["x1"] for c in members),
                main,
                text,
                bold,
                _first_word_width(members, main),
                parts,
                first_char=members[0]["x1"] - members[0]["x0"],
                font=max(fonts, key=fonts.get),
                scripts=any(c["size"] <= SCRIPT_SIZE * main for c in members),
            )
        )
    return lines


def _first_word_width(members, size):
    """How wide the line's first word is: a Latin word up to a space, or one Chinese character."""
    end = members[0]
    for prev, char in pairwise(members):
        latin = prev["text"].isascii() and char["text"].isascii()
        if not latin or char["x0"] - prev["x1"] > WORD_GAP * size:
            break
        end = char
    return end["x1"] - members[0]["x0"]


def _parts(members, size, base, height, spaces, top, bottom):
    """The line's text in pieces split at wide gaps (a header's left and right parts), each as
    (x0, x1, text, spaces): spaces are (x, index) of the narrower gaps, where a column may still start."""
    parts, text, start, last, gaps = [], "", members[0]["x0"], None, []
    for char in members:
        if last is not None:
            gap = char["x0"] - last["x1"]
            if gap > PART_GAP * size:
                parts.append((start, last["x1"], text.strip(), gaps))
                text, start, gaps = "", char["x0"], []
            elif not text.endswith(" ") and (
                gap > WORD_GAP * size
                or any(
                    last["x1"] - 1 <= s["x0"] and s["x1"] <= char["x0"] + 1 and top - 1 <= s["top"] <= bottom
                    for s in spaces
                )
            ):
                text += " "
                gaps.append((char["x0"], len(text)))
        text += _script(char, size, base, height)
        last = char
    parts.append((start, last["x1"], text.strip(), gaps))
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
        full = prev.x1 + line.first_char > right - 0.5  # the next character would not have fitted
        if full or text.endswith(("-", "/", "—")) or not (text[-1].isascii() and first.isascii()):
            text += piece  # broken inside a word, after a hyphen, or Chinese: no space was lost
        else:
            text += " " + piece  # a Latin line broken at a space
    return text.strip()
