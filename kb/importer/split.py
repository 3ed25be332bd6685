"""Cut one raw issue into article drafts.

Reads top to bottom: lines are repaired, the cover and table of contents are
read, boilerplate (page numbers, running headers, watermarks) is marked, and
the remaining lines are cut into articles at source markers and at titles the
table of contents names.  Rules are those a careful editor applies to any
bulletin; nothing here knows one issue's text.
"""

import re
from collections import Counter
from difflib import SequenceMatcher

from kb.importer.identity import find_issue, issue_slug, read_issue_mark
from kb.importer.text import clean_line, ends_sentence, join_fragments, normalise_title, width
from kb.models import ArticleDraft, IssueInfo, Line, TocEntry
from kb.numbers import SECTOR_CODES

# Sections bulletins of this kind print; the table of contents adds its own.
KNOWN_SECTIONS = (
    "行业动态", "科技前沿", "政策法规", "市场行情", "稀土知识", "文章摘要", "期刊目录", "专利简介",
    "专利目录", "产业动态", "企业动态", "国际动态", "标准动态", "政策解读", "行业资讯", "统计数据",
    "会议信息", "专题报道", "技术进展", "科研进展",
)

SOURCE = re.compile(
    r"^[（(【\[]\s*(?:文章|信息|资料|新闻)?来\s*源(?:于)?\s*[:：]\s*(?P<source>[^）)】\]]{1,60}?)\s*[）)】\]]\s*$"
)
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
ISSUE_LINE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*第\s*(?P<no>\d{1,3})\s*期(?:\s*[（(]?\s*总第\s*(?P<total>\d{1,5})\s*期)?")
TOC_HEAD = re.compile(r"^(?:目\s*次|目\s*录|本\s*期\s*目\s*录)$")
TOC_SECTION = re.compile(r"^[◇◆■□]\s*(?P<name>[^\t\d]+?)\s*(?P<pages>\d+\s*[-–—~]\s*\d+|\d+)?\s*$")
TOC_ENTRY = re.compile(r"^(?:[-*]\s*)?[◎○●•]\s*(?P<title>.+?)\s*(?P<pages>\d+\s*[-–—]\s*\d+)?\s*$")
PAGE_NUMBER = re.compile(r"^(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3}|Page\s*\d+)$", re.I)
STRAY_LINK = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
BARE_NUMBER = re.compile(r"^\d{1,3}$")
WATERMARK = re.compile(r"(?:Copyright|©|版权所有|^www\.|\.com$|\.cn$|\.net$)", re.I)
TABLE_RULE = re.compile(r"^[\s|:\-—–=+\t]*$")
ENUMERATOR = re.compile(
    r"^(?:[一二三四五六七八九十百]+\s*[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+(?:\.\d+)*\s*[、.．]\s*\D|"
    r"第[一二三四五六七八九十百\d]+[章节条部分]|[①-⑳]|[-*•·]\s)"
)
NUMBER_FRAGMENT_HEAD = re.compile(rf"^(?:{'|'.join(SECTOR_CODES)})\s*(?:/\s*[TZ])?\s*[\d.]*$")
NUMBER_FRAGMENT_TAIL = re.compile(r"^[\d.]*[-—]?\d*$")
EMPHASIS = re.compile(r"\*{1,2}([^*]+)\*{1,2}")
REPEATS_AS_HEADER = 5


def read_lines(text):
    """Raw text to Line records with Markdown heading levels and repaired text."""
    lines = []
    for no, raw in enumerate(text.split("\n"), start=1):
        body, level = raw.strip(), 0
        match = HEADING.match(body)
        if match:
            level, body = len(match.group(1)), match.group(2)
        lines.append(Line(no=no, raw=raw, text=clean_line(body if level else raw), heading=level))
    return lines


def repair_broken_numbers(lines):
    """Join a standard number a table cell broke over lines: `XB/T4` `03-202` `3`."""
    content = [line for line in lines if line.text.strip()]
    for i, line in enumerate(content):
        if line.joined_into or not NUMBER_FRAGMENT_HEAD.match(line.text.strip()):
            continue
        joined = line.text.strip()
        for follower in content[i + 1:i + 4]:
            piece = follower.text.strip()
            if not piece or not NUMBER_FRAGMENT_TAIL.match(piece) or len(piece) > 8:
                break
            year = re.search(r"-(\d*)$", joined)
            if year and len(year.group(1)) >= 4:
                break
            candidate = joined + piece
            year = re.search(r"-(\d*)$", candidate)
            if year and len(year.group(1)) > 4:
                break
            joined = candidate
            follower.joined_into = line.no
            follower.text = ""
        line.text = joined


def read_issue_info(lines, fallback_slug=None):
    """The issue's identity (importer/identity.py) and table of contents, where printed.

    The slug stays empty when the text names no issue: a file name never stands in for one
    (`fallback_slug` is accepted for old callers and ignored)."""
    info = IssueInfo(slug="")
    texts = [line.raw.strip().lstrip("#").strip() for line in lines if line.text.strip()]
    first_source = next((i for i, t in enumerate(texts) if SOURCE.match(t.strip())), len(texts))
    found = find_issue(texts, cover_lines=first_source)
    if found:
        info.year, info.number, info.total, info.publication, info.found_in = found
        info.slug = issue_slug(info.year, info.number)
        if 1 <= info.number <= 12:
            info.date = f"{info.year}-{info.number:02d}"
    marks = []
    for i, line in enumerate(lines):  # the issue's own header and footer lines are page furniture
        mark = read_issue_mark(line.raw.strip().lstrip("#").strip()) if line.text.strip() else None
        if mark and mark[:2] == (info.year, info.number):
            line.drop = "running header"
            marks.append(i)
    cover_end = read_toc(lines, info)
    if info.found_in == "cover" and marks:  # a cover without contents ends at its issue line
        cover_end = max(cover_end, marks[0] + 1)
    return info, cover_end


def read_toc(lines, info):
    """Fill info.toc from a 目次 block; return the index of the first line after the cover."""
    start = None
    for i, line in enumerate(lines[:200]):
        if TOC_HEAD.match(line.text.replace(" ", "")):
            following = [x.text for x in lines[i + 1:i + 8] if x.text.strip()]
            if any(TOC_SECTION.match(t) for t in following[:3]):
                start = i
                break
    if start is None:
        return 0
    section, end = None, start + 1
    for i in range(start + 1, len(lines)):
        text = lines[i].text.strip()
        if not text or TABLE_RULE.match(text):
            continue
        cells = [c for c in text.split("\t") if c.strip()]
        text = " ".join(cells)
        sec = TOC_SECTION.match(text)
        entry = TOC_ENTRY.match(text)
        if sec:
            section = sec.group("name").strip()
        elif entry:
            info.toc.append(TocEntry(section, entry.group("title").strip()))
        else:
            break
        end = i + 1
    return end


def mark_boilerplate(lines, cover_end, sections):
    """Set line.drop on everything that is not article text; return section signals."""
    for line in lines[:cover_end]:
        if line.text.strip():
            line.drop = "cover"
    counts = Counter(
        line.text.strip() for line in lines[cover_end:]
        if line.text.strip() and "\t" not in line.text and width(line.text) <= 20
    )
    signals = []
    for line in lines[cover_end:]:
        text = line.text.strip()
        if not text:
            continue
        bare = text.replace(" ", "")
        if PAGE_NUMBER.match(text):
            line.drop = "page number"
        elif STRAY_LINK.match(text):
            line.drop = "stray link"
        elif TABLE_RULE.match(text) and ("-" in text or "|" in text):
            line.drop = "table rule"
        elif bare in sections and line.heading < 3:
            line.drop = "running header"
            signals.append((line.no, bare))
        elif width(text) <= 20 and WATERMARK.search(text):
            line.drop = "watermark"
        elif "\t" not in text and counts[text] >= REPEATS_AS_HEADER and not ends_sentence(text) \
                and not BARE_NUMBER.match(text):
            line.drop = "running header"
    mark_headers_beside_page_numbers(lines[cover_end:])
    return signals


def _neighbours(content, i):
    return [content[j] for j in (i - 1, i + 1) if 0 <= j < len(content)]


def mark_headers_beside_page_numbers(lines):
    """Short lines touching a page number are page furniture; so are bare numbers touching furniture."""
    content = [line for line in lines if line.text.strip()]
    for i, line in enumerate(content):
        if line.drop != "page number":
            continue
        for other in _neighbours(content, i):
            text = other.text.strip()
            if other.drop is None and width(text) <= 15 and not ends_sentence(text) \
                    and "\t" not in text and not SOURCE.match(text):
                other.drop = "running header"
    for i, line in enumerate(content):
        if line.drop is None and BARE_NUMBER.match(line.text.strip()):
            if any(o.drop in ("watermark", "running header") for o in _neighbours(content, i)):
                line.drop = "page number"


def wrap_width(lines):
    """The width converter lines wrap at: the 90th percentile of text line widths."""
    widths = sorted(width(line.text) for line in lines if line.is_content and "\t" not in line.text)
    if not widths:
        return 40.0
    return widths[int(len(widths) * 0.9)]


def _match_toc(text, toc, used):
    key = normalise_title(text)
    if len(key) < 4:
        return None
    for i, entry in enumerate(toc):
        if i in used:
            continue
        other = normalise_title(entry.title)
        if key == other or SequenceMatcher(None, key, other).ratio() >= 0.9:
            return i
    return None


def _toc_title_at(content, i, toc, used):
    """The unused TOC entry whose title starts at content[i], over at most three lines."""
    head = normalise_title(content[i].text)
    if len(head) < 4 or SOURCE.match(content[i].text.strip()):
        return None
    probe = content[i].text
    for follower in [None] + content[i + 1:i + 3]:
        if follower is not None:
            if follower.joined_into or SOURCE.match(follower.text.strip()):
                break
            probe += follower.text
        hit = _match_toc(probe, toc, used)
        if hit is not None:
            return hit
        if not any(normalise_title(e.title).startswith(head) for e in toc):
            break
    return None


def cut_articles(lines, toc):
    """Group content lines into articles: a source line ends one, a TOC title starts one."""
    groups, current, used = [], [], set()
    content = [line for line in lines if line.is_content or line.joined_into]
    for i, line in enumerate(content):
        if line.joined_into:
            if current:
                current.append(line)
            continue
        starts_toc = _toc_title_at(content, i, toc, used) if toc else None
        if starts_toc is not None:
            used.add(starts_toc)
            if current:
                groups.append(current)
                current = []
        current.append(line)
        if SOURCE.match(line.text.strip()):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def title_lines(group, limit):
    """How many leading lines make the title: wrapped titles continue on short lines."""
    first = group[0]
    if first.heading or "\t" in first.text:
        return 1
    taken = 1
    while taken < min(3, len(group) - 1):
        last, nxt = group[taken - 1].text.strip(), group[taken].text.strip()
        if ends_sentence(last) or width(last) < 0.55 * limit or not nxt:
            break
        if ends_sentence(nxt) or nxt.endswith(("，", ",")) or ENUMERATOR.match(nxt) or "\t" in nxt \
                or width(nxt) > width(last) + 1 or SOURCE.match(nxt):
            break
        taken += 1
    return taken


def assign_sections(drafts, toc, signals, default=None):
    """A draft's section: its TOC entry, else a running header on its pages, else none."""
    for draft in drafts:
        best, score = None, 0.0
        key = normalise_title(draft.title)
        for entry in toc:
            ratio = SequenceMatcher(None, key, normalise_title(entry.title)).ratio()
            if ratio > score:
                best, score = entry, ratio
        if best is not None and score >= 0.6:
            draft.section = best.section
            continue
        inside = [name for no, name in signals if draft.start <= no <= draft.end]
        draft.section = inside[0] if inside else default


def split_bulletin(text, name="issue"):
    """Raw issue text to (IssueInfo, drafts, lines); lines carry what was dropped and why."""
    lines = read_lines(text)
    repair_broken_numbers(lines)
    info, cover_end = read_issue_info(lines, name)
    sections = set(KNOWN_SECTIONS) | {entry.section for entry in info.toc if entry.section}
    signals = mark_boilerplate(lines, cover_end, sections)
    limit = wrap_width(lines)
    drafts = []
    for group in cut_articles(lines, info.toc):
        real = [line for line in group if not line.joined_into]
        if not real:
            continue
        taken = title_lines(real, limit)
        title = ""
        for line in real[:taken]:
            title = join_fragments(title, line.text.strip())
        source = SOURCE.match(real[-1].text.strip())
        title = EMPHASIS.sub(r"\1", title).strip()
        drafts.append(ArticleDraft(title=title, lines=group, heading_lines=taken,
                                   source=source.group("source").strip() if source else None))
    assign_sections(drafts, info.toc, signals)
    return info, drafts, lines
