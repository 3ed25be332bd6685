"""Bulk scoring: Whoosh's BM25F over whole postings lists, a block at a time.

Whoosh walks postings one document at a time through Python matcher objects,
about 8 µs a posting; a common word in 150,000 passages costs it half a
second.  Here a query made of terms, OR, AND and AND NOT is evaluated over
whole posting blocks into {docnum: score} dicts, field lengths and facet
columns are read once per segment and kept, and the top hits come from a heap.
The scores are Whoosh's own (same BM25F, idf, average lengths, boosts), so
results rank exactly as Whoosh ranks them; totals and facet counts are exact.

Anything else (phrases, match-all) returns None and the caller uses Whoosh.
"""

import heapq
from collections import Counter

from whoosh.query import And, AndNot, Not, Or, Term
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from kb.engine.columns import column_bytes, column_texts

TERM_CACHE_POSTINGS = 3_000_000  # scored postings kept per index generation (about 300 MB at most)


class Unsupported(Exception):
    """A query shape bulk scoring does not handle."""


def read_postings(matcher):
    """(docnums, weights) of a whole postings list, read block by block."""
    ids, weights = [], []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        while matcher.is_active():  # whoosh3 block matcher: take each block's arrays whole
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return ids, weights


class Segment:
    """One segment's columns and deletions, read once and kept while the segment lives."""

    def __init__(self, reader):
        self.reader = reader
        self.doc_count = reader.doc_count_all()
        self.deleted = (set(range(self.doc_count)) - set(reader.all_doc_ids())
                        if reader.has_deletions() else set())
        self._columns = {}

    def lengths(self, field):
        key = ("length", field)
        if key not in self._columns:
            perdoc = getattr(self.reader, "_perdoc", None)
            column = None
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is not None:
                self._columns[key] = list(map(byte_to_length, column_bytes(column, self.doc_count)))
            else:
                self._columns[key] = [self.reader.doc_field_length(d, field) for d in range(self.doc_count)]
        return self._columns[key]

    def column(self, field):
        key = ("column", field)
        if key not in self._columns:
            self._columns[key] = column_texts(self.reader, field, self.doc_count)
        return self._columns[key]


class BulkSearcher:
    """Bulk evaluation over one Whoosh searcher (one index generation)."""

    def __init__(self, searcher, segments=None):
        self.searcher = searcher
        self.weighting = searcher.weighting
        old = segments or {}
        self._terms = {}  # (field, text, boost) -> {docnum: score}, for this index generation
        self._cached = 0
        self.leaves = []  # (Segment, docnum offset)
        self.segments = {}
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            key = (reader.segment().segment_id(), reader.segment().deleted_count()) \
                if hasattr(reader, "segment") and reader.segment() is not None else id(reader)
            segment = old.get(key) or Segment(reader)
            self.segments[key] = segment
            self.leaves.append((segment, offset))

    def warm(self, text_fields, columns):
        for segment, _ in self.leaves:
            for field in text_fields:
                segment.lengths(field)
            for field in columns:
                segment.column(field)

    # -- evaluation: query -> {global docnum: score}

    def scores(self, query):
        if not isinstance(self.weighting, BM25F):
            raise Unsupported("only BM25F scoring is reproduced")
        if isinstance(query, Term):
            return self._term(query)
        if isinstance(query, Or):
            parts = sorted((self.scores(sub) for sub in query.subqueries), key=len, reverse=True)
            result = dict(parts[0]) if parts else {}
            for part in parts[1:]:
                get = result.get
                for doc, score in part.items():
                    result[doc] = get(doc, 0.0) + score
            return _boost(result, query.boost)
        if isinstance(query, And):
            positive = [q for q in query.subqueries if not isinstance(q, Not)]
            negative = [q.query for q in query.subqueries if isinstance(q, Not)]
            if not positive:
                raise Unsupported("AND of exclusions only")
            parts = sorted((self.scores(q) for q in positive), key=len)
            result = parts[0]
            for part in parts[1:]:
                result = {doc: score + part[doc] for doc, score in result.items() if doc in part}
            for q in negative:  # Whoosh scores a NOT clause of an AND as a match of weight 1.0
                excluded = self.scores(q)
                result = {doc: score + 1.0 for doc, score in result.items() if doc not in excluded}
            return _boost(result, query.boost)
        if isinstance(query, AndNot):
            excluded = self.scores(query.b)
            return {d: s for d, s in self.scores(query.a).items() if d not in excluded}
        raise Unsupported(type(query).__name__)

    def _term(self, query):
        key = (query.fieldname, query.text, query.boost)
        result = self._terms.get(key)
        if result is None:
            result = self._term_scores(query)
            self._cached += len(result)
            if self._cached > TERM_CACHE_POSTINGS:
                self._terms.clear()
                self._cached = len(result)
            self._terms[key] = result
        return result

    def _term_scores(self, query):
        searcher, schema = self.searcher, self.searcher.schema
        field = query.fieldname
        if field not in schema:
            return {}
        try:
            text = schema[field].to_bytes(query.text)
        except ValueError:
            return {}
        scorable = schema[field].scorable
        if scorable:  # the terms of whoosh.scoring.bm25, inlined below in the same order
            idf = searcher.idf(field, text)
            avgfl = searcher.avg_field_length(field) or 1
            b = self.weighting._field_B.get(field, self.weighting.B)
            k1 = self.weighting.K1
            k1_plus_1, one_minus_b = k1 + 1, 1 - b
        result = {}
        for segment, offset in self.leaves:
            reader = segment.reader
            if (field, text) not in reader:
                continue
            ids, weights = read_postings(reader.postings(field, text))
            deleted = segment.deleted
            if scorable:
                lengths = segment.lengths(field)
                for doc, weight in zip(ids, weights):
                    result[doc + offset] = idf * ((weight * k1_plus_1) /
                                                  (weight + k1 * (one_minus_b + b * lengths[doc] / avgfl)))
            else:
                result.update(zip([doc + offset for doc in ids], weights) if offset else zip(ids, weights))
            for doc in deleted:
                result.pop(doc + offset, None)
        return _boost(result, query.boost)

    # -- answers

    def column_value(self, field, docnum):
        for segment, offset in reversed(self.leaves):
            if docnum >= offset:
                return segment.column(field)[docnum - offset]
        return None

    def top(self, scores, count, sort_column=None):
        """The best `count` docnums: by score (ties by docnum, as Whoosh), or by a column descending."""
        if not scores or count <= 0:
            return []
        if sort_column:
            return heapq.nlargest(count, scores, key=lambda d: (self.column_value(sort_column, d) or "", -d))
        if len(scores) <= count:
            cut = min(scores.values())
        else:
            cut = heapq.nlargest(count, scores.values())[-1]
        best = [(-score, doc) for doc, score in scores.items() if score >= cut]
        best.sort()
        return [doc for _, doc in best[:count]]

    def facets(self, docnums, fields, keep=30):
        """Exact counts per value of each facet column over the given documents."""
        counts = {field: Counter() for field in fields}
        for segment, offset in self.leaves:
            end = offset + segment.doc_count
            local = [d - offset for d in docnums if offset <= d < end] if len(self.leaves) > 1 \
                else list(docnums)
            for field in fields:
                counts[field].update(map(segment.column(field).__getitem__, local))
        out = {}
        for field, counter in counts.items():
            counter.pop("", None)
            counter.pop(None, None)
            out[field] = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]
        return out


def _boost(result, boost):
    if boost == 1.0:
        return result
    return {doc: score * boost for doc, score in result.items()}
