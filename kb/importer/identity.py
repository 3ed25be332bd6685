"""Who an issue is and who an article is, independent of file names, converters and line numbers.

An issue is its publication, year and number (第N期), with the running total (总第N期) where printed.
It is read, in this order, from:

| where                    | rule                                                                  |
| ------------------------ | --------------------------------------------------------------------- |
| `--issue` / admin field  | `2020-11`, `2020/11`, `2020年第11期`: the staff member's word wins      |
| the cover                | an issue mark on a short line among the first 40 lines of text        |
| running headers, footers | the same issue mark on a short line that repeats (two times or more)  |
| one header only          | a single such line, when no other issue is named (the review warns)   |

A line counts only when, the mark aside, it is short page furniture (a publication name, a page
number), so a sentence that quotes another journal's issue ("据《稀土》2023年第3期…") never names
this one.  The folder and slug are `YYYY-NN`; an issue found nowhere is not imported.

An article is its issue plus its normalised title (letters and digits only, after NFKC and case
folding), so two converters' texts of one issue give the same ids.
"""

import hashlib
import re
import unicodedata
from collections import Counter

from kb.errors import BulletinError

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
ISSUE_MARK = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*年\s*(?:第\s*)?(?P<no>\d{1,3}|[一二三四五六七八九十]{1,3})\s*期"
)
TOTAL_MARK = re.compile(r"[（(]?\s*总\s*第?\s*(?P<total>\d{1,5})\s*期\s*[)）]?")
PAGE_MARK = re.compile(r"第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|[-－—–]\s*\d{1,3}\s*[-－—–]|\b\d{1,3}\b")
SENTENCE = re.compile(r"[，。；：:;！？!?“”《》「」]")
ISSUE_ARG = re.compile(r"^(?P<year>(?:19|20)\d{2})\s*(?:[-/.]|年\s*第?)\s*(?P<no>\d{1,3})\s*期?$")
COVER_LINES = 40
FURNITURE_WIDTH = 24  # display width of what a furniture line holds besides the issue mark
MISSING_HINT = (
    "请用 --issue YYYY-NN 指明期号，例如 kb import --issue 2020-11 文件.txt（网页导入时填写“期号”一栏）"
)


def _number(text):
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN_DIGITS.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return CN_DIGITS.get(tens, 0) * 10 + CN_DIGITS.get(ones, 0)
    return CN_DIGITS.get(text, 0)


def _width(text):
    return sum(1 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def read_issue_mark(text):
    """(year, number, total, rest) when a line is an issue mark on page furniture, else None."""
    text = unicodedata.normalize("NFKC", text)
    match = ISSUE_MARK.search(text)
    if not match:
        return None
    year, number = int(match.group("year")), _number(match.group("no"))
    if not 1 <= number <= 999:
        return None
    rest = text[: match.start()] + " " + text[match.end() :]
    total = TOTAL_MARK.search(rest)
    if total:
        rest = rest[: total.start()] + " " + rest[total.end() :]
    rest = PAGE_MARK.sub(" ", rest)
    rest = re.sub(r"[\s|·•/\\#*_]+", " ", rest).strip()
    if SENTENCE.search(rest) or _width(rest) > FURNITURE_WIDTH:
        return None
    return year, number, int(total.group("total")) if total else None, rest


def find_issue(texts, cover_lines=COVER_LINES):
    """(year, number, total, publication, how) from a bulletin's lines, or None.

    `how` is "cover", "running header" or "single header"; `texts` are the lines in order; the cover is
    at most the first `cover_lines` of them (the caller stops it at the first article's end).
    """
    content = [t.strip() for t in texts if t.strip()]
    for i, text in enumerate(content[: min(cover_lines, COVER_LINES)]):
        mark = read_issue_mark(text)
        if mark:
            year, number, total, rest = mark
            publication = rest or _cover_title(content[:i])
            return year, number, total, publication or None, "cover"
    marks = [m for m in (read_issue_mark(t) for t in content) if m]
    counts = Counter((year, number) for year, number, _, _ in marks)
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    year, number = ranked[0][0]
    totals = Counter(t for y, n, t, _ in marks if (y, n) == (year, number) and t)
    names = Counter(r for y, n, _, r in marks if (y, n) == (year, number) and r)
    total = totals.most_common(1)[0][0] if totals else None
    publication = names.most_common(1)[0][0] if names else None
    return year, number, total, publication, "running header" if ranked[0][1] > 1 else "single header"


def _cover_title(lines):
    """The publication's name on a cover: its first short line that is not a contents heading."""
    for text in lines[:3]:
        text = text.lstrip("#").strip()
        if text and _width(text) <= 30 and not SENTENCE.search(text) and not re.search(r"\d", text):
            return text
    return None


def parse_issue_arg(value):
    """`2020-11`, `2020/11`, `2020年第11期` → (2020, 11); anything else is a clear error."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    match = ISSUE_ARG.match(text)
    if not match or not 1 <= int(match.group("no")) <= 999:
        raise BulletinError(
            f"期号“{value}”无法识别", field="issue", hint="请写成 YYYY-NN，例如 2020-11 表示 2020年第11期"
        )
    return int(match.group("year")), int(match.group("no"))


def issue_slug(year, number):
    return f"{year}-{number:02d}"


def title_key(title):
    """A title as two converters agree on it: NFKC, case folded, letters and digits only."""
    text = unicodedata.normalize("NFKC", title or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def make_id(slug, title):
    """`<slug>-<8 hex of the title key>`: the file name, the URL and the index key."""
    digest = hashlib.sha1(title_key(title).encode("utf-8")).hexdigest()[:8]
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", slug or "").strip("-") or "doc"
    return f"{slug}-{digest}"
