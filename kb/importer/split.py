"""Cut one raw issue into article drafts.

Reads top to bottom: lines are repaired, the cover and table of contents are
read, boilerplate (page numbers, running headers, watermarks) is marked, and
the remaining lines are cut into articles at source markers and at titles the
table of contents names.  Rules are those a careful editor applies to any
bulletin; nothing here knows one issue's text.
"""

import re
from difflib import SequenceMatcher
from itertools import pairwise

from kb.importer.identity import find_issue, issue_slug, read_issue_mark
from kb.importer.text import (
    clean_line,
    ends_sentence,
    join_fragments,
    normalise_title,
    repair_layout_numbers,
    width,
)
from kb.models import ArticleDraft, IssueInfo, Line, TocEntry
from kb.numbers import join_number, parse_numbers

# Sections bulletins of this kind print; the table of contents adds its own.
KNOWN_SECTIONS = (
    "行业动态", "科技前沿", "政策法规", "市场行情", "稀土知识", "文章摘要", "期刊目录", "专利简介",
    "专利目录", "产业动态", "企业动态", "国际动态", "标准动态", "政策解读", "行业资讯", "统计数据",
    "会议信息", "专题报道", "技术进展", "科研进展",
)

SOURCE_MARK = r"[（(【\[]\s*(?:文章|信息|资料|新闻)?来\s*源(?:于)?\s*[:：]\s*(?P<source>[^）)】\]]{1,60}?)\s*[）)】\]]"
SOURCE = re.compile(rf"^{SOURCE_MARK}\s*$")
# a source line glued to the end of the last paragraph: `…的资助。 （来源：宁波材料所）`
SOURCE_END = re.compile(rf"(?<=[。！？!?”」])\s*{SOURCE_MARK}\s*$")


def source_at_end(text):
    """The source match a line ends with (a line of its own, or glued after a sentence), else None."""
    text = text.strip()
    return SOURCE.match(text) or SOURCE_END.search(text)
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
ISSUE_LINE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*第\s*(?P<no>\d{1,3})\s*期(?:\s*[（(]?\s*总第\s*(?P<total>\d{1,5})\s*期)?")
TOC_HEAD = re.compile(r"^(?:目\s*次|目\s*录|本\s*期\s*目\s*录)$")
TOC_SECTION = re.compile(r"^[◇◆■□]\s*(?P<name>[^\t\d]+?)\s*(?P<pages>\d+\s*[-–—~]\s*\d+|\d+)?\s*$")
TOC_ENTRY = re.compile(r"^(?:[-*]\s*)?[◎○●•]\s*(?P<title>.+?)\s*(?P<pages>\d+\s*[-–—]\s*\d+)?\s*$")
TOC_LEADER = re.compile(r"\s*(?:[.·…．•]{2,}|[.·…．]\s*$)[\s.·…．•]*\d{0,3}\s*$")
TOC_PAGES = re.compile(r"^\d{1,3}(?:\s*[-–—~]\s*\d{1,3})?$")
PAGE_NUMBER = re.compile(r"^(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3}|Page\s*\d+)$", re.I)
STRAY_LINK = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
BARE_NUMBER = re.compile(r"^\d{1,3}$")
WATERMARK = re.compile(r"(?:Copyright|©|版权所有|^www\.|\.com$|\.cn$|\.net$)", re.I)
TABLE_RULE = re.compile(r"^[\s|:\-—–=+\t]*$")
ENUMERATOR = re.compile(
    r"^(?:[一二三四五六七八九十百]+\s*[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+(?:\.\d+)*\s*[、.．]\s*\D|"
    r"第[一二三四五六七八九十百\d]+[章节条部分]|[①-⑳]|[-*•·]\s)"
)
NEIGHBOUR_AFTER = re.compile(r"(?<=[-–—.])\s+\S{1,3}$")
NUMBER_TAIL = re.compile(r"^[-–—]?[TZ]?[-–—]?[\d.]{0,10}[-–—]?\d{0,4}$")
EMPHASIS = re.compile(r"\*{1,2}([^*]+)\*{1,2}")
REPEATS_AS_HEADER = 3
PAGE_LINES = 12  # fewer text lines than any printed page holds
PAGE_MARK = re.compile(r"(?<![A-Za-z0-9\-－—–])[-－—–]\s*\d{1,3}\s*[-－—–](?![A-Za-z0-9\-－—–])|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?")
FURNITURE = ("running header", "page number", "watermark", "stray link")
LABEL = re.compile(r"^[^：:]{1,8}[：:]")


def read_lines(text):
    """Raw text to Line records with Markdown heading levels and repaired text."""
    lines = []
    raws = text.split("\n")
    repaired = repair_layout_numbers(raws)
    for no, (raw, fixed) in enumerate(zip(raws, repaired), start=1):
        body, level = fixed.strip(), 0
        match = HEADING.match(body)
        if match:
            level, body = len(match.group(1)), match.group(2)
        lines.append(Line(no=no, raw=raw, text=clean_line(body if level else fixed), heading=level))
    return lines


def repair_broken_numbers(lines):
    """Join a number a narrow table cell broke over lines, by the number grammar.

    `XB/T4` `03-202` `3`, `20220747-T-` `469`, `GB/T 4138-` `2015`.  The rest of a number
    is a short line of number characters; it follows the head directly, or, when the head
    clearly stops short (ends in a dash), after one or two lines of a neighbouring cell.
    """
    content = [line for line in lines if line.text.strip()]
    for i, line in enumerate(content):
        if line.joined_into or line.drop:
            continue
        while True:
            head = line.text.rstrip()
            reach = 3 if re.search(r"[-–—]$", head) else 1
            followers = [f for f in content[i + 1:i + 8] if not f.joined_into][:reach]
            for follower in followers:
                if not NUMBER_TAIL.match(follower.text.strip()):
                    continue
                joined = join_number(head, follower.text)
                dangling = NEIGHBOUR_AFTER.search(head)
                if not joined and dangling:  # `GB/T 4138- 1`: a neighbouring cell's text came between
                    joined = join_number(head[:dangling.start()], follower.text)
                    joined = joined and joined + head[dangling.start():]
                if joined:
                    line.text = joined
                    follower.joined_into = line.no
                    follower.text = ""
                    break
            else:
                break


SOURCE_OPEN = re.compile(r"[（(【\[]\s*(?:文章|信息|资料|新闻)?来\s*源(?:于)?\s*[:：][^）)】\]]*$")
SOURCE_CLOSE = re.compile(r"^[^（(【\[]{1,40}[）)】\]]$")


def join_wrapped_sources(lines):
    """A source marker the line wrapped (`…基础。（来源：武汉纺织` `大学）`) is put back on one line."""
    content = [line for line in lines if line.text.strip() and not line.joined_into]
    for line, nxt in pairwise(content):
        if SOURCE_OPEN.search(line.text) and SOURCE_CLOSE.match(nxt.text.strip()):
            line.text = line.text.rstrip() + nxt.text.strip()
            nxt.joined_into = line.no
            nxt.text = ""


def read_issue_info(lines, fallback_slug=None):
    """The issue's identity (importer/identity.py) and table of contents, where printed.

    The slug stays empty when the text names no issue: a file name never stands in for one
    (`fallback_slug` is accepted for old callers and ignored)."""
    info = IssueInfo(slug="")
    texts = [line.raw.strip().lstrip("#").strip() for line in lines if line.text.strip()]
    first_source = next((i for i, t in enumerate(texts) if source_at_end(t)), len(texts))
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


def _toc_text(line):
    """A contents line without Markdown list marks, tab cells, dot leaders and its page number."""
    cells = [c for c in line.text.split("\t") if c.strip()]
    text = " ".join(cells).strip()
    return TOC_LEADER.sub("", text).strip(), bool(TOC_LEADER.search(text))


def find_toc_head(lines, limit=300):
    """Index of the 目次 / 目录 line (also printed as `目` and `次` on two lines), or None."""
    content = [(i, line.text.replace(" ", "")) for i, line in enumerate(lines[:limit]) if line.text.strip()]
    for k, (i, text) in enumerate(content):
        head = TOC_HEAD.match(text)
        if not head and k + 1 < len(content) and len(text) == 1:
            head = TOC_HEAD.match(text + content[k + 1][1])
            if head:
                i = content[k + 1][0]
        if head:
            following = [_toc_text(x)[0] for x in lines[i + 1:i + 12] if x.text.strip()][:4]
            if any(TOC_SECTION.match(t) or TOC_ENTRY.match(t) for t in following):
                return i
    return None


def read_toc(lines, info):
    """Fill info.toc from a 目次 block; return the index of the first line after the cover.

    Contents pages come apart in converters: dot leaders and page numbers after each entry,
    page ranges on lines of their own or collected after the entries, an entry wrapped onto
    a second line.  Page numbers are skipped; a line that is no entry continues the entry
    before it when it carries the entry's page number or another entry follows it.
    """
    start = find_toc_head(lines)
    if start is None:
        return 0
    section, end, last = None, start + 1, None
    items = [i for i in range(start + 1, len(lines)) if lines[i].text.strip()]
    for k, i in enumerate(items):
        text, led = _toc_text(lines[i])
        if not text or TABLE_RULE.match(text) or TOC_PAGES.match(text):
            end = i + 1
            continue
        sec = TOC_SECTION.match(text)
        entry = TOC_ENTRY.match(text)
        if sec:
            section, last = sec.group("name").strip(), None
        elif entry:
            info.toc.append(TocEntry(section, entry.group("title").strip()))
            last = info.toc[-1]
        elif last is not None and (led or _next_is_toc(lines, items[k + 1:k + 2])):
            last.title = join_fragments(last.title, text)
        else:
            break
        end = i + 1
    return end


def _next_is_toc(lines, following):
    for i in following:
        text = _toc_text(lines[i])[0]
        return not text or bool(TOC_SECTION.match(text) or TOC_ENTRY.match(text) or TOC_PAGES.match(text))
    return False


def shape(text):
    """A line's shape: digits masked and spaces out, so `- 12 - 行业动态` and `- 13 - 行业动态` match."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def page_breaks(lines):
    """Indexes (into `lines`) where a page ends: a form feed, or a page-number line."""
    breaks = {-0.5}  # the body starts on a new page
    for i, line in enumerate(lines):
        if "\f" in line.raw:
            breaks.add(i - 0.5)
        text = line.text.strip()
        if PAGE_NUMBER.match(text) or is_page_with_label(text):
            breaks.add(i)
    return sorted(breaks)


def repeated_shapes(lines):
    """Shapes of short lines printed again and again at page breaks: running headers and footers.

    Table cells repeat too (修订, 推荐 …), but row after row wherever the table runs; furniture
    comes back once a page, beside the page break.  Without any page break to go by (no form
    feeds, no page numbers), furniture must come back often and a page's worth of lines apart.
    """
    where = {}
    for i, line in enumerate(lines):
        text = line.text.strip()
        if text and "\t" not in text and width(text) <= 30 and not ends_sentence(text) \
                and not BARE_NUMBER.match(text) and not LABEL.match(text) and not parse_numbers(text):
            where.setdefault(shape(text), []).append(i)
    breaks = page_breaks(lines)
    found = set()
    for key, spots in where.items():
        if len(spots) < REPEATS_AS_HEADER:
            continue
        if breaks:
            near = sum(1 for i in spots if any(abs(i - b) <= 3 for b in breaks))
            if near >= 0.75 * len(spots):
                found.add(key)
        elif len(spots) >= 5:
            gaps = sorted(b - a for a, b in pairwise(spots))
            if gaps[len(gaps) // 2] >= 2 * PAGE_LINES:
                found.add(key)
    return found


def section_in(text, sections):
    """A section name a furniture line carries (`行业动态- 1 -`, `简报  行业动态`), else None."""
    bare = re.sub(r"\s+", "", PAGE_MARK.sub(" ", text))
    for name in sorted(sections, key=len, reverse=True):
        if bare == name or (bare.startswith(name) or bare.endswith(name)) and len(bare) <= len(name) + 20:
            return name
    return None


def mark_boilerplate(lines, cover_end, sections, publication=None):
    """Set line.drop on everything that is not article text; return section signals."""
    for line in lines[:cover_end]:
        if line.text.strip():
            line.drop = "cover"
    body = lines[cover_end:]
    repeated = repeated_shapes([line for line in body if line.text.strip()])
    for line in body:
        text = line.text.strip()
        if not text:
            continue
        bare = text.replace(" ", "")
        if PAGE_NUMBER.match(text) or is_page_with_label(text):
            line.drop = "page number"
        elif STRAY_LINK.match(text):
            line.drop = "stray link"
        elif TABLE_RULE.match(text) and ("-" in text or "|" in text):
            line.drop = "table rule"
        elif bare in sections and line.heading < 3:
            line.drop = "running header"
        elif width(text) <= 20 and WATERMARK.search(text):
            line.drop = "watermark"
        elif "\t" not in text and shape(text) in repeated:
            line.drop = "running header"
        elif (publication and bare.startswith(publication.replace(" ", "")) or ISSUE_LINE.match(bare)) \
                and width(text) <= 40 and not ends_sentence(text):
            line.drop = "running header"  # the issue's own name or number, printed on every page
    mark_headers_beside_page_numbers(body, repeated, wrap_width(body))
    mark_page_number_runs(body)
    return header_signals(body, sections)


def header_signals(lines, sections):
    """(line number, section or None) for each run of page furniture that holds a running header.

    A header naming a section says which section the page is in; a header naming none (only
    the publication) says the page is in no section.
    """
    signals, group = [], []
    for line in lines + [None]:
        if line is not None and (not line.text.strip() or line.drop in FURNITURE):
            if line.text.strip():
                group.append(line)
            continue
        texts = [g for g in group if g.drop == "running header" or g.drop == "page number"
                 and not PAGE_NUMBER.match(g.text.strip())]
        if texts:
            names = [section_in(g.text, sections) for g in texts if g.heading < 3]
            named = [n for n in names if n]
            signals.append((group[0].no, named[0] if named else None))
        group = []
    return signals


def is_page_with_label(text):
    """`- 12 -   行业动态`, `行业动态- 1 -`, `第 3 页  离子型稀土信息简报`: a page number and a short label."""
    match = PAGE_MARK.search(text)
    if not match:
        return False
    label = (text[:match.start()] + " " + text[match.end():]).strip()
    return width(label) <= 24 and not ends_sentence(label) and not SOURCE.match(label) \
        and not re.search(r"[，,、]", label)


def _neighbours(content, i):
    return [content[j] for j in (i - 1, i + 1) if 0 <= j < len(content)]


def mark_headers_beside_page_numbers(lines, repeated=(), limit=40.0):
    """Short lines touching a page number are page furniture where no title can stand.

    A title never starts mid-sentence, so a short line beside a page number is furniture when
    the text before the page break has not ended its sentence, or when its shape repeats.
    Bare numbers touching furniture are page numbers.
    """
    content = [line for line in lines if line.text.strip()]
    for i, line in enumerate(content):
        if line.drop != "page number":
            continue
        before = next((c for c in reversed(content[:i]) if c.drop is None
                       and (width(c.text) > 15 or ends_sentence(c.text) or source_at_end(c.text))),
                      None)
        mid_sentence = before is not None and not ends_sentence(before.text) \
            and not source_at_end(before.text) and width(before.text) >= 0.6 * limit
        for other in _neighbours(content, i):
            text = other.text.strip()
            if other.drop is None and width(text) <= 15 and not ends_sentence(text) \
                    and "\t" not in text and not SOURCE.match(text) \
                    and (mid_sentence or shape(text) in repeated):
                other.drop = "running header"
    for i, line in enumerate(content):
        if line.drop is None and BARE_NUMBER.match(line.text.strip()):
            if any(o.drop in ("watermark", "running header") for o in _neighbours(content, i)):
                line.drop = "page number"


def mark_page_number_runs(lines):
    """Bare numbers that count up by one, a page apart, are page numbers (`16` … `17` …)."""
    content = [line for line in lines if line.text.strip()]
    spots = [(i, int(line.text.strip())) for i, line in enumerate(content)
             if line.drop is None and BARE_NUMBER.match(line.text.strip())]
    best = {}  # index in spots -> (run length, previous index)
    for k, (i, value) in enumerate(spots):
        best[k] = (1, None)
        for j in range(k - 1, -1, -1):
            pi, pvalue = spots[j]
            if i - pi > 4 * PAGE_LINES:
                break
            if value - pvalue in (1, 2) and i - pi >= PAGE_LINES // 2 and best[j][0] + 1 > best[k][0]:
                best[k] = (best[j][0] + 1, j)
    if not best:
        return
    k = max(best, key=lambda key: best[key][0])
    first = k
    while best[first][1] is not None:
        first = best[first][1]
    # a table's row numbers count up too, but only over the table; page numbers run through the issue
    if best[k][0] < 5 or spots[k][0] - spots[first][0] < len(content) // 2:
        return
    while k is not None:
        content[spots[k][0]].drop = "page number"
        k = best[k][1]


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
        if key == other:
            return i
        if 2 * min(len(key), len(other)) < 0.9 * (len(key) + len(other)):
            continue  # lengths alone rule out a 0.9 ratio
        matcher = SequenceMatcher(None, key, other)
        if matcher.real_quick_ratio() >= 0.9 and matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9:
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
            if follower.joined_into or source_at_end(follower.text):
                break
            probe += follower.text
        hit = _match_toc(probe, toc, used)
        if hit is not None:
            return hit
        if follower is None and not any(normalise_title(e.title).startswith(head) for e in toc):
            break
    return None


def _read_before_title(current, groups):
    """Do the lines since the last source line look like a piece read out of order?"""
    return bool(current) and len(current) <= 2 and bool(groups) and source_at_end(groups[-1][-1].text) \
        and all(not x.joined_into and width(x.text) <= 20 and not ends_sentence(x.text) for x in current)


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
        nxt = content[i + 1] if i + 1 < len(content) else None
        if starts_toc is not None and current and nxt is not None and SOURCE.match(nxt.text.strip()):
            # read out of order (a right-aligned source line after the next title): put it back
            line.text, nxt.text = nxt.text, line.text
            line.heading, nxt.heading = nxt.heading, line.heading
            starts_toc = None
        if starts_toc is not None and _read_before_title(current, groups):
            # the next article's first short lines came out before its title (a larger font read
            # later): put the title first
            moved = current + [line]
            texts = [(x.text, x.heading) for x in [line] + current]
            for target, (text, heading) in zip(moved, texts):
                target.text, target.heading = text, heading
            used.add(starts_toc)
            current.append(line)
            continue
        if starts_toc is not None:
            used.add(starts_toc)
            if current:
                groups.append(current)
                current = []
        current.append(line)
        if source_at_end(line.text):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def title_lines(group, limit):
    """How many leading lines make the title: wrapped titles continue on short lines."""
    first = group[0]
    if first.heading:
        # a converter that cuts a long title into two headings of one level: `# …复合材` `# 料方面…`
        nxt = group[1] if len(group) > 2 else None
        if nxt is not None and nxt.heading == first.heading and not ends_sentence(first.text) \
                and width(nxt.text) < width(first.text) and width(first.text) >= 0.5 * limit:
            return 2
        return 1
    if "\t" in first.text:
        return 1
    taken = 1
    while taken < min(3, len(group) - 1):
        last, nxt = group[taken - 1].text.strip(), group[taken].text.strip()
        if ends_sentence(last) or width(last) < 0.55 * limit or not nxt:
            break
        if ends_sentence(nxt) or nxt.endswith(("，", ",")) or ENUMERATOR.match(nxt) or "\t" in nxt \
                or width(nxt) > width(last) + 1 or source_at_end(nxt):
            break
        taken += 1
    return taken


def assign_sections(drafts, toc, signals, default=None):
    """A draft's section: its TOC entry; else the running header of the page it starts on;
    else the section of the article before it (sections run on until the next one starts)."""
    previous = default
    for draft in drafts:
        best, score = None, 0.0
        key = normalise_title(draft.title)
        for entry in toc:
            ratio = SequenceMatcher(None, key, normalise_title(entry.title)).ratio()
            if ratio > score:
                best, score = entry, ratio
        if best is not None and score >= 0.6:
            draft.section = best.section
        else:
            before = [name for no, name in signals if no <= draft.start]
            draft.section = before[-1] if before else previous
        previous = draft.section


def split_bulletin(text, name="issue"):
    """Raw issue text to (IssueInfo, drafts, lines); lines carry what was dropped and why."""
    lines = read_lines(text)
    repair_broken_numbers(lines)
    join_wrapped_sources(lines)
    info, cover_end = read_issue_info(lines, name)
    sections = set(KNOWN_SECTIONS) | {entry.section for entry in info.toc if entry.section}
    signals = mark_boilerplate(lines, cover_end, sections, info.publication)
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
        source = source_at_end(real[-1].text)
        title = EMPHASIS.sub(r"\1", title).strip()
        drafts.append(ArticleDraft(title=title, lines=group, heading_lines=taken,
                                   source=source.group("source").strip() if source else None))
    assign_sections(drafts, info.toc, signals)
    return info, drafts, lines
