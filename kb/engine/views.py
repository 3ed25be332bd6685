"""A read-only file over a memory view: sequential reads of a mapped segment file without a copy.

Whoosh reads some segment sub-files sequentially (the term index's header when a segment opens,
pickles, TOC entries) through a BytesIO made from the whole sub-file, which copies it: the term
index alone is 40 MB at 3,500 laws, and the copy touches every page of the mapping, so a search
process holds it twice.  ViewFile reads the same bytes by slicing the view, only those asked for.
"""


class ViewFile:
    def __init__(self, view):
        self._view = memoryview(view).cast("B") if not isinstance(view, bytes) else memoryview(view)
        self._pos = 0
        self.closed = False

    def read(self, size=-1):
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos : end])
        self._pos = max(self._pos, end)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        start = pos = self._pos
        while pos < end:  # look for the newline a chunk at a time
            chunk = bytes(self._view[pos : min(end, pos + 4096)])
            found = chunk.find(b"\n")
            if found >= 0:
                pos += found + 1
                break
            pos += len(chunk)
        self._pos = pos
        return bytes(self._view[start:pos])

    def seek(self, offset, whence=0):
        base = {0: 0, 1: self._pos, 2: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self):
        return self._pos

    def seekable(self):
        return True

    def readable(self):
        return True

    def flush(self):
        pass

    def close(self):
        self.closed = True
        self._view = memoryview(b"")

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line
