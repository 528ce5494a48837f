"""``ImageCodec.checked``: which codecs verify an integrity check, and that the check holds."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from spic.codecs import CODECS, create_codec
from spic.errors import CodecError


def test_checked_flags():
    checked = {name for name in CODECS.names() if CODECS.get(name).checked}
    assert {"flif", "png"} <= checked
    assert not {"webp-lossless", "jxl", "bpg", "webp", "jpeg", "jpeg2000"} & checked


def test_png_mutants_never_decode_to_another_map():
    labels = np.random.default_rng(3).integers(0, 12, (48, 64), dtype=np.uint8)
    codec = create_codec("png")
    data = codec.encode(labels)
    rng = np.random.default_rng(4)
    refused = 0
    for i in range(1500):
        mutant = bytearray(data)
        if i % 3:
            for pos in rng.integers(0, len(data), int(rng.integers(1, 4))):
                mutant[pos] ^= 1 << int(rng.integers(0, 8))
        else:
            mutant = mutant[:int(rng.integers(0, len(data)))]
        try:
            out = codec.decode(bytes(mutant))
        except CodecError:
            refused += 1
            continue
        np.testing.assert_array_equal(out, labels)
    assert refused == 1500


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@pytest.mark.parametrize("change,match", [
    (lambda d: d + _chunk(b"tEXt", b"x"), "after the IEND"),
    (lambda d: d[:8] + _chunk(b"tEXt", b"x") + d[8:], "first chunk is not IHDR"),
    (lambda d: d[:-12], "no IEND"),
    (lambda d: d[:33] + struct.pack(">I", 2**31) + d[37:], "truncated"),
])
def test_png_structure_is_checked(change, match):
    data = create_codec("png").encode(np.zeros((4, 4), np.uint8))
    with pytest.raises(CodecError, match=match):
        create_codec("png").decode(change(data))


@pytest.mark.parametrize("offset,value,match", [
    (42, b"\x0f", "8-bit"),                       # Ssiz: a 16-bit component
    (43, b"\x02", "subsampling"),                 # XRsiz
    (24, struct.pack(">II", 1, 1), "3072 tiles"),  # XTsiz, YTsiz: 1x1 tiles
])
def test_jpeg2000_siz_is_checked_before_decoding(offset, value, match):
    data = bytearray(create_codec("jpeg2000").encode(np.zeros((48, 64), np.uint8)))
    data[offset:offset + len(value)] = value
    with pytest.raises(CodecError, match=match):
        create_codec("jpeg2000").decode(bytes(data))
