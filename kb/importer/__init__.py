"""Import a raw issue (or one standalone document) into Article records.

    text = decode(bytes)                       # importer/text.py
    info, drafts, lines = split_bulletin(text)  # importer/split.py; identity.py names the issue
    article = to_article(draft, ...)            # importer/body.py + extract.py; dates.py dates it

An issue the text does not name (and `issue=` does not give) yields `result.errors`: callers never
write it.  One title is one article per issue.  Nothing here writes files: content.py does, after
the staff member has seen the review (report.py; flags from importer/review.py).
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import BulletinError
from kb.frontmatter import parse_frontmatter
from kb.importer.body import read_blocks, render_blocks
from kb.importer.dates import article_date, version_date
from kb.importer.extract import (
    classify,
    read_numbers,
    read_patents,
    read_plans,
    read_prices,
)
from kb.importer.identity import (
    MISSING_HINT,
    issue_slug,
    make_id,
    parse_issue_arg,
    title_key,
)
from kb.importer.legal import HEADER_END, read_document_header
from kb.importer.pdf import is_pdf, read_pdf
from kb.importer.review import article_flags
from kb.importer.split import (
    find_toc_head,
    read_lines,
    source_at_end,
    split_bulletin,
    wrap_width,
)
from kb.importer.text import decode
from kb.models import Article, IssueInfo

__all__ = ["ImportResult", "import_file", "import_text", "make_id", "read_source", "slug_for"]


@dataclass
class ImportResult:
    """What one raw file yields, and what the staff member should review."""

    path: str
    issue: IssueInfo
    articles: list = field(default_factory=list)
    dropped: list = field(default_factory=list)  # (line number, reason, text)
    warnings: list = field(default_factory=list)  # about the whole file, in Chinese
    errors: list = field(default_factory=list)  # why this file must not be written, in Chinese
    flags: dict = field(default_factory=dict)  # article id -> flag codes (importer/review.py)
    reader: str = "text"  # pdf | markdown | text: what read the file (see read_source)

    def summary(self):
        by_reason = Counter(reason for _, reason, _ in self.dropped)
        samples = defaultdict(list)
        for _no, reason, text in self.dropped:
            if len(samples[reason]) < 3 and text not in samples[reason]:
                samples[reason].append(text)
        return by_reason, samples


def slug_for(info):
    """An issue's folder: `YYYY-NN` from its identity; never a file name."""
    return issue_slug(info.year, info.number) if info.year and info.number else ""


def is_bulletin(text):
    """A bulletin has source markers or a table of contents; anything else is one document."""
    lines = [line.strip().lstrip("#").strip() for line in text.split("\n")]
    return (
        any(source_at_end(t) for t in lines) or find_toc_head(read_lines("\n".join(lines[:300]))) is not None
    )


MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # one raw issue or document; a bulletin is well under 1 MB
MAX_LINE_CHARS = 2_000_000  # one line; converters wrap lines, a longer one is not text from a page
MAX_TITLE_CHARS = 200  # a longer "title" is a paragraph read as a title: cut, with a warning


def import_file(path, kind="auto", issue=None):
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise BulletinError(
                f"文件太大：{path.stat().st_size:,} 字节，上限 {MAX_DOCUMENT_BYTES:,} 字节",
                path=path,
                hint="一期简报或一份文件远小于此；检查是否选错了文件",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise BulletinError("no such file", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise BulletinError("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise BulletinError(f"cannot be read: {exc.strerror}", path=path) from None
    text, reader = read_source(data, path)
    return import_text(text, str(path), kind=kind, issue=issue, reader=reader)


def read_source(data, path="issue.txt"):
    """Bytes of an uploaded or saved issue to (text, reader): a PDF is read by kb/importer/pdf.py."""
    if is_pdf(data):
        return read_pdf(data, path), "pdf"
    text = decode(data, path)
    return text, detect_reader(text)


MARKDOWN_SIGNS = re.compile(r"^(?:#{1,6}\s+\S|\|.*\|\s*$|<!--)", re.M)


def detect_reader(text):
    """`markdown` when a PDF-to-Markdown converter made the text (headings, pipe tables), else `text`."""
    return "markdown" if len(MARKDOWN_SIGNS.findall(text[:200000])) >= 3 else "text"


def check_limits(text, path):
    """Refuse text too large to be one issue or document, naming the file and line."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise BulletinError(f"文件太大：{len(text):,} 个字符，上限 {MAX_DOCUMENT_BYTES:,}", path=path)
    for no, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise BulletinError(
                f"这一行太长：{len(line):,} 个字符，上限 {MAX_LINE_CHARS:,}",
                path=path,
                line=no,
                hint="文件可能不是转换好的文本；重新导出后再导入",
            )


def _cap_title(article, result, path, line):
    if len(article.title) > MAX_TITLE_CHARS:
        result.warnings.append(
            f"{path}:{line}: 标题太长（{len(article.title)} 个字符），只保留前 "
            f"{MAX_TITLE_CHARS} 个字符；请检查这篇文章是从哪里开始的"
        )
        article.title = article.title[:MAX_TITLE_CHARS] + "…"


def import_text(text, path="issue.txt", kind="auto", issue=None, reader=None):
    """`issue` (`2020-11`) names the issue when the text does not, or overrides what it says."""
    check_limits(text, path)
    if kind == "auto":
        kind = "bulletin" if is_bulletin(text) else "document"
    if kind == "document":
        result = import_document(text, path)
    else:
        result = import_bulletin(text, path, issue=issue)
    result.reader = reader or detect_reader(text)
    return result


def apply_issue_arg(info, issue, result):
    """The staff member's `--issue` wins over the text; a text naming no issue needs one."""
    if issue:
        try:
            year, number = parse_issue_arg(issue)
        except BulletinError as exc:
            raise BulletinError(exc.message, path=result.path, field="--issue", hint=exc.hint) from None
        if info.year and (info.year, info.number) != (year, number):
            result.warnings.append(
                f"文本中的期号是 {info.year}年第{info.number}期，与指定的 {issue} 不一致；已按指定的期号导入"
            )
            info.total = None
        info.year, info.number, info.found_in = year, number, "--issue"
        info.date = f"{year}-{number:02d}" if 1 <= number <= 12 else None
    if info.found_in == "single header":
        result.warnings.append(
            f"期号 {info.year}年第{info.number}期 只在一处页眉或页脚中出现，请核对；"
            "不对时用 --issue YYYY-NN 指明"
        )
    if not info.year:
        result.errors.append("无法确定期号：封面和页眉页脚中都没有“2020年第11期”这样的期号。" + MISSING_HINT)
    info.slug = slug_for(info)


def import_bulletin(text, path, issue=None):
    info, drafts, lines = split_bulletin(text)
    result = ImportResult(path=path, issue=info)
    apply_issue_arg(info, issue, result)
    result.dropped = [(line.no, line.drop, line.text.strip()) for line in lines if line.drop]
    if not drafts:
        raise BulletinError("no article text found", path=path, hint="is this the issue's text?")
    limit = wrap_width(lines)
    by_key, sources, merged = {}, {}, set()
    for draft in drafts:
        article = to_article(draft, info, path, limit, lines)
        _cap_title(article, result, path, draft.start)
        key = title_key(article.title)
        if key in by_key:  # one title, one article: never two files with one title in an issue
            merge_into(by_key[key], article)
            merged.add(by_key[key].id)
            sources[by_key[key].id] = sources[by_key[key].id] and draft.source is not None
            continue
        by_key[key] = article
        sources[article.id] = draft.source is not None
        result.articles.append(article)
    has_sections = any(a.section for a in result.articles)
    for article in result.articles:
        result.flags[article.id] = article_flags(
            article, sources[article.id], has_sections, merged=article.id in merged
        )
    if not any(d.source for d in drafts):
        result.warnings.append("全文没有（来源：…）标记，文章只按标题切分，请逐篇核对起止")
    return result


def merge_into(first, later):
    """Join a later article with the same title to the first: its text follows, numbers are added."""
    first.body = (first.body.rstrip() + "\n\n" + later.body.lstrip()).strip()
    for name in ("standards", "plan_numbers", "doc_numbers", "patents", "plans", "prices"):
        values = getattr(first, name)
        values.extend(v for v in getattr(later, name) if v not in values)
    first.origin["lines"] = [
        min(first.origin["lines"][0], later.origin["lines"][0]),
        max(first.origin["lines"][1], later.origin["lines"][1]),
    ]
    first.section = first.section or later.section
    first.source = first.source or later.source


def to_article(draft, info, path, limit, all_lines):
    """One draft to an Article; dropped lines inside it still mark page breaks for tables."""
    first = draft.lines[draft.heading_lines].no if len(draft.lines) > draft.heading_lines else draft.end + 1
    body_lines = all_lines[first - 1 : draft.end]
    blocks = read_blocks(body_lines, limit)
    body = render_blocks(blocks) if blocks else ""
    texts = [line.text for line in body_lines if line.is_content]
    tables = [b.rows for b in blocks if b.kind == "table"]
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    plans = read_plans(tables)
    prices = read_prices(tables, paragraphs)
    patents = read_patents(texts)
    numbers = read_numbers(draft.title + "\n" + body)  # wrapped lines rejoined: a number may span two
    for plan in plans:
        for key in ("plan_number", "foreign_plan_number"):
            if plan.get(key) and plan[key] not in numbers["plan_numbers"]:
                numbers["plan_numbers"].append(plan[key])
    patent_records = patents or [{"number": n} for n in numbers["patent_numbers"]]
    kind = classify(
        draft.title,
        draft.section,
        body,
        plans=plans,
        prices=prices,
        patents=patents,
        doc_numbers=numbers["doc_numbers"],
    )
    month = int(info.date[5:7]) if info.date else None
    date, date_from = article_date(body, info.year, month, patents=patents)
    return Article(
        id=make_id(info.slug, draft.title),
        title=draft.title,
        type=kind,
        body=body,
        section=draft.section,
        source=draft.source,
        issue=info.as_dict(),
        date=date,
        date_from=date_from,
        standards=numbers["standards"],
        plan_numbers=numbers["plan_numbers"],
        patents=patent_records,
        doc_numbers=numbers["doc_numbers"],
        plans=plans,
        prices=prices,
        origin={"file": Path(path).name, "lines": [draft.start, draft.end]},
    )


def import_document(text, path):
    """One standalone policy text (plain text or Markdown, front matter optional) as one article.

    Its date is its publication date: front matter `date` or `published`, else its header's
    (importer/legal.py), which also gives the issuer and the day it takes effect."""
    meta, body = parse_frontmatter(text, path) if text.startswith("---") else ({}, text)
    lines = [line for line in read_lines(body) if not HEADER_END.match(line.text.strip())]
    content = [line for line in lines if line.text.strip()]
    if not content and not meta.get("title"):
        raise BulletinError("the document has no text", path=path)
    title = str(meta.get("title") or "").strip()
    if not title:
        title = content[0].text.strip()
        content = content[1:]
    info = IssueInfo(slug="documents")
    blocks = read_blocks(content, wrap_width(lines))
    rendered = render_blocks(blocks) if blocks else ""
    texts = [line.text for line in content]
    numbers = read_numbers(title + "\n" + "\n".join(texts))
    header = read_document_header(texts)
    facts = {name: _text(meta.get(name)) or header.get(name) for name in ("issuer", "published", "effective")}
    date = _text(meta.get("date")) or facts["published"] or version_date(texts)
    article = Article(
        id=make_id("doc", f"{title}|{date or ''}"),
        title=title,
        type=str(
            meta.get("type")
            or classify(title, None, rendered, plans=[], prices=[], patents=[], standalone=True)
        ),
        body=rendered,
        section=_text(meta.get("section")),
        source=_text(meta.get("source")),
        issue=info.as_dict(),
        date=date,
        date_from="article" if date else None,
        validity=_text(meta.get("validity")),
        standards=numbers["standards"],
        plan_numbers=numbers["plan_numbers"],
        patents=[{"number": n} for n in numbers["patent_numbers"]],
        doc_numbers=numbers["doc_numbers"],
        origin={"file": Path(path).name, "lines": [content[0].no if content else 1, len(text.split("\n"))]},
        **facts,
    )
    result = ImportResult(path=path, issue=info, articles=[article])
    _cap_title(article, result, path, article.origin["lines"][0])
    return result


def _text(value):
    return str(value).strip() if value not in (None, "") else None
