"""Whoosh's matcher interface over a kb.engine.extents extent (phrases, Whoosh's queries, merges).

The extent is decoded once into lists (ids, weights) and a lazily sliced values sequence, then
walked as whoosh.matching.ListMatcher walks its lists; skip_to bisects instead of stepping, and the
whole list counts as one block whose quality comes from the term info (whoosh3's matcher keeps
one a 128-posting block; either way only the skipping differs, never a posting or a score).
"""

import threading
from bisect import bisect_left

from whoosh.matching import ListMatcher, ReadTooFar

from kb.engine import extents

CACHED = 8  # decoded extents kept per segment (one search asks for a phrase's terms several times)
CACHED_POSTINGS = 100_000  # and postings in all, at most (about 7 MB of Python lists)


class Decoded:
    """The last few extents of one segment decoded, by offset (matchers never change the lists they
    walk, so they share them); safe to use from several threads."""

    def __init__(self):
        self._entries = {}  # offset -> (ids, weights, values), the most recent last
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    def postings(self, postfile, offset, length):
        with self._lock:
            decoded = self._entries.pop(offset, None)
        if decoded is None:
            decoded = extents.postings(postfile.get(offset, length))
        with self._lock:
            entries = self._entries
            entries[offset] = decoded
            total = sum(len(ids) for ids, _, _ in entries.values())
            while len(entries) > 1 and (len(entries) > CACHED or total > CACHED_POSTINGS):
                total -= len(entries.pop(next(iter(entries)))[0])
        return decoded

    def sizes(self):
        with self._lock:
            return [len(ids) for ids, _, _ in self._entries.values()]


def extent_matcher(postfile, offset, length, format_, scorer, term, terminfo, cache=None):
    """An ExtentMatcher over the extent at `offset`; `cache`: the segment's Decoded, or None."""
    if cache is None:
        ids, weights, values = extents.postings(postfile.get(offset, length))
    else:
        ids, weights, values = cache.postings(postfile, offset, length)
    if format_.fixed_value_size() == 0:
        values = None  # as whoosh3's blocks: no values
    return ExtentMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)


class ExtentMatcher(ListMatcher):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        values = self._values  # an extents.Values, read here without its per-item checks
        self._data, self._starts = (None, None) if values is None else (values._data, values._starts)

    def value(self):
        starts = self._starts
        if starts is None:
            return None  # as whoosh3's blocks without values
        i = self._i
        return self._data[starts[i] : starts[i + 1]]

    def skip_to(self, id):
        if not self.is_active():
            raise ReadTooFar
        if id <= self._ids[self._i]:
            return
        self._i = bisect_left(self._ids, id, self._i)

    def copy(self):
        return self.__class__(
            self._ids,
            self._weights,
            self._values,
            self._format,
            self._scorer,
            self._i,
            self._all_weights,
            self._term,
            self._terminfo,
        )

    def block_max_weight(self):
        return self._terminfo.max_weight()

    def skip_to_quality(self, minquality):
        if self.block_quality() <= minquality:  # one block: the whole list goes
            self._i = len(self._ids)
            return 1
        return 0
