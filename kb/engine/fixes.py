"""Corrections to whoosh-reloaded 2.7, applied by apply() (kb.engine calls it once, on import).

Opening a segment copies each of its compound sub-files into memory:
`BufferFile.__init__` wraps the mmap'd slice in `BytesIO(buf)`, which copies
it, although nearly every read goes through `get()`, which slices the buffer
directly.  At 140,000 documents that costs about 0.15 s, and memory the size of
the postings, on every searcher opened (server start, every index update).
Here no copy is made: sequential reads (a terms table's header and extras on
opening, a stored pickle) go through a small reader over the same buffer.

Inlined postings (a short postings list kept in the term's entry): whoosh3's
postings writer calls `terminfo.set_inline(...)`, a method W3TermInfo names
`set_inlined`, so any W3Codec(inlinelimit > 1) fails on its first short list
(the default, 1, never inlines); and a ListMatcher over postings without values
(ID fields) answers value() with "" where whoosh3's block reader gives None, which
Whoosh's own merge then rejects.  kb writes inlined postings itself
(kb.engine.segwriter); these two corrections make Whoosh's writer and merges
handle them as well.  The rest of Whoosh is used as shipped.
"""

from io import BytesIO

from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.structfile import BufferFile
from whoosh.matching.mcore import ListMatcher


def _init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


class _View:
    """A read-only file over a buffer, reading by slices (BytesIO(buf) would copy the buffer)."""

    def __init__(self, buf):
        self._buf = memoryview(buf).cast("B") if not isinstance(buf, bytes) else buf
        self._pos = 0

    def read(self, size=-1):
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        data = bytes(self._buf[self._pos:end])
        self._pos = max(self._pos, end)
        return data

    def readinto(self, target):
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def readline(self, size=-1):
        start = self._pos
        limit = len(self._buf) if size is None or size < 0 else min(len(self._buf), start + size)
        while start < limit:  # look for the newline a chunk at a time, never copying the rest
            found = bytes(self._buf[start:min(limit, start + 256)]).find(b"\n")
            if found >= 0:
                return self.read(start + found + 1 - self._pos)
            start += 256
        return self.read(limit - self._pos)

    def __iter__(self):
        return iter(BytesIO(bytes(self._buf[self._pos:])))

    def seek(self, position, whence=0):
        self._pos = max(0, position if whence == 0 else self._pos + position if whence == 1
                        else len(self._buf) + position)
        return self._pos

    def tell(self):
        return self._pos

    def close(self):
        self._buf = b""


def _file(self):
    stream = self.__dict__.get("_stream")
    if stream is None:
        stream = self.__dict__["_stream"] = _View(self._buf)
    return stream


def _close(self):
    if self.is_closed:
        raise Exception("This file is already closed")
    if self.onclose:
        self.onclose(self)
    stream = self.__dict__.get("_stream")
    if stream is not None:
        stream.close()
    self.is_closed = True


_list_value = ListMatcher.value


def _value(self):
    return _list_value(self) if self._values else None


def apply():
    """Patch BufferFile, W3TermInfo and ListMatcher once; calling it again changes nothing."""
    if not getattr(BufferFile, "_kb_lazy", False):
        BufferFile.__init__ = _init
        BufferFile.file = property(_file)
        BufferFile.close = _close
        BufferFile._kb_lazy = True
    if not hasattr(W3TermInfo, "set_inline"):
        W3TermInfo.set_inline = W3TermInfo.set_inlined
    if not getattr(ListMatcher, "_kb_none_value", False):
        ListMatcher.value = _value
        ListMatcher._kb_none_value = True
