"""What a careful editor looks at again after an import: odd titles, no source, no section.

Pure functions over titles and imported articles; the review report (kb/report.py) prints
their messages, which are for staff and so in Chinese.
"""

import re
import unicodedata

CLOSING = "”’」』）)】〕》>"

# (message, test) — each test takes a title with white space removed
TITLE_FLAGS = (
    ("标题只有数字或标点", lambda t: bool(t) and all(ch.isdigit() or unicodedata.category(ch)[0] in "PSZ"
                                                    for ch in t)),
    ("标题以右引号或右括号开头", lambda t: bool(t) and t[0] in CLOSING),
    ("标题引号不成对", lambda t: t.count("“") != t.count("”") or t.count("（") != t.count("）")),
    ("标题不足四个字", lambda t: len(t) < 4),
)


def title_flags(title):
    """The messages a title deserves: only digits or punctuation, a closing quote first, quotes
    that do not pair (a wrapped fragment), too short."""
    bare = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title or ""))
    return [message for message, test in TITLE_FLAGS if test(bare)]


def article_flags(article, issue_has_sections, issue_has_sources=True):
    """Title flags plus: no （来源：…） line where the issue prints them; no section where it has sections."""
    flags = title_flags(article.title)
    if issue_has_sources and not article.source:
        flags.append("没有（来源：…）行，请核对文章在哪里结束")
    if issue_has_sections and not article.section:
        flags.append("本期有栏目，这篇文章没有栏目")
    return flags


def review_flags(articles, toc=()):
    """[(article, [messages])] for every article with something to look at, in order."""
    has_sections = any(entry.section for entry in toc) or any(a.section for a in articles)
    has_sources = any(a.source for a in articles)
    out = []
    for article in articles:
        flags = article_flags(article, has_sections, has_sources)
        if flags:
            out.append((article, flags))
    return out
