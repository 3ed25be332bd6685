"""Index folders and segment writing: create, open, write segments, merge them.

The index is a Whoosh folder of immutable segments and a numbered table of
contents (TOC).  A commit writes new segments and then a new TOC, so a reader
sees the old generation or the new one, never half of one.
"""

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.reading import SegmentReader

from kb.engine.parallel import write_shares as _write_shares
from kb.engine.segwriter import FastSegmentWriter, supports

WRITER_MB = 1024  # posting buffer per writer before it spills sorted runs to disk
MERGE_FANOUT = 10  # segments of one size tier that tidy() merges into one (Lucene: 10 per tier)


def exists(folder):
    """True when `folder` holds an index (a TOC)."""
    return whoosh_index.exists_in(str(folder))


def create(folder, schema):
    return whoosh_index.create_in(str(folder), schema)


def open_index(folder):
    return whoosh_index.open_dir(str(folder))


def writer(ix, procs=1, documents=0, compress=True):
    """A writer for `documents` new documents.  With procs > 1 each process analyses its share into
    its own segment (no single-core merge at the end).  `compress=False` writes an update's few
    documents uncompressed, which is faster; merges compress them later."""
    options = {} if compress else {"codec": W3Codec(compression=0)}
    if procs > 1:
        batch = max(1, min(100, documents // (procs * 4)))
        return ix.writer(
            procs=procs, multisegment=True, batchsize=batch, limitmb=WRITER_MB // procs, **options
        )
    if supports(ix.schema):
        return FastSegmentWriter(ix, compression=3 if compress else 0)
    return ix.writer(limitmb=WRITER_MB, **options)


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


def stop(writer):
    """Cancel a writer and the processes it started (Whoosh's cancel does not reach them)."""
    writer.cancel()
    for task in getattr(writer, "tasks", ()):
        task.terminate()
        task.join()


def commit_update(writer):
    """Commit an update's new segment as it is: only segments left empty are dropped."""
    writer.commit(mergetype=_drop_emptied)


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
