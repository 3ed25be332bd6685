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

from kb.importer.furniture import mark_boilerplate, wrap_width
from kb.importer.identity import find_issue, issue_slug, read_issue_mark
from kb.importer.marks import SOURCE, SOURCE_END, TABLE_RULE, source_at_end  # noqa: F401 (re-exported)
from kb.importer.text import (
    clean_line,
    ends_sentence,
    join_fragments,
    normalise_title,
    repair_cut_plan_numbers,
    repair_layout_numbers,
    width,
)
from kb.models import ArticleDraft, IssueInfo, Line, TocEntry
from kb.numbers import join_number

# Sections bulletins of this kind print; the table of contents adds its own.
KNOWN_SECTIONS = (
    "行业动态",
    "科技前沿",
    "政策法规",
    "市场行情",
    "稀土知识",
    "文章摘要",
    "期刊目录",
    "专利简介",
    "专利目录",
    "产业动态",
    "企业动态",
    "国际动态",
    "标准动态",
    "政策解读",
    "行业资讯",
    "统计数据",
    "会议信息",
    "专题报道",
    "技术进展",
    "科研进展",
)

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
TOC_HEAD = re.compile(r"^(?:目\s*次|目\s*录|本\s*期\s*目\s*录)$")
TOC_SECTION = re.compile(r"^[◇◆■□]\s*(?P<name>[^\t\d]+?)\s*(?P<pages>\d+\s*[-–—~]\s*\d+|\d+)?\s*$")
TOC_ENTRY = re.compile(r"^(?:[-*]\s*)?[◎○●•]\s*(?P<title>.+?)\s*(?P<pages>\d+\s*[-–—]\s*\d+)?\s*$")
TOC_LEADER = re.compile(r"\s*(?:[.·…．•]{2,}|[.·…．]\s*$)[\s.·…．•]*\d{0,3}\s*$")
TOC_PAGES = re.compile(r"^\d{1,3}(?:\s*[-–—~]\s*\d{1,3})?$")
ENUMERATOR = re.compile(
    r"^(?:[一二三四五六七八九十百]+\s*[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+(?:\.\d+)*\s*[、.．]\s*\D|"
    r"第[一二三四五六七八九十百\d]+[章节条部分]|[①-⑳]|[-*•·]\s)"
)
NEIGHBOUR_AFTER = re.compile(r"(?<=[-–—.])\s+\S{1,3}$")
NUMBER_TAIL = re.compile(r"^[-–—]?[TZQ]?[-–—]?[\d.]{0,10}[-–—]?\d{0,4}$")
EMPHASIS = re.compile(r"\*{1,2}([^*]+)\*{1,2}")


def read_lines(text):
    """Raw text to Line records with Markdown heading levels and repaired text."""
    lines = []
    raws = text.split("\n")
    repaired = repair_cut_plan_numbers(repair_layout_numbers(raws))
    for no, (raw, fixed) in enumerate(zip(raws, repaired, strict=False), start=1):
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
            followers = [f for f in content[i + 1 : i + 8] if not f.joined_into][:reach]
            for follower in followers:
                if not NUMBER_TAIL.match(follower.text.strip()):
                    continue
                joined = join_number(head, follower.text)
                dangling = NEIGHBOUR_AFTER.search(head)
                if not joined and dangling:  # `GB/T 4138- 1`: a neighbouring cell's text came between
                    joined = join_number(head[: dangling.start()], follower.text)
                    joined = joined and joined + head[dangling.start() :]
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
            following = [_toc_text(x)[0] for x in lines[i + 1 : i + 12] if x.text.strip()][:4]
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
        elif last is not None and (led or _next_is_toc(lines, items[k + 1 : k + 2])):
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
    for follower in [None] + content[i + 1 : i + 3]:
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
    return (
        bool(current)
        and len(current) <= 2
        and bool(groups)
        and source_at_end(groups[-1][-1].text)
        and all(not x.joined_into and width(x.text) <= 20 and not ends_sentence(x.text) for x in current)
    )


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
            for target, (text, heading) in zip(moved, texts, strict=False):
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
        if (
            nxt is not None
            and nxt.heading == first.heading
            and not ends_sentence(first.text)
            and width(nxt.text) < width(first.text)
            and width(first.text) >= 0.5 * limit
        ):
            return 2
        return 1
    if "\t" in first.text:
        return 1
    taken = 1
    while taken < min(3, len(group) - 1):
        last, nxt = group[taken - 1].text.strip(), group[taken].text.strip()
        if ends_sentence(last) or width(last) < 0.55 * limit or not nxt:
            break
        if (
            ends_sentence(nxt)
            or nxt.endswith(("，", ","))
            or ENUMERATOR.match(nxt)
            or "\t" in nxt
            or width(nxt) > width(last) + 1
            or source_at_end(nxt)
        ):
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
        drafts.append(
            ArticleDraft(
                title=title,
                lines=group,
                heading_lines=taken,
                source=source.group("source").strip() if source else None,
            )
        )
    assign_sections(drafts, info.toc, signals)
    return info, drafts, lines
