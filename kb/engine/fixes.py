"""Corrections to whoosh-reloaded 2.7, applied by apply() (kb.engine calls it once, on import).

Opening a segment copies each of its compound sub-files into memory:
`BufferFile.__init__` wraps the mmap'd slice in `BytesIO(buf)`, which copies
it, although nearly every read goes through `get()`, which slices the buffer
directly.  At 140,000 documents that costs about 0.15 s, and memory the size of
the postings, on every searcher opened (server start, every index update).
Here no copy is made: sequential reads of a mapped file go through
kb/engine/views.py's ViewFile, which slices the same buffer.

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


def _file(self):
    stream = self.__dict__.get("_stream")
    if stream is None:  # a mapped view is read in slices (kb/engine/views.py), never copied whole
        from kb.engine.views import ViewFile

        view = isinstance(self._buf, memoryview)
        stream = self.__dict__["_stream"] = ViewFile(self._buf) if view else BytesIO(self._buf)
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
