"""A correction to whoosh-reloaded 2.7, applied by apply() (kb.engine calls it once, on import).

Opening a segment copies each of its compound sub-files into memory:
`BufferFile.__init__` wraps the mmap'd slice in `BytesIO(buf)`, which copies
it, although nearly every read goes through `get()`, which slices the buffer
directly.  At 140,000 documents that costs about 0.15 s, and memory the size of
the postings, on every searcher opened (server start, every index update).
Here the BytesIO is made only when something reads the file sequentially.
The rest of Whoosh is used as shipped.
"""

from io import BytesIO

from whoosh.filedb.structfile import BufferFile


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


def apply():
    """Patch BufferFile once; calling it again changes nothing."""
    if not getattr(BufferFile, "_kb_lazy", False):
        BufferFile.__init__ = _init
        BufferFile.file = property(_file)
        BufferFile.close = _close
        BufferFile._kb_lazy = True
