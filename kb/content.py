"""content/: iterate it, read one file into an Article, write Articles atomically."""

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import ContentError, KbError
from kb.frontmatter import dump_frontmatter, parse_frontmatter
from kb.models import Article

HASH_FIELD = "imported_hash"
ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}")  # what make_id() gives: the URL and file name


def is_valid_id(text):
    """True when `text` has the shape of an article id (checked before any lookup)."""
    return isinstance(text, str) and ID_SHAPE.fullmatch(text) is not None


def render(article):
    """The file text of an article, stamped with a hash so hand edits can be noticed."""
    meta = article.front_matter()
    text = dump_frontmatter(meta, article.body)
    meta[HASH_FIELD] = content_hash(text)
    return dump_frontmatter(meta, article.body)


def content_hash(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def is_hand_edited(text, path):
    """True when a file differs from what the importer wrote (its stamp no longer matches)."""
    meta, body = parse_frontmatter(text, path)
    stamp = meta.pop(HASH_FIELD, None)
    if stamp is None:
        return True
    return content_hash(dump_frontmatter(meta, body)) != stamp


def article_from(meta, body, path):
    """Front matter and body to an Article; raises ContentError naming the field."""
    known = {name: meta.get(name) for name in Article.FRONT_MATTER if name in meta}
    for name in ("standards", "plan_numbers", "patents", "doc_numbers", "plans", "prices"):
        value = known.get(name)
        if value is None:
            known[name] = []
        elif not isinstance(value, list):
            raise ContentError("must be a list", path=path, field=name)
    for name in ("issue", "origin"):
        if known.get(name) is None:
            known[name] = {}
        elif not isinstance(known[name], dict):
            raise ContentError("must be a mapping", path=path, field=name)
    for name in ("id", "title", "type"):
        if not known.get(name):
            raise ContentError("is missing", path=path, field=name, hint=f"add `{name}:` to the front matter")
    if known.get("date") is not None:
        known["date"] = str(known["date"])
    for name in ("id", "title", "type", "section", "source"):
        if known.get(name) is not None:
            known[name] = str(known[name])
    return Article(body=body, path=str(path), **known)


def read_article(path):
    path = Path(path)
    try:
        data = path.read_bytes()
        stamp = file_stamp(path)
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentError("is not UTF-8 text", path=path, hint="save the file as UTF-8") from None
    except OSError as exc:
        raise ContentError(f"cannot be read: {exc.strerror}", path=path) from None
    meta, body = parse_frontmatter(text, path)
    article = article_from(meta, body, path)
    article.sha1, article.stamp = hashlib.sha1(data).hexdigest(), stamp
    return article


def file_hash(path):
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def file_stamp(path):
    """Modification time and size: equal stamps mean the file need not be hashed again."""
    return _stamp(os.stat(path))


def _stamp(st):
    return f"{st.st_mtime_ns}:{st.st_size}"


def _article_files(content_dir):
    """(folder, names) of the article files under content_dir; hidden files and folders left out."""
    if not os.path.isdir(content_dir):
        return
    for folder, subfolders, names in os.walk(content_dir):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        yield folder, [name for name in names if name.endswith(".md") and not name.startswith(".")]


def iter_paths(content_dir):
    """Every article file under content_dir as a sorted list of path strings (cheap at 100,000s)."""
    return sorted(os.path.join(folder, name) for folder, names in _article_files(content_dir)
                  for name in names)


def stamps(content_dir):
    """path -> file_stamp() of every article file, in one walk; a file that vanishes meanwhile is left out."""
    out = {}
    for folder, names in _article_files(content_dir):
        prefix = os.path.join(folder, "")
        for name in names:
            path = prefix + name
            try:
                st = os.stat(path)
            except OSError:
                continue
            out[path] = _stamp(st)
    return out


def iter_articles(content_dir, problems=None):
    """Every readable article; unreadable files go to `problems` (a list) and are skipped."""
    for path in iter_paths(content_dir):
        try:
            yield read_article(path)
        except KbError as exc:
            if problems is None:
                raise
            problems.append(exc)


def article_path(content_dir, article):
    folder = article.issue_slug or "documents"
    return Path(content_dir) / folder / f"{article.id}.md"


def safe_article_path(content_dir, article_id):
    """The file of an id, or None: ids never reach outside content/."""
    if not is_valid_id(article_id):  # never a pattern: `*` or `**` would match any article
        return None
    root = Path(content_dir).resolve()
    for path in root.glob(f"*/{article_id}.md"):
        resolved = path.resolve()
        if root in resolved.parents:
            return resolved
    return None


@dataclass
class WriteReport:
    written: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)  # "path: why", not written


def plan_writes(articles, content_dir, force=False, planned=None):
    """Decide per file: write, leave unchanged, or skip a hand-edited file.

    `planned` (path → title) spans one import run: a second article that maps to a path already
    planned is a conflict, reported and not written, instead of silently replacing the first.
    """
    report, writes = WriteReport(), []
    planned = {} if planned is None else planned
    for article in articles:
        path = article_path(content_dir, article)
        if path in planned:
            report.conflicts.append(f"{path}: 《{article.title}》 has the same id as 《{planned[path]}》 "
                                    "in this import; give one a distinct title or date in its front "
                                    "matter and import it again")
            continue
        planned[path] = article.title
        text = render(article)
        if path.exists():
            old = path.read_text(encoding="utf-8", errors="replace")
            if old == text:
                report.unchanged.append(str(path))
                continue
            other = None if force else another_document(old, article, path)
            if other:
                report.conflicts.append(other)
                continue
            try:
                edited = is_hand_edited(old, path)
            except KbError:
                edited = True
            if edited and not force:
                report.skipped.append(str(path))
                continue
        writes.append((path, text))
        report.written.append(str(path))
    return report, writes


def another_document(old_text, article, path):
    """Why the file at `path` holds a different document than `article` (same id, other source file,
    other text), or None when it is the same one (re-imported, perhaps corrected)."""
    try:
        meta, body = parse_frontmatter(old_text, path)
    except KbError:
        return None
    origin = meta.get("origin") if isinstance(meta.get("origin"), dict) else {}
    old_file, new_file = origin.get("file"), (article.origin or {}).get("file")
    if not old_file or not new_file or old_file == new_file or body.strip() == article.body.strip():
        return None
    return (f"{path}: 《{article.title}》 from {new_file} has the same id as 《{meta.get('title')}》 "
            f"already imported from {old_file}, with other text; not overwritten (rename one title, "
            "give it a date, or pass --force to replace it)")


def write_files(writes):
    """Write every file or none (staged beside content/, moved in under a journal: kb.journal)."""
    from kb.journal import commit

    commit(writes)
