"""Unsigned varints: 7 bits a byte, low group first, the high bit set on all but the last byte."""

_SMALL = [bytes((i,)) for i in range(128)]


def varint(n):
    if n < 128:
        return _SMALL[n]
    out = bytearray()
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(buf, i):
    """(value, index after it) of the varint at buf[i]."""
    b = buf[i]
    if b < 128:
        return b, i + 1
    n, shift = b & 127, 7
    while True:
        i += 1
        b = buf[i]
        n |= (b & 127) << shift
        if b < 128:
            return n, i + 1
        shift += 7
