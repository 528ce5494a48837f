"""Bit-level reading and writing: MSB-first fields, Exp-Golomb, BPG ue7, emulation prevention."""

from __future__ import annotations

from spic.errors import CodecError


class BitReader:
    """Reads MSB-first bit fields from bytes; raises :class:`CodecError` past the end."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._size = 8 * len(data)
        self.pos = 0

    def bits(self, n: int) -> int:
        """An unsigned ``n``-bit field, u(n)."""
        if self.pos + n > self._size:
            raise CodecError("bpg: bit field runs past the end of its data")
        self.pos += n
        return (self._value >> (self._size - self.pos)) & ((1 << n) - 1)

    def flag(self) -> bool:
        return bool(self.bits(1))

    def ue(self) -> int:
        """A 0-th order Exp-Golomb code, ue(v), of at most 32 leading zeros."""
        zeros = 0
        while not self.bits(1):
            zeros += 1
            if zeros > 31:
                raise CodecError("bpg: Exp-Golomb code too long")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        """A signed Exp-Golomb code, se(v)."""
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)

    @property
    def bits_left(self) -> int:
        return self._size - self.pos


class BitWriter:
    """Accumulates MSB-first bit fields; :meth:`to_bytes` pads the last byte with zeros."""

    def __init__(self) -> None:
        self._value = 0
        self.size = 0

    def bits(self, n: int, value: int) -> None:
        if value < 0 or value >> n:
            raise ValueError(f"value {value} does not fit in {n} bits")
        self._value = (self._value << n) | value
        self.size += n

    def flag(self, value: bool) -> None:
        self.bits(1, int(bool(value)))

    def ue(self, value: int) -> None:
        code = value + 1
        length = code.bit_length()
        self.bits(2 * length - 1, code)

    def rbsp_trailing_bits(self) -> None:
        """The stop bit and zero bits up to the next byte boundary."""
        self.bits(1, 1)
        self.bits(-self.size % 8, 0)

    def to_bytes(self) -> bytes:
        pad = -self.size % 8
        return (self._value << pad).to_bytes((self.size + pad) // 8, "big")


def read_ue7(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """Decode BPG's ue7(32) at ``pos``; returns ``(value, new_pos)``.

    Non-canonical encodings (a leading 0x80 byte) and values above 32 bits are refused.
    """
    if pos >= len(data):
        raise CodecError(f"bpg: truncated header while reading {what}")
    if data[pos] == 0x80:
        raise CodecError(f"bpg: non-canonical ue7 encoding of {what}")
    value = 0
    for i in range(5):
        if pos + i >= len(data):
            raise CodecError(f"bpg: truncated header while reading {what}")
        byte = data[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            if value >> 32:
                raise CodecError(f"bpg: {what} does not fit in 32 bits")
            return value, pos + i + 1
    raise CodecError(f"bpg: ue7 encoding of {what} is longer than 5 bytes")


def write_ue7(value: int) -> bytes:
    """Encode ``value`` (0 <= value < 2**32) as BPG's shortest ue7."""
    if not 0 <= value < 1 << 32:
        raise ValueError(f"ue7 value out of range: {value}")
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def add_emulation_prevention(rbsp: bytes) -> bytes:
    """Insert 0x03 after every 0x00 0x00 that precedes a byte <= 0x03 (HEVC 7.4.2)."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def remove_emulation_prevention(nal: bytes) -> bytes:
    """Drop the 0x03 emulation-prevention bytes of a NAL unit payload."""
    if b"\x00\x00\x03" not in nal:
        return nal
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)
