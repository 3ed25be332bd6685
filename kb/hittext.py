"""A hit's body, read from its file in content/ rather than from the index.

The index does not store bodies (content/ holds them): a hit's text, for its snippet and the
proximity bonus, is read from the file its stored `path` names, resolved only under content_dir.
The text is what the indexer indexed: the body after the front matter (split off without parsing
the YAML), the patents' abstracts and titles the body does not already hold (from the stored
meta), cut at MAX_INDEXED_CHARS: these rules are the indexer's own (kb.indexer imports them).
A file deleted, moved or broken since the last update gives None, and the caller shows the
title and fields instead: never an exception.
"""

import os

from kb.errors import KbError
from kb.frontmatter import split_frontmatter

MAX_INDEXED_CHARS = 1_000_000  # of one article's body: bounds a build's memory (a 50 MB text needs GBs)


def indexed_body(body):
    """The part of a body that is indexed: all of it up to MAX_INDEXED_CHARS, else cut at the last
    paragraph break before the limit.  The file in content/ keeps every character."""
    if len(body) <= MAX_INDEXED_CHARS:
        return body
    cut = body.rfind("\n", MAX_INDEXED_CHARS // 2, MAX_INDEXED_CHARS)
    return body[: cut if cut > 0 else MAX_INDEXED_CHARS]


def document_body(body, patents):
    """The indexed body of an article (kb.indexer.to_document's "body"): its text, then its patents'
    abstracts and titles when the text does not already hold them."""
    extra = " ".join(
        p.get("abstract", "") + " " + p.get("title", "") for p in patents or () if isinstance(p, dict)
    )
    return indexed_body(body + ("\n" + extra if extra.strip() and extra.strip() not in body else ""))


def article_file(content_dir, stored_path):
    """The file a stored path names, if it lies under content_dir; else the file of the same
    folder and name under content_dir (the content folder was moved or copied); else None."""
    if not stored_path or not content_dir:
        return None
    root = os.path.realpath(content_dir)
    inside = os.path.join(root, "")
    candidates = [stored_path] if os.path.isabs(stored_path) else [os.path.join(root, stored_path)]
    parts = stored_path.replace("\\", "/").split("/")
    if len(parts) >= 2 and ".." not in parts[-2:]:
        candidates.append(os.path.join(root, *parts[-2:]))
    for candidate in candidates:
        resolved = os.path.realpath(candidate)
        if resolved.startswith(inside) and resolved.endswith(".md") and os.path.isfile(resolved):
            return resolved
    return None


def read_body(content_dir, fields):
    """The indexed body of a hit (its stored fields) from its file, or None when it cannot be read.
    Without a path (the index keeps it in a column only: kb/search.py adds it to a hit's fields), the
    file is looked up by the id (kb.content.safe_article_path)."""
    if fields.get("path"):
        path = article_file(content_dir, fields["path"])
    else:
        from kb.content import safe_article_path  # (only the registers come here: few documents)

        found = safe_article_path(content_dir, fields.get("id") or "") if content_dir else None
        path = str(found) if found is not None else None
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
        _, body, _ = split_frontmatter(text, path)
    except (OSError, KbError):
        return None
    return document_body(body, (fields.get("meta") or {}).get("patents"))


def hit_text(content_dir, fields):
    """(stored fields with "body", the text a snippet is cut from).  The body is the stored one (an
    index built before bodies left it), else the file's; when the file is gone or unreadable the body
    is empty and the snippet shows the title."""
    if "body" in fields:
        return fields, fields["body"]
    body = read_body(content_dir, fields)
    if body is None:
        return {**fields, "body": ""}, fields.get("title", "")
    return {**fields, "body": body}, body
