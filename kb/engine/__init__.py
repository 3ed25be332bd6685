"""The search engine behind kb: the one place that knows Whoosh's internals.

What the rest of kb may rely on (and a second engine, tantivy or OpenSearch, would provide):

- index folders: `exists(folder)`, `create(folder, schema)`, `open_index(folder)` returning an
  index with `.searcher()`, `.doc_count()`, `.schema`;
- writing: `write_shares(ix, shares, produce, compress, update, replace, deletes)` writes the
  documents `produce(share, log)` yields, one forked process and one new segment per share, and
  commits them at once (kb/engine/parallel.py, kb/engine/segwriter.py: postings grouped per term,
  written a whole list at a time, short lists inlined); `tidy(ix)` merges small segments later
  (off the search path); `toc_segments(folder)` names what a TOC holds, for cleaning leftovers;
- searching: `BulkSearcher(searcher).scores(query)` -> `Hits` (sorted docnums and their BM25F
  scores as numpy arrays) over whole postings lists (`term_postings`), `top()`, `facets()` over
  dictionary-coded columns (`codes(field)`), lengths and columns read once per segment;
  `column_texts(reader, field)`, `column_values(reader, field)` (fixed-width columns decoded by
  their field: digests, stamps).

Queries are built from the public `whoosh.query` classes (kb/query.py) and the schema from public
`whoosh.fields` (kb/schema.py).  Corrections to Whoosh itself live in kb/engine/fixes.py and are
applied here, explicitly, once.
"""

from kb.engine import fixes
from kb.engine.columns import column_texts, column_values
from kb.engine.store import (
    create,
    exists,
    open_index,
    segments,
    tidy,
    toc_segments,
    write_shares,
)

fixes.apply()

# The searching side (numpy and the bulk scorer, 0.1-0.2 s to import) is loaded on first use, so
# `kb index update` makes new articles searchable without paying for it.
_LAZY = {
    "BulkSearcher": "kb.engine.bulk",
    "Hits": "kb.engine.bulk",
    "Unsupported": "kb.engine.bulk",
    "column_bytes": "kb.engine.columns",
    "column_codes": "kb.engine.columns",
    "term_postings": "kb.engine.postings",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BulkSearcher",
    "Hits",
    "Unsupported",
    "column_bytes",
    "column_codes",
    "column_texts",
    "column_values",
    "create",
    "exists",
    "open_index",
    "segments",
    "term_postings",
    "tidy",
    "toc_segments",
    "write_shares",
]
