"""Page furniture: running headers and footers, page numbers, watermarks, stray links.

Recognised by shape and repetition, never by a list of strings: a line printed again and again
beside the page breaks, a page number with a short label on one line (`- 12 -   行业动态`,
`行业动态- 1 -`), the issue's own name or number, short lines beside a page number where no
title can stand (mid-sentence), bare numbers counting up a page apart.  The section a running
header names is what the page is in (`header_signals`).
"""

import re
from itertools import pairwise

from kb.importer.marks import (
    BARE_NUMBER,
    PAGE_MARK,
    PAGE_NUMBER,
    SOURCE,
    TABLE_RULE,
    source_at_end,
)
from kb.importer.text import ends_sentence, width
from kb.numbers import parse_numbers

STRAY_LINK = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
WATERMARK = re.compile(r"(?:Copyright|©|版权所有|^www\.|\.com$|\.cn$|\.net$)", re.I)
REPEATS_AS_HEADER = 3
PAGE_LINES = 12  # fewer text lines than any printed page holds
FURNITURE = ("running header", "page number", "watermark", "stray link")
LABEL = re.compile(r"^[^：:]{1,8}[：:]")
ISSUE_LINE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*第\s*(?P<no>\d{1,3})\s*期")


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
        if (
            text
            and "\t" not in text
            and width(text) <= 30
            and not ends_sentence(text)
            and not BARE_NUMBER.match(text)
            and not LABEL.match(text)
            and not parse_numbers(text)
        ):
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
        elif (
            (publication and bare.startswith(publication.replace(" ", "")) or ISSUE_LINE.match(bare))
            and width(text) <= 40
            and not ends_sentence(text)
        ):
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
        texts = [
            g
            for g in group
            if g.drop == "running header" or g.drop == "page number" and not PAGE_NUMBER.match(g.text.strip())
        ]
        if texts:
            names = [section_in(g.text, sections) for g in texts if g.heading < 3]
            named = [n for n in names if n]
            signals.append((group[0].no, named[0] if named else None))
        group = []
    return signals


def is_page_with_label(text):
    """A page number and a short label: `- 12 -   行业动态`, `行业动态- 1 -`,
    `第 3 页  离子型稀土信息简报`."""
    match = PAGE_MARK.search(text)
    if not match:
        return False
    label = (text[: match.start()] + " " + text[match.end() :]).strip()
    return (
        width(label) <= 24
        and not ends_sentence(label)
        and not SOURCE.match(label)
        and not re.search(r"[，,、]", label)
    )


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
        before = next(
            (
                c
                for c in reversed(content[:i])
                if c.drop is None and (width(c.text) > 15 or ends_sentence(c.text) or source_at_end(c.text))
            ),
            None,
        )
        mid_sentence = (
            before is not None
            and not ends_sentence(before.text)
            and not source_at_end(before.text)
            and width(before.text) >= 0.6 * limit
        )
        for other in _neighbours(content, i):
            text = other.text.strip()
            if (
                other.drop is None
                and width(text) <= 15
                and not ends_sentence(text)
                and "\t" not in text
                and not SOURCE.match(text)
                and (mid_sentence or shape(text) in repeated)
            ):
                other.drop = "running header"
    for i, line in enumerate(content):
        if line.drop is None and BARE_NUMBER.match(line.text.strip()):
            if any(o.drop in ("watermark", "running header") for o in _neighbours(content, i)):
                line.drop = "page number"


def mark_page_number_runs(lines):
    """Bare numbers that count up by one, a page apart, are page numbers (`16` … `17` …)."""
    content = [line for line in lines if line.text.strip()]
    spots = [
        (i, int(line.text.strip()))
        for i, line in enumerate(content)
        if line.drop is None and BARE_NUMBER.match(line.text.strip())
    ]
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
