"""Check content/: front matter against the schema, duplicate ids, unreadable files."""

import re
from pathlib import Path

from kb.content import iter_paths, read_article
from kb.errors import KbError
from kb.importer.identity import title_key
from kb.importer.review import suspicious_title
from kb.models import TYPES, Problem

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
DATE_PATTERN = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DATE_FROM = ("article", "issue")


def validate(article):
    """Every problem of one article, not only the first."""
    path, problems = article.path or "<article>", []

    def add(field, message):
        problems.append(Problem(path=path, field=field, message=message, line=_field_line(path, field)))

    if not ID_PATTERN.match(article.id):
        add("id", "must be letters, digits, '-' or '_' (it is the URL and the file name)")
    elif article.path and Path(article.path).stem != article.id:
        add("id", f"does not match the file name {Path(article.path).name}")
    if article.type not in TYPES:
        add("type", f"must be one of {', '.join(TYPES)}")
    for name in ("date", "published", "effective"):
        value = getattr(article, name)
        if value and not DATE_PATTERN.match(value):
            add(name, "must look like 2024, 2024-01 or 2024-01-26")
    if article.date_from and article.date_from not in DATE_FROM:
        add("date_from", "must be article (the text's own date) or issue (the issue's month)")
    for name in ("standards", "plan_numbers", "doc_numbers"):
        for value in getattr(article, name):
            if not isinstance(value, str):
                add(name, f"entries must be text, got {value!r}")
    for patent in article.patents:
        if not isinstance(patent, dict) or not patent.get("number"):
            add("patents", "each patent needs a `number`")
    if not article.body.strip():
        add("body", "the article has no text")
    return problems


def _field_line(path, field):
    try:
        for no, line in enumerate(Path(path).read_text(encoding="utf-8").split("\n"), start=1):
            if line.startswith(f"{field}:"):
                return no
    except (OSError, UnicodeDecodeError):
        return None
    return None


def review(article):
    """What an editor should look at, though the file is valid: a suspicious title (importer/review.py)."""
    reason = suspicious_title(article.title)
    if reason is None:
        return []
    path = article.path or "<article>"
    return [
        Problem(
            path=path,
            field="title",
            line=_field_line(path, "title"),
            message=f"标题可疑（{reason}）：“{article.title}”",
        )
    ]


def check_content(content_dir, warnings=None):
    """All problems in content/: unreadable files, invalid fields, duplicate ids.

    `warnings` (a list) collects what is valid but suspect: suspicious titles, and two articles
    with one title in one issue."""
    problems, seen, titles = [], {}, {}
    warnings = [] if warnings is None else warnings
    for path in iter_paths(content_dir):
        try:
            article = read_article(path)
        except KbError as exc:
            problems.append(Problem(path=str(path), message=exc.message, line=exc.line, field=exc.field))
            continue
        problems.extend(validate(article))
        warnings.extend(review(article))
        key = (article.issue_slug, title_key(article.title))
        if article.issue_slug not in ("", "documents") and key in titles:
            warnings.append(
                Problem(
                    path=str(path),
                    field="title",
                    line=_field_line(path, "title"),
                    message=f"与 {titles[key]} 同一期、同一标题",
                )
            )
        titles.setdefault(key, str(path))
        if article.id in seen:
            problems.append(
                Problem(
                    path=str(path),
                    field="id",
                    line=_field_line(path, "id"),
                    message=f"duplicate id, also used by {seen[article.id]}",
                )
            )
        else:
            seen[article.id] = str(path)
    return problems
