"""Bulk scoring: Whoosh's BM25F over whole postings lists, as numpy arrays.

Whoosh walks postings one document at a time through Python matcher objects,
about 8 µs a posting; a common word in 150,000 passages costs it half a
second.  Here a query made of terms, OR, AND and AND NOT is evaluated over
whole postings lists (kb/engine/postings.py) into `Hits`: sorted document
numbers with their scores, combined with array operations.  Field lengths and
facet columns are read once per segment and kept as compact arrays (a facet
column dictionary-coded, so counting is one bincount); the top hits come from
a partition.  The scores are Whoosh's own (same BM25F, idf, average lengths,
boosts, the same operations in the same order in float64), so results rank
exactly as Whoosh ranks them; totals and facet counts are exact.

Anything else (phrases, match-all) raises Unsupported and the caller uses Whoosh.
"""

from collections import OrderedDict

import numpy as np
from whoosh.query import And, AndNot, Not, Or, Term
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from kb.engine.columns import column_bytes, column_codes
from kb.engine.postings import term_postings

TERM_CACHE_BYTES = 48 * 1024 * 1024  # scored terms kept per index generation (12 bytes a posting)
_LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)


class Unsupported(Exception):
    """A query shape bulk scoring does not handle."""


class Hits:
    """Documents (sorted, unique global docnums) with their scores."""

    __slots__ = ("docs", "scores")

    def __init__(self, docs, scores):
        self.docs, self.scores = docs, scores

    @classmethod
    def empty(cls):
        return cls(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64))

    @classmethod
    def from_dict(cls, scores):
        docs = np.fromiter(scores, dtype=np.int32, count=len(scores))
        order = np.argsort(docs, kind="stable")
        values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        return cls(docs[order], values[order])

    def __len__(self):
        return len(self.docs)

    def __contains__(self, doc):
        i = np.searchsorted(self.docs, doc)
        return bool(i < len(self.docs) and self.docs[i] == doc)

    def get(self, doc, default=None):
        i = np.searchsorted(self.docs, doc)
        return float(self.scores[i]) if i < len(self.docs) and self.docs[i] == doc else default

    def items(self):
        return zip(self.docs.tolist(), self.scores.tolist(), strict=True)

    def to_dict(self):
        return dict(self.items())

    def nbytes(self):
        return self.docs.nbytes + self.scores.nbytes

    def within(self, other):
        """These hits restricted to documents of `other` (Hits or a docnum array); scores kept."""
        keep = _isin(self.docs, getattr(other, "docs", other))
        return Hits(self.docs[keep], self.scores[keep])

    def without(self, other, add=0.0):
        """These hits without the documents of `other`; `add` added to the scores kept."""
        keep = ~_isin(self.docs, getattr(other, "docs", other))
        return Hits(self.docs[keep], self.scores[keep] + add if add else self.scores[keep])

    def boosted(self, boost):
        return self if boost == 1.0 else Hits(self.docs, self.scores * boost)


def _isin(docs, others):
    """Which of the sorted `docs` the sorted `others` hold."""
    if not len(docs) or not len(others):
        return np.zeros(len(docs), dtype=bool)
    if len(docs) < 4096:  # a binary search each: less fixed cost than np.isin's table
        at = np.searchsorted(others, docs)
        at[at == len(others)] = 0
        return others[at] == docs
    return np.isin(docs, others, assume_unique=True, kind="table")


def union(parts, doc_count):
    """Scores summed over parts (in the order given) for every document any part holds."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Hits.empty()
    if len(parts) == 1:
        return parts[0]
    total = sum(len(p) for p in parts)
    if total * 8 > doc_count:  # many postings: a dense accumulator over the whole index
        acc = np.zeros(doc_count, dtype=np.float64)
        seen = np.zeros(doc_count, dtype=bool)
        for part in parts:
            acc[part.docs] += part.scores
            seen[part.docs] = True
        docs = np.flatnonzero(seen).astype(np.int32)
        return Hits(docs, acc[docs])
    docs = np.concatenate([p.docs for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    order = np.argsort(docs, kind="stable")  # stable: each document's scores added in part order
    docs, scores = docs[order], scores[order]
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    return Hits(docs[starts], np.add.reduceat(scores, starts))


def intersection(parts):
    """Scores summed (smallest part first) for the documents every part holds."""
    parts = sorted(parts, key=len)
    result = parts[0]
    for part in parts[1:]:
        keep = _isin(result.docs, part.docs)
        docs = result.docs[keep]
        result = Hits(docs, result.scores[keep] + part.scores[np.searchsorted(part.docs, docs)])
    return result


class Segment:
    """One segment's lengths, columns and deletions, read once and kept while the segment lives."""

    def __init__(self, reader):
        self.reader = reader
        self.doc_count = reader.doc_count_all()
        self.deleted = None  # bool per document, or None
        if reader.has_deletions():
            live = np.fromiter(reader.all_doc_ids(), dtype=np.int64)
            self.deleted = np.ones(self.doc_count, dtype=bool)
            self.deleted[live] = False
        self._columns = {}

    def lengths(self, field):
        """Every document's length of a field (float64, as Whoosh decodes its length byte)."""
        key = ("length", field)
        if key not in self._columns:
            perdoc = getattr(self.reader, "_perdoc", None)
            column = None
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is not None:
                raw = np.frombuffer(bytes(column_bytes(column, self.doc_count)), dtype=np.uint8)
                self._columns[key] = _LENGTH_OF_BYTE[raw]
            else:
                self._columns[key] = np.array(
                    [self.reader.doc_field_length(d, field) for d in range(self.doc_count)], dtype=np.float64
                )
        return self._columns[key]

    def codes(self, field):
        """(int32 code per document, sorted distinct values) of a text column."""
        key = ("column", field)
        if key not in self._columns:
            self._columns[key] = column_codes(self.reader, field, self.doc_count)
        return self._columns[key]

    def column(self, field):
        """Every document's value of a text column, as a list (a convenience; codes() is compact)."""
        codes, values = self.codes(field)
        return [values[c] for c in codes.tolist()]


class BulkSearcher:
    """Bulk evaluation over one Whoosh searcher (one index generation)."""

    def __init__(self, searcher, segments=None):
        self.searcher = searcher
        self.weighting = searcher.weighting
        old = segments or {}
        self._terms = OrderedDict()  # (field, text, boost) -> Hits, least recently used first
        self._cached = 0
        self._columns = {}  # field -> (global codes, values)
        self.leaves = []  # (Segment, docnum offset)
        self.segments = {}
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            key = (
                (reader.segment().segment_id(), reader.segment().deleted_count())
                if hasattr(reader, "segment") and reader.segment() is not None
                else id(reader)
            )
            segment = old.get(key) or Segment(reader)
            self.segments[key] = segment
            self.leaves.append((segment, offset))
        self.doc_count = max((offset + s.doc_count for s, offset in self.leaves), default=0)

    def warm(self, text_fields, columns):
        for segment, _ in self.leaves:
            for field in text_fields:
                if field in self.searcher.schema:
                    segment.lengths(field)
        for field in columns:
            self.codes(field)

    # -- evaluation: query -> Hits

    def scores(self, query):
        if not isinstance(self.weighting, BM25F):
            raise Unsupported("only BM25F scoring is reproduced")
        if isinstance(query, Term):
            return self._term(query)
        if isinstance(query, Or):
            parts = sorted((self.scores(sub) for sub in query.subqueries), key=len, reverse=True)
            return union(parts, self.doc_count).boosted(query.boost)
        if isinstance(query, And):
            positive = [q for q in query.subqueries if not isinstance(q, Not)]
            negative = [q.query for q in query.subqueries if isinstance(q, Not)]
            if not positive:
                raise Unsupported("AND of exclusions only")
            result = intersection([self.scores(q) for q in positive])
            for q in negative:  # Whoosh scores a NOT clause of an AND as a match of weight 1.0
                result = result.without(self.scores(q), add=1.0)
            return result.boosted(query.boost)
        if isinstance(query, AndNot):
            return self.scores(query.a).without(self.scores(query.b))
        raise Unsupported(type(query).__name__)

    def _term(self, query):
        key = (query.fieldname, query.text, query.boost)
        result = self._terms.get(key)
        if result is not None:
            self._terms.move_to_end(key)
            return result
        result = self._term_scores(query)
        self._terms[key] = result
        self._cached += result.nbytes()
        while self._cached > TERM_CACHE_BYTES and len(self._terms) > 1:
            _, dropped = self._terms.popitem(last=False)
            self._cached -= dropped.nbytes()
        return result

    def _term_scores(self, query):
        searcher, schema = self.searcher, self.searcher.schema
        field = query.fieldname
        if field not in schema:
            return Hits.empty()
        try:
            text = schema[field].to_bytes(query.text)
        except ValueError:
            return Hits.empty()
        scorable = schema[field].scorable
        if scorable:  # the terms of whoosh.scoring.bm25, in the same order
            idf = searcher.idf(field, text)
            avgfl = searcher.avg_field_length(field) or 1
            b = self.weighting._field_B.get(field, self.weighting.B)
            k1 = self.weighting.K1
            k1_plus_1, one_minus_b = k1 + 1, 1 - b
        docs, scores = [], []
        for segment, offset in self.leaves:
            ids, weights = term_postings(segment.reader, field, text)
            if not len(ids):
                continue
            if segment.deleted is not None:
                live = ~segment.deleted[ids]
                ids, weights = ids[live], weights[live]
            if scorable:
                lengths = segment.lengths(field)[ids]
                weights = idf * ((weights * k1_plus_1) / (weights + k1 * (one_minus_b + b * lengths / avgfl)))
            docs.append(ids + offset if offset else ids)
            scores.append(weights)
        if not docs:
            return Hits.empty()
        hits = Hits(np.concatenate(docs).astype(np.int32, copy=False), np.concatenate(scores))
        hits = hits.boosted(query.boost)
        hits.docs.flags.writeable = hits.scores.flags.writeable = False  # cached: shared by queries
        return hits

    # -- columns

    def codes(self, field):
        """(int32 code per global docnum, sorted distinct values) of a text column, every segment."""
        if field not in self._columns:
            per_segment = [
                (segment.codes(field), offset, segment.doc_count) for segment, offset in self.leaves
            ]
            values = sorted({v for (_, vals), _, _ in per_segment for v in vals} | {""})
            index = {v: i for i, v in enumerate(values)}
            codes = np.zeros(self.doc_count, dtype=np.int32)  # "" for gaps (none in practice)
            for (local, vals), offset, count in per_segment:
                remap = np.array([index[v] for v in vals], dtype=np.int32)
                codes[offset : offset + count] = remap[local] if len(vals) else index[""]
            self._columns[field] = (codes, values)
        return self._columns[field]

    def column_values(self, field):
        """The distinct values a column holds (without "")."""
        return [v for v in self.codes(field)[1] if v]

    def column_value(self, field, docnum):
        codes, values = self.codes(field)
        return values[codes[docnum]] if 0 <= docnum < len(codes) else None

    # -- answers

    def top(self, hits, count, sort_column=None):
        """The best `count` docnums: by score (ties by docnum, as Whoosh), or by a column descending."""
        if isinstance(hits, dict):
            hits = Hits.from_dict(hits)
        if not len(hits) or count <= 0:
            return []
        docs, scores = hits.docs, hits.scores
        if sort_column:
            ranks = self.codes(sort_column)[0][docs]
            return docs[np.lexsort((docs, -ranks))[:count]].tolist()
        if len(scores) > count:
            cut = np.partition(scores, len(scores) - count)[len(scores) - count]
            keep = scores >= cut
            docs, scores = docs[keep], scores[keep]
        return docs[np.lexsort((docs, -scores))[:count]].tolist()

    def facets(self, docnums, fields, keep=30):
        """Exact counts per value of each facet column over the given documents."""
        docs = getattr(docnums, "docs", None)
        if docs is None:
            docs = np.fromiter(docnums, dtype=np.int64)
        out = {}
        for field in fields:
            codes, values = self.codes(field)
            counts = np.bincount(codes[docs], minlength=len(values))
            found = [(values[i], int(counts[i])) for i in np.flatnonzero(counts).tolist() if values[i]]
            out[field] = sorted(found, key=lambda kv: (-kv[1], kv[0]))[:keep]
        return out
