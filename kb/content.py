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
    for name in Article.LISTS:
        value = known.get(name)
        if value is None:
            known[name] = []
        elif not isinstance(value, list):
            raise ContentError("must be a list", path=path, field=name)
    for name in Article.MAPPINGS:
        if known.get(name) is None:
            known[name] = {}
        elif not isinstance(known[name], dict):
            raise ContentError("must be a mapping", path=path, field=name)
    for name in Article.REQUIRED:
        if not known.get(name):
            raise ContentError("is missing", path=path, field=name, hint=f"add `{name}:` to the front matter")
    for name in Article.TEXTS:
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
    return stat_stamp(os.stat(path))


def stat_stamp(st):
    """file_stamp() of an os.stat() result already at hand (kb/walk.py stats each file once):
    (modification time in ns, size), as the index's stamp column gives it back (kb.schema)."""
    return (st.st_mtime_ns, st.st_size)


def _article_files(content_dir):
    """(folder, names) of the article files under content_dir; hidden files and folders left out."""
    if not os.path.isdir(content_dir):
        return
    for folder, subfolders, names in os.walk(content_dir):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        yield folder, [name for name in names if name.endswith(".md") and not name.startswith(".")]


def iter_paths(content_dir):
    """Every article file under content_dir as a sorted list of path strings (cheap at 100,000s)."""
    return sorted(
        os.path.join(folder, name) for folder, names in _article_files(content_dir) for name in names
    )


def stamps(content_dir):
    """path -> file_stamp() of every article file, in one walk; a file that vanishes meanwhile is left out."""
    out = {}
    for folder, names in _article_files(content_dir):
        add_stamps(out, folder, names)
    return out


def add_stamps(out, folder, names):
    """path -> stamp of the files `names` of `folder` into `out`; a file that vanished is left out."""
    prefix = os.path.join(folder, "")
    for name in names:
        path = prefix + name
        try:
            st = os.stat(path)
        except OSError:
            continue
        out[path] = stat_stamp(st)


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


# What a re-import does with each article (`action` in `kb import --json`) and with each file of
# the issue that the new text no longer holds (`stale`).
ACTIONS = {
    "new": "新增",
    "changed": "修改",
    "unchanged": "未变",
    "edited": "人工编辑过，保留",
    "overwritten": "人工编辑过，覆盖",
    "conflict": "冲突，未写入",
}
STALE_ACTIONS = {
    "stale": "不再属于本期，保留",
    "removed": "不再属于本期，删除",
    "stale_edited": "不再属于本期，人工编辑过，保留",
}
COMPARED_APART = ("origin", HASH_FIELD)  # where an article came from is not what it says


@dataclass
class WriteReport:
    written: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # edited by hand, kept
    conflicts: list = field(default_factory=list)  # "path: why", not written
    actions: dict = field(default_factory=dict)  # article id -> ACTIONS key
    changes: dict = field(default_factory=dict)  # article id -> front matter keys (and "body") that differ
    stale: list = field(default_factory=list)  # {"id", "title", "path", "action"}: files the import lacks
    removed: list = field(default_factory=list)  # paths removed (with replace)

    def count(self, action):
        return sum(1 for a in self.actions.values() if a == action)


def _differences(old_meta, old_body, article):
    new_meta = article.front_matter()
    keys = [
        k
        for k in dict.fromkeys([*new_meta, *old_meta])
        if k not in COMPARED_APART and old_meta.get(k) != new_meta.get(k)
    ]
    if (old_body or "").strip() != (article.body or "").strip():
        keys.append("body")
    return keys


def _read_existing(path):
    """(text, meta, body, hand edited) of a file already in content/; an unreadable file is hand edited."""
    old = path.read_text(encoding="utf-8", errors="replace")
    try:
        meta, body = parse_frontmatter(old, path)
        edited = is_hand_edited(old, path)
    except KbError:
        return old, {}, old, True
    meta.pop(HASH_FIELD, None)
    return old, meta, body, edited


def plan_writes(articles, content_dir, force=False, planned=None, replace=False):
    """Decide per file: new, changed, unchanged, hand-edited (kept unless `force`), or a conflict.

    `planned` (path → title) spans one import run: a second article that maps to a path already
    planned is a conflict, reported and not written, instead of silently replacing the first.
    Files of the same issue that the import no longer holds are `stale`: kept and named, or with
    `replace` removed (hand-edited ones only with `force`).  Returns (report, writes); a write is
    (path, text), or (path, None) for a file to remove.
    """
    report, writes = WriteReport(), []
    planned = {} if planned is None else planned
    for article in articles:
        path = article_path(content_dir, article)
        if path in planned:
            report.conflicts.append(
                f"{path}: 《{article.title}》 has the same id as 《{planned[path]}》 "
                "in this import; give one a distinct title or date in its front "
                "matter and import it again"
            )
            report.actions[article.id] = "conflict"
            continue
        planned[path] = article.title
        text = render(article)
        action = "new"
        if path.exists():
            old, meta, body, edited = _read_existing(path)
            differences = [] if old == text else _differences(meta, body, article)
            if not differences:
                report.unchanged.append(str(path))
                report.actions[article.id] = "unchanged"
                continue
            other = None if force else another_document(meta, body, article, path)
            if other:
                report.conflicts.append(other)
                report.actions[article.id] = "conflict"
                continue
            report.changes[article.id] = differences
            if edited and not force:
                report.skipped.append(str(path))
                report.actions[article.id] = "edited"
                continue
            action = "overwritten" if edited else "changed"
        report.actions[article.id] = action
        writes.append((path, text))
        report.written.append(str(path))
    writes.extend(_plan_stale(articles, content_dir, planned, report, force, replace))
    return report, writes


def another_document(meta, body, article, path):
    """Why the file at `path` (its front matter and body) holds a different standalone document than
    `article` (same id, other source file, other text), or None when it is the same one (re-imported,
    perhaps corrected).  Articles of an issue are matched by title within the issue, so they never are."""
    if article.issue_slug not in ("", "documents"):  # in an issue, one title is one article (re-import)
        return None
    origin = meta.get("origin") if isinstance(meta.get("origin"), dict) else {}
    old_file, new_file = origin.get("file"), (article.origin or {}).get("file")
    if not old_file or not new_file or old_file == new_file or body.strip() == article.body.strip():
        return None
    return (
        f"{path}: 《{article.title}》 from {new_file} has the same id as 《{meta.get('title')}》 "
        f"already imported from {old_file}, with other text; not overwritten (rename one title, "
        "give it a date, or pass --force to replace it)"
    )


def _plan_stale(articles, content_dir, planned, report, force, replace):
    """Files in the imported issues' folders that this import does not hold."""
    folders = {article_path(content_dir, a).parent for a in articles if a.issue_slug not in ("", "documents")}
    removals = []
    for folder in sorted(folders):
        for path in sorted(folder.glob("*.md")):
            if path in planned or path.name.startswith("."):
                continue
            _, meta, _, edited = _read_existing(path)
            entry = {
                "id": str(meta.get("id") or path.stem),
                "title": str(meta.get("title") or ""),
                "path": str(path),
            }
            if not replace:
                entry["action"] = "stale"
            elif edited and not force:
                entry["action"] = "stale_edited"
            else:
                entry["action"] = "removed"
                removals.append((path, None))
                report.removed.append(str(path))
            report.stale.append(entry)
    return removals


def write_files(writes):
    """Write every file or none: staged beside content/, then moved in under a journal (kb.journal).

    A write of None removes the file.  Nothing is changed when a staged file cannot be written.
    """
    from kb.journal import commit

    commit(writes)
