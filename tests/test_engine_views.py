"""ViewFile reads a memory view as a file would, without copying it whole."""

import io
import mmap
import pickle

from kb.engine.views import ViewFile


def test_reads_like_bytesio(tmp_path):
    data = b"first line\nsecond\n" + pickle.dumps({"a": [1, 2, 3]}) + b"\x00" * 10_000 + b"tail\nend"
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        view = memoryview(mapped)
        ours, theirs = ViewFile(view[5:]), io.BytesIO(data[5:])
        for step in ("readline", "readline", "pickle", "tell", "read4", "seek_end", "readline", "read"):
            if step == "pickle":
                assert pickle.load(ours) == pickle.load(theirs)
            elif step == "read4":
                assert ours.read(4) == theirs.read(4)
            elif step == "seek_end":
                assert ours.seek(-8, 2) == theirs.seek(-8, 2)
            elif step == "tell":
                assert ours.tell() == theirs.tell()
            else:
                assert getattr(ours, step)() == getattr(theirs, step)()
        assert ours.read() == b"" and ours.readline() == b""
        ours.seek(0)
        buffer = bytearray(6)
        assert ours.readinto(buffer) == 6 and bytes(buffer) == data[5:11]
        ours.close()
        del view
