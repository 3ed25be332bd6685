"""Import a raw issue (or one standalone document) into Article records.

    text = decode(bytes)                       # importer/text.py
    info, drafts, lines = split_bulletin(text)  # importer/split.py
    article = to_article(draft, ...)            # importer/body.py + extract.py

Nothing here writes files: content.py does, after the staff member has seen the report.
"""

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import BulletinError
from kb.frontmatter import parse_frontmatter
from kb.importer.body import read_blocks, render_blocks
from kb.importer.extract import (
    article_date, classify, read_numbers, read_patents, read_plans, read_prices, version_date,
)
from kb.importer.split import SOURCE, TOC_HEAD, read_lines, split_bulletin, wrap_width
from kb.importer.text import decode, normalise_title
from kb.models import Article, IssueInfo


@dataclass
class ImportResult:
    """What one raw file yields, and what the staff member should review."""

    path: str
    issue: IssueInfo
    articles: list = field(default_factory=list)
    dropped: list = field(default_factory=list)  # (line number, reason, text)
    warnings: list = field(default_factory=list)

    def summary(self):
        by_reason = Counter(reason for _, reason, _ in self.dropped)
        samples = defaultdict(list)
        for no, reason, text in self.dropped:
            if len(samples[reason]) < 3 and text not in samples[reason]:
                samples[reason].append(text)
        return by_reason, samples


def make_id(slug, title):
    digest = hashlib.sha1(normalise_title(title).encode("utf-8")).hexdigest()[:8]
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", slug).strip("-") or "doc"
    return f"{slug}-{digest}"


def slug_for(path):
    stem = Path(path).stem
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "issue"


def is_bulletin(text):
    """A bulletin has source markers or a table of contents; anything else is one document."""
    lines = [line.strip().lstrip("#").strip() for line in text.split("\n")]
    return any(SOURCE.match(t) for t in lines) or any(TOC_HEAD.match(t.replace(" ", "")) for t in lines[:200])


MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # one raw issue or document; a bulletin is well under 1 MB
MAX_LINE_CHARS = 2_000_000  # one line; converters wrap lines, a longer one is not text from a page
MAX_TITLE_CHARS = 200  # a longer "title" is a paragraph read as a title: cut, with a warning


def import_file(path, kind="auto"):
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise BulletinError(f"文件太大：{path.stat().st_size:,} 字节，上限 {MAX_DOCUMENT_BYTES:,} 字节",
                                path=path, hint="一期简报或一份文件远小于此；检查是否选错了文件")
        data = path.read_bytes()
    except FileNotFoundError:
        raise BulletinError("no such file", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise BulletinError("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise BulletinError(f"cannot be read: {exc.strerror}", path=path) from None
    return import_text(decode(data, path), str(path), kind=kind)


def check_limits(text, path):
    """Refuse text too large to be one issue or document, naming the file and line."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise BulletinError(f"文件太大：{len(text):,} 个字符，上限 {MAX_DOCUMENT_BYTES:,}", path=path)
    for no, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise BulletinError(f"这一行太长：{len(line):,} 个字符，上限 {MAX_LINE_CHARS:,}", path=path, line=no,
                                hint="文件可能不是转换好的文本；重新导出后再导入")


def _cap_title(article, result, path, line):
    if len(article.title) > MAX_TITLE_CHARS:
        result.warnings.append(f"{path}:{line}: 标题太长（{len(article.title)} 个字符），只保留前 "
                               f"{MAX_TITLE_CHARS} 个字符；请检查这篇文章是从哪里开始的")
        article.title = article.title[:MAX_TITLE_CHARS] + "…"


def import_text(text, path="issue.txt", kind="auto"):
    check_limits(text, path)
    if kind == "auto":
        kind = "bulletin" if is_bulletin(text) else "document"
    if kind == "document":
        return import_document(text, path)
    return import_bulletin(text, path)


def import_bulletin(text, path):
    info, drafts, lines = split_bulletin(text, slug_for(path))
    result = ImportResult(path=path, issue=info)
    result.dropped = [(line.no, line.drop, line.text.strip()) for line in lines if line.drop]
    if not drafts:
        raise BulletinError("no article text found", path=path, hint="is this the issue's text?")
    limit = wrap_width(lines)
    seen = set()
    for draft in drafts:
        article = to_article(draft, info, path, limit, lines)
        _cap_title(article, result, path, draft.start)
        while article.id in seen:
            article.id += "-2"
        seen.add(article.id)
        result.articles.append(article)
        if draft.source is None:
            result.warnings.append(f"{path}:{draft.start}: article “{draft.title}” has no （来源：…） line; "
                                   "check where it ends")
        if article.section is None and info.toc:
            result.warnings.append(f"{path}:{draft.start}: “{draft.title}” is not in the table of contents")
    if not any(d.source for d in drafts):
        result.warnings.append(f"{path}: no （来源：…） markers found; articles were cut at headings only")
    return result


def to_article(draft, info, path, limit, all_lines):
    """One draft to an Article; dropped lines inside it still mark page breaks for tables."""
    first = draft.lines[draft.heading_lines].no if len(draft.lines) > draft.heading_lines else draft.end + 1
    body_lines = all_lines[first - 1:draft.end]
    blocks = read_blocks(body_lines, limit)
    body = render_blocks(blocks) if blocks else ""
    texts = [line.text for line in body_lines if line.is_content]
    tables = [b.rows for b in blocks if b.kind == "table"]
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    plans = read_plans(tables)
    prices = read_prices(tables, paragraphs)
    patents = read_patents(texts)
    numbers = read_numbers(draft.title + "\n" + "\n".join(texts))
    for plan in plans:
        for key in ("plan_number", "foreign_plan_number"):
            if plan.get(key) and plan[key] not in numbers["plan_numbers"]:
                numbers["plan_numbers"].append(plan[key])
    patent_records = patents or [{"number": n} for n in numbers["patent_numbers"]]
    kind = classify(draft.title, draft.section, body, plans=plans, prices=prices, patents=patents,
                    doc_numbers=numbers["doc_numbers"])
    return Article(
        id=make_id(info.slug, draft.title), title=draft.title, type=kind, body=body,
        section=draft.section, source=draft.source, issue=info.as_dict(),
        date=article_date(draft.title, body, info.date, info.year),
        standards=numbers["standards"], plan_numbers=numbers["plan_numbers"], patents=patent_records,
        doc_numbers=numbers["doc_numbers"], plans=plans, prices=prices,
        origin={"file": Path(path).name, "lines": [draft.start, draft.end]},
    )


def import_document(text, path):
    """One standalone policy text (plain text or Markdown, front matter optional) as one article."""
    meta, body = parse_frontmatter(text, path) if text.startswith("---") else ({}, text)
    lines = read_lines(body)
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
    date = meta.get("date") or version_date(texts)
    article = Article(
        id=make_id("doc", f"{title}|{date or ''}"), title=title,
        type=str(meta.get("type") or classify(title, None, rendered, plans=[], prices=[], patents=[],
                                              standalone=True)),
        body=rendered, section=meta.get("section"), source=meta.get("source"), issue=info.as_dict(),
        date=str(date) if date else None, standards=numbers["standards"],
        plan_numbers=numbers["plan_numbers"], patents=[{"number": n} for n in numbers["patent_numbers"]],
        doc_numbers=numbers["doc_numbers"],
        origin={"file": Path(path).name, "lines": [content[0].no if content else 1, len(text.split("\n"))]},
    )
    result = ImportResult(path=path, issue=info, articles=[article])
    _cap_title(article, result, path, article.origin["lines"][0])
    return result
