"""Mutated reference files: every outcome is exact pixels or a CodecError, quickly."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from spic.codecs import create_codec
from spic.errors import CodecError

MAX_PIXELS = 4_000_000


def _mutants(data: bytes, rng: np.random.Generator, count: int):
    n = len(data)
    for i in range(count):
        buf = bytearray(data)
        kind = i % 4
        if kind == 0:                                   # truncation
            buf = buf[: int(rng.integers(0, n))]
        elif kind == 1:                                 # a few bit flips
            for pos in rng.integers(0, n, int(rng.integers(1, 5))):
                buf[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == 2:                                 # random tail after the magic
            start = int(rng.integers(6, n))
            buf[start:] = rng.integers(0, 256, n - start, dtype=np.uint8).tobytes()
        else:                                           # random bytes anywhere
            for pos in rng.integers(0, n, int(rng.integers(1, 9))):
                buf[pos] = int(rng.integers(0, 256))
        yield bytes(buf)


@pytest.mark.timeout(120)
def test_mutated_golden_files_never_crash(golden_dir):
    rng = np.random.default_rng(2024)
    codec = create_codec("flif")
    files = sorted((golden_dir / "flif").glob("*_labels.*.flif")) + sorted((golden_dir / "flif").glob("*_rgb.*.flif"))[:2]
    assert len(files) > 2
    start, outcomes, total = time.process_time(), {"error": 0, "exact": 0}, 0
    for path in files:
        data = path.read_bytes()
        kind = "_rgb" if "_rgb." in path.name else "_labels"
        source = golden_dir / "src" / (path.name.split(kind)[0] + kind + "480x360.png")
        expected = np.array(Image.open(source))
        count = 150 if kind == "_labels" else 40
        total += count
        for mutant in _mutants(data, rng, count):
            try:
                decoded = codec.decode(mutant, max_pixels=MAX_PIXELS)
            except CodecError:
                outcomes["error"] += 1
                continue
            # the checksum guarantees that whatever decodes is the original image
            np.testing.assert_array_equal(decoded, expected)
            outcomes["exact"] += 1
    assert outcomes["error"] > 0.9 * total
    assert time.process_time() - start < 60, outcomes  # CPU seconds: robust on a shared machine


def test_random_bytes_and_forged_headers():
    rng = np.random.default_rng(5)
    codec = create_codec("flif")
    for i in range(300):
        body = rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes()
        header = b"FLIF" + bytes([0x31 if i % 2 else 0x41, 0x31, 0x83, 0x5F, 0x82, 0x67, 0])
        for data in (body, header + body):
            with pytest.raises(CodecError):
                codec.decode(data, max_pixels=MAX_PIXELS)
