"""Article paths as the index keeps them: relative to the content folder.

The walk of content/ (kb.content.iter_paths, kb.walk) gives each article as the content folder's
path joined with the article's place under it; the index keeps only that place (`2024-01/a.md`, not
`/home/…/content/2024-01/a.md`: half the path column at 145,000 passages, and an index that still
matches its files when the content folder moves).  Every reader joins it back with the same prefix,
so both sides of `kb index update`'s comparison are in the walk's form.  A path kept whole (an index
written before, or a file outside content/) stays as it is, as pathlib's `content / p` keeps an
absolute p.  Whether a path read back lies under content/ is kb.hittext's check, not this module's.
"""

import os


def _prefix(content_dir):
    return os.path.join(str(content_dir), "")


def stored_path(content_dir, path):
    """`path` (a walk's path) as the index keeps it: the part after content_dir's prefix."""
    prefix = _prefix(content_dir)
    return path[len(prefix) :] if path.startswith(prefix) and len(path) > len(prefix) else path


def full_path(content_dir, stored):
    """A stored path in the walk's form again ("" stays "")."""
    if not stored or os.path.isabs(stored):
        return stored
    return _prefix(content_dir) + stored


def full_paths(content_dir, stored):
    """full_path of every path of the list `stored` (one segment's column)."""
    prefix = _prefix(content_dir)
    isabs = os.path.isabs
    return [p if not p or isabs(p) else prefix + p for p in stored]
