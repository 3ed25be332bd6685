"""Index folders and segment writing: create, open, write segments, merge them.

The index is a Whoosh folder of immutable segments and a numbered table of
contents (TOC).  A commit writes new segments and then a new TOC, so a reader
sees the old generation or the new one, never half of one.
"""

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

from kb.engine.parallel import write_shares as _write_shares
from kb.engine.segwriter import FastSegmentWriter, supports

MERGE_FANOUT = 10  # segments of one size tier that tidy() merges into one (Lucene: 10 per tier)


def exists(folder):
    """True when `folder` holds an index (a TOC)."""
    return whoosh_index.exists_in(str(folder))


def create(folder, schema):
    return whoosh_index.create_in(str(folder), schema)


def open_index(folder):
    return whoosh_index.open_dir(str(folder))


def write_shares(ix, shares, produce, compress=True, update=False, replace=None, deletes=()):
    """Write the documents `produce(share, log)` yields, one process and one new segment per share
    (kb.engine.parallel), and commit them at once; returns (documents, log).  `update`: keep every
    existing segment (only emptied ones are dropped; tidy() merges later); `replace`: fields whose
    value in a new document deletes the live documents that have it; `deletes`: (field, value)
    terms whose documents are deleted first."""
    return _write_shares(
        ix,
        shares,
        produce,
        compression=3 if compress else 0,
        mergetype=_drop_emptied if update else None,
        replace=replace,
        deletes=deletes,
    )


def _drop_emptied(writer, segments):
    """Whoosh merge policy: keep every segment but those whose documents are all deleted (free)."""
    return [segment for segment in segments if segment.doc_count() > 0]


def tiers_due(segments):
    """Segments to merge: every size tier (1-9, 10-99, 100-999 … documents) that holds MERGE_FANOUT
    or more segments.  Each document is then rewritten about once per tier, as in Lucene's tiered
    policy, instead of at every small commit (Whoosh's default rewrites 180 documents, 5 s at
    140,000, on every third or fourth update)."""
    tiers = {}
    for segment in segments:
        if segment.doc_count() > 0:
            tiers.setdefault(len(str(segment.doc_count_all())), []).append(segment)
    return [segment for members in tiers.values() if len(members) >= MERGE_FANOUT for segment in members]


def _merge_tiers(writer, segments):
    """Whoosh merge policy: drop emptied segments and merge the tiers that are due."""
    due = tiers_due(segments)
    for segment in due:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in _drop_emptied(writer, segments) if segment not in due]


def segments(ix):
    """The segments of the index's latest generation."""
    return ix._segments()


def tidy(ix):
    """Merge small segments once enough have piled up; returns how many were merged."""
    due = tiers_due(segments(ix))
    if due:
        merging = FastSegmentWriter(ix) if supports(ix.schema) else ix.writer()
        try:
            merging.commit(mergetype=_merge_tiers)
        except BaseException:
            merging.cancel()
            raise
    return len(due)


def toc_segments(folder):
    """(segment ids the latest TOC of `folder` names, its generation), or None when unreadable."""
    try:
        ix = open_index(folder)
        return {segment.segment_id() for segment in segments(ix)}, ix.latest_generation()
    except Exception:  # noqa: BLE001 - any unreadable index is rebuilt, never cleaned
        return None
