"""Repair what PDF converters break, one line or one string at a time.

Pure functions: bytes to text, LaTeX fragments to plain text, image
placeholders out, stray spaces between Chinese characters out, and the width
measure the line-joining rules use.
"""

import functools
import re
import unicodedata
from functools import lru_cache

from charset_normalizer import from_bytes

from kb.errors import BulletinError
from kb.numbers import join_number, repair_numbers

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff00-\uffef“”‘’…—"
TERMINAL = "。！？!?；;：:….．"
CLOSERS = "”’」』）)】〕"

_LATEX_SPAN = re.compile(r"\$\$?(.+?)\$?\$")
_LATEX_SYMBOLS = {
    r"\geq": "≥",
    r"\geqslant": "≥",
    r"\ge": "≥",
    r"\leq": "≤",
    r"\leqslant": "≤",
    r"\le": "≤",
    r"\times": "×",
    r"\pm": "±",
    r"\sim": "~",
    r"\approx": "≈",
    r"\cdot": "·",
    r"\degree": "°",
    r"\circ": "°",
    r"\%": "%",
    r"\alpha": "α",
    r"\beta": "β",
    r"\gamma": "γ",
    r"\mu": "μ",
    r"\Delta": "Δ",
    r"\delta": "δ",
    r"\lambda": "λ",
    r"\theta": "θ",
    r"\rightarrow": "→",
    r"\to": "→",
    r"\neq": "≠",
    r"\infty": "∞",
    r"\Omega": "Ω",
    r"\sigma": "σ",
    r"\pi": "π",
}
_LATEX_WRAPPERS = re.compile(r"\\(?:text|mathrm|mathbf|mathit|rm|bf|operatorname|mathsf)\s*\{([^{}]*)\}")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>|\[(?:图片|image|img)[^\]]*\]", re.I)
_HTML_SCRIPT = re.compile(r"</?(?:sub|sup|span|font|b|i|u|br)\b[^>]*>", re.I)
_MD_ESCAPE = re.compile(r"\\([_*\[\]()#+\-.!`])")
_LINK = re.compile(r"\[([^\]]+)\]\((?:mailto:|https?:)[^)]*\)")


def decode(data, path="<input>"):
    """Bytes of a raw issue to text: UTF-8 first, then GB18030/GBK and others; binary is refused."""
    if not data.strip():
        raise BulletinError("the file is empty", path=path, hint="export the issue's text again")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _tidy(data[len(bom) :].decode(encoding), path)
            except UnicodeDecodeError as exc:
                raise BulletinError(
                    f"starts with a {encoding.upper()} byte-order mark but is not valid "
                    f"{encoding.upper()} (byte {exc.start + len(bom)})",
                    path=path,
                    hint="save it as UTF-8",
                ) from None
    if b"\x00" in data[:8192]:
        text = _utf16_without_bom(data)
        if text is not None:
            return _tidy(text, path)
        raise BulletinError(
            "this looks like a binary file, not text",
            path=path,
            hint="convert the PDF or Word file to plain text first",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        best = from_bytes(data).best()
        if best is None:
            raise BulletinError(
                "cannot tell which text encoding this file uses", path=path, hint="save it as UTF-8"
            )
        text = str(best)
    return _tidy(text, path)


def _utf16_without_bom(data):
    """UTF-16 text saved without a byte-order mark, or None: it must decode strictly, hold line breaks
    and be nearly all ASCII or CJK (as a bulletin is), which binary never is."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:4000]
        usual = sum(
            1
            for ch in sample
            if " " <= ch <= "~" or ch in "\t\n\r" or "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"
        )
        if "\n" in sample and usual >= 0.95 * len(sample):
            return text
    return None


# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _tidy(text, path):
    """Refuse text full of control characters; one kind of line break."""
    controls = sum(1 for ch in text[:20000] if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), 20000):
        raise BulletinError(
            "this looks like a binary file, not text",
            path=path,
            hint="convert the PDF or Word file to plain text first",
        )
    # form feeds stay: they mark page breaks, where running headers and footers sit
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def latex_to_text(fragment):
    """`\\geq 99\\%` → `≥99%`, `P_2O_5` → `P2O5`, `\\text{Nd}_2\\text{O}_3` → `Nd2O3`."""
    out = fragment
    for _ in range(3):
        out = _LATEX_WRAPPERS.sub(r"\1", out)
    for command in sorted(_LATEX_SYMBOLS, key=len, reverse=True):
        out = re.sub(re.escape(command) + r"(?![A-Za-z])", _LATEX_SYMBOLS[command], out)
    out = re.sub(r"[_^]\{([^{}]*)\}", r"\1", out)
    out = re.sub(r"[_^](\S)", r"\1", out)
    out = re.sub(r"\\[A-Za-z]+", "", out)
    out = out.replace("{", "").replace("}", "").replace("\\", "")
    out = re.sub(r"\s+", " ", out).strip()
    out = re.sub(r"(?<=[≥≤±×~])\s+", "", out)
    out = re.sub(r"\s*(?=%)", "", out)
    return out


def strip_latex(line):
    return _LATEX_SPAN.sub(lambda m: latex_to_text(m.group(1)), line) if "$" in line else line


def despace(text):
    """Drop converter spaces between Chinese characters, and between Chinese and digits."""
    text = re.sub(rf"(?<=[{CJK}{CJK_PUNCT}])[ \u3000\xa0]+(?=[{CJK}{CJK_PUNCT}])", "", text)
    text = re.sub(rf"(?<=[{CJK}{CJK_PUNCT}])[ \u3000\xa0]+(?=\d)", "", text)
    text = re.sub(rf"(?<=\d)[ \u3000\xa0]+(?=[{CJK}{CJK_PUNCT}])", "", text)
    return text


_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_CELL_BREAK = re.compile(r"<br\s*/?>", re.I)
_HTML_COMMENT = re.compile(r"<!--.*?-->")


def pipe_row_to_cells(line):
    """A Markdown pipe-table row to tab-separated cells; `<br>` inside a cell is a wrap, rejoined.

    `| 1 | 20220747-<br>T-469 | 稀土<br>硅铁合金 |` → `1\t20220747-T-469\t稀土硅铁合金`.
    Lines that are not pipe rows come back unchanged.
    """
    if not _PIPE_ROW.match(line):
        return line
    cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
    out = []
    for cell in cells:
        text = ""
        for piece in _CELL_BREAK.split(cell):
            text = join_fragments(text, piece.strip())
        out.append(text.replace("\t", " ").replace("\\|", "|"))
    return "\t".join(out)


_TOKEN = re.compile(r"\S+")
# A piece of a number a narrow cell wrapped: `GB/T`, `12690.`, `12-`, `2003`, `T-469`, and the head of
# a plan number cut after its kind letter, `20220747-T-`.
_NUMBER_PIECE = re.compile(
    r"^(?:[-–—]?[A-Z/]{0,5}[TZ]?[-–—]?[\d.]{0,10}[-–—]?\d{0,4}|(?:19|20)\d{6}[-–—]?[TZQ]?[-–—]?\d{0,3})$"
)
# A plan number cut after its kind letter and glued to the next cell (`20250311-T稀土永磁体…`), by a
# converter that reads a table row by row; its committee code (`469`) is then alone on a line below.
_CUT_PLAN = re.compile(r"(?<![\dA-Za-z])(?P<head>(?:19|20)\d{6}\s?[-–—]\s?[TZQ])\s?[-–—]?(?=[^\d\s\-–—]|$)")
_CODE_LINE = re.compile(r"^\s*(?P<code>\d{3})\s*$")


def _piece_below(lines, start, col):
    """The number piece nearest below `start` in column `col` (within three lines), as (line, match)."""
    for j in range(start + 1, min(start + 4, len(lines))):
        below = next((t for t in _TOKEN.finditer(lines[j]) if abs(t.start() - col) <= 2), None)
        if below is not None:
            return (j, below) if _NUMBER_PIECE.match(below.group()) else None
    return None


def repair_layout_numbers(raw_lines):
    """Rejoin numbers that a narrow table cell wrapped, in text laid out in columns (`-layout`).

    `20220747-` on one line and `T-469` two lines below in the same column are one number; so
    are `GB/T` `12690.` `12-` `2003`.  The pieces are joined onto the first line, the later
    pieces blanked (columns kept), and only where the number grammar reads one number.
    """
    lines = list(raw_lines)
    for i, line in enumerate(lines):
        if "  " not in line or not re.search(r"[\d/]", line):
            continue
        tokens = list(_TOKEN.finditer(line))
        for k in range(len(tokens) - 1, -1, -1):  # right to left: columns to the left stay put
            head = tokens[k]
            if not _NUMBER_PIECE.match(head.group()):
                continue
            # a cell may hold two pieces one space apart: `GB/T 4138-` over `2015`
            spans = [(head.start(), head.end())]
            if (
                k + 1 < len(tokens)
                and tokens[k + 1].start() == head.end() + 1
                and _NUMBER_PIECE.match(tokens[k + 1].group())
            ):
                spans.insert(0, (head.start(), tokens[k + 1].end()))
            for start, end in spans:
                if _join_down(lines, i, start, end):
                    break
    return lines


def repair_cut_plan_numbers(raw_lines):
    """Rejoin a plan number cut after its kind letter with its three-digit code on a line of its own
    within the next three lines: `20250311-T稀土永磁体…` + `469` → `20250311-T-469 稀土永磁体…`.
    Only a line holding nothing but three digits is taken; it is then left empty."""
    lines = list(raw_lines)
    for i, line in enumerate(lines):
        match = _CUT_PLAN.search(line)
        if match is None:
            continue
        for j in range(i + 1, min(i + 4, len(lines))):
            code = _CODE_LINE.match(lines[j])
            if code is not None:
                head = re.sub(r"\s", "", match.group("head"))
                lines[i] = (
                    f"{line[: match.start()]}{head}-{code.group('code')} {line[match.end() :].lstrip()}"
                )
                lines[j] = ""
                break
    return lines


def _join_down(lines, i, start, end):
    """Join the number pieces below lines[i][start:end] in its column onto it; True if any."""
    text, at = lines[i][start:end], i
    while (found := _piece_below(lines, at, start)) is not None:
        j, below = found
        joined = join_number(text, below.group())
        if joined is None:
            break
        lines[j] = lines[j][: below.start()] + " " * len(below.group()) + lines[j][below.end() :]
        text, at = joined, j
    if at == i:
        return False
    lines[i] = lines[i][:start] + text + lines[i][end:]
    return True


def clean_line(line):
    """One raw line, repaired: no images, LaTeX, inline HTML or Markdown escapes; trimmed."""
    line = _HTML_COMMENT.sub("", line.replace("\f", ""))
    line = pipe_row_to_cells(line)
    line = _IMAGE.sub("", line)
    line = strip_latex(line)
    line = _HTML_SCRIPT.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _MD_ESCAPE.sub(r"\1", line)
    line = repair_numbers(line.replace("\u3000", " ").rstrip())
    if "\t" in line:
        cells = [despace(c.strip()) for c in line.split("\t")]
        return "\t".join(cells)
    return despace(line.strip())


def width(text):
    """Display width: Chinese and full-width characters count 1, others 1/2 (counted per distinct
    character, so a multi-megabyte line costs one pass in C)."""
    if text.isascii():
        return len(text) / 2
    if len(text) < 2000:
        return _short_width(text)
    basic, astral = _wide_patterns()
    rest = basic.sub("", text)
    if rest and max(rest) > "\uffff":
        rest = astral.sub("", rest)
    return (len(text) - len(rest)) + len(rest) / 2


@functools.lru_cache(maxsize=65536)
def _short_width(text):
    """Width of a line of ordinary length, cached: the joining rules measure the same lines often.
    Long lines are not cached, so a running server keeps no multi-megabyte line alive."""
    return sum(1 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


@functools.lru_cache(maxsize=1)
def _wide_patterns():
    """Character classes of every wide and full-width code point, built once on the first long line:
    one for the Basic Multilingual Plane (a bitmap in `re`, so a multi-megabyte line is one fast
    pass) and one for the planes above it."""

    def ranges(low, high):
        found, start = [], None
        for code in range(low, high):
            wide = unicodedata.east_asian_width(chr(code)) in "WF"
            if wide and start is None:
                start = code
            elif not wide and start is not None:
                found.append((start, code - 1))
                start = None
        return found + ([(start, high - 1)] if start is not None else [])

    def pattern(spans):
        return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in spans) + "]")

    return pattern(ranges(0x80, 0x10000)), pattern(ranges(0x10000, 0x110000))


def ends_sentence(text):
    text = text.rstrip()
    while text and text[-1] in CLOSERS and len(text) > 1 and text[-2] in TERMINAL:
        text = text[:-1]
    return bool(text) and text[-1] in TERMINAL


def join_fragments(left, right):
    """Join two wrapped pieces: no space between Chinese, one space between Latin words."""
    if not left:
        return right
    if not right:
        return left
    a, b = left[-1], right[0]
    if re.match(r"[A-Za-z0-9,.;)%]", a) and re.match(r"[A-Za-z(]", b):
        return left + " " + right
    return left + right


@lru_cache(maxsize=8192)
def normalise_title(text):
    """Comparable form of a title: NFKC, no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
