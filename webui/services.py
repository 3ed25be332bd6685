"""What the views share: the long-lived searcher, rendering, registers built from the index."""

import threading

import markdown
import nh3
from flask import current_app

from kb.search import Searcher

ALLOWED_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "br",
    "hr",
    "a",
    "sub",
    "sup",
    "mark",
    "span",
}
_lock = threading.Lock()


def searcher():
    app = current_app._get_current_object()
    with _lock:
        handle = app.extensions.get("kb_searcher")
        if handle is None:
            handle = Searcher(app.config["KB"])
            app.extensions["kb_searcher"] = handle
    return handle


def health_problem():
    """Why the index cannot answer yet (the first build is running or failed), or None."""
    first = current_app.extensions.get("kb_first_build")
    if first is None or first["state"] == "done":
        return None
    if first["state"] == "running":
        return "正在首次建立索引，请稍候"
    return "首次建立索引失败：" + first["message"]


def render_markdown(text):
    """Article Markdown to sanitised HTML (scripts, handlers and javascript: links removed)."""
    rendered = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "td": {"align"}, "th": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def all_documents():
    """Stored fields of every indexed article, cached until the index changes."""
    current = searcher().current()
    app = current_app._get_current_object()
    cache = app.extensions.get("kb_registry")
    if cache and cache[0] is current:
        return cache[1]
    documents = sorted(
        current.all_stored_fields(),
        key=lambda f: (f.get("issue", ""), (f.get("meta") or {}).get("origin", {}).get("lines", [0])[0]),
    )
    app.extensions["kb_registry"] = (current, documents)
    return documents


def number_register():
    """{canonical number: kind} of every indexed document, cached until the index changes."""
    from kb.nearby import known_numbers

    documents = all_documents()
    app = current_app._get_current_object()
    cache = app.extensions.get("kb_numbers")
    if cache and cache[0] is documents:
        return cache[1]
    known = known_numbers(documents)
    app.extensions["kb_numbers"] = (documents, known)
    return known


def issues_register():
    issues = {}
    for doc in all_documents():
        slug = doc.get("issue") or "documents"
        meta = (doc.get("meta") or {}).get("issue") or {}
        entry = issues.setdefault(slug, {"slug": slug, "meta": meta, "sections": {}})
        entry["sections"].setdefault(doc.get("section") or "（未分栏目）", []).append(doc)
    return sorted(issues.values(), key=lambda i: i["slug"], reverse=True)
