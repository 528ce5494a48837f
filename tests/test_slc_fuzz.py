"""Seeded fuzzing of SLC decoding: every mutant decodes to the exact map or raises a
CodecError, quickly; no corrupt map is ever returned."""

from __future__ import annotations

import time

import numpy as np
import pytest

from spic.codecs import create_codec
from spic.codecs.slc import read_header, reference_id
from spic.errors import CodecError
from spic.synthetic import synthetic_clip

MUTANTS_PER_STREAM = 1700
STREAMS = 12  # 20 400 mutants


def _streams() -> list[tuple[bytes, np.ndarray, np.ndarray | None]]:
    """(data, labels, reference) of intra and inter maps of several sizes and label sets."""
    rng = np.random.default_rng(77)
    codec = create_codec("slc", intra_fallback=False)
    out = []
    for seed, (w, h) in enumerate(((96, 72), (64, 48), (40, 30))):
        frames = [f.labels for f in synthetic_clip(3, width=w, height=h, seed=seed)]
        out.append((codec.encode(frames[0]), frames[0], None))
        out.append((codec.encode(frames[2], reference=frames[1]), frames[2], frames[1]))
    for shape, labels in (((33, 17), 3), ((20, 25), 40), ((1, 90), 4)):
        blocks = np.repeat(rng.integers(0, labels, (shape[0], shape[1] // 3 + 1), dtype=np.uint8), 3, 1)
        out.append((codec.encode(blocks[:, : shape[1]].copy()), blocks[:, : shape[1]], None))
        ref = np.roll(blocks[:, : shape[1]], 1, axis=0)
        out.append((codec.encode(blocks[:, : shape[1]].copy(), reference=ref), blocks[:, : shape[1]], ref))
    return out


def _mutant(data: bytes, rng: np.random.Generator, kind: int) -> bytes:
    buf, n = bytearray(data), len(data)
    if kind == 0:                                       # truncation
        return bytes(buf[: int(rng.integers(0, n))])
    if kind == 1:                                       # a few bit flips
        for pos in rng.integers(0, n, int(rng.integers(1, 5))):
            buf[pos] ^= 1 << int(rng.integers(0, 8))
    elif kind == 2:                                     # random tail
        start = int(rng.integers(0, n))
        buf[start:] = rng.integers(0, 256, n - start, dtype=np.uint8).tobytes()
    elif kind == 3:                                     # random bytes anywhere
        for pos in rng.integers(0, n, int(rng.integers(1, 9))):
            buf[pos] = int(rng.integers(0, 256))
    elif kind == 4:                                     # header fields
        buf[int(rng.integers(3, min(n, 16)))] = int(rng.integers(0, 256))
    elif kind == 5:                                     # a byte inserted or removed
        pos = int(rng.integers(0, n))
        buf[pos:pos + 1] = b"" if rng.integers(0, 2) else bytes([buf[pos], int(rng.integers(0, 256))])
    else:                                               # bytes appended
        buf += rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
    return bytes(buf)


@pytest.mark.timeout(120)
def test_mutants_decode_exactly_or_fail_cleanly():
    rng = np.random.default_rng(2024)
    codec = create_codec("slc")
    outcomes, slowest, total = {"error": 0, "exact": 0}, 0.0, 0
    start = time.process_time()
    for data, labels, reference in _streams():
        assert read_header(data).inter == (reference is not None)
        max_pixels = 4 * labels.size  # a forged size above this is refused before allocating
        for i in range(MUTANTS_PER_STREAM):
            mutant = _mutant(data, rng, i % 7)
            began = time.perf_counter()
            try:
                decoded = codec.decode(mutant, max_pixels=max_pixels, reference=reference)
            except CodecError:
                outcomes["error"] += 1
            else:
                # the checksum guarantees that whatever decodes is the original map
                np.testing.assert_array_equal(decoded, labels)
                outcomes["exact"] += 1
            slowest = max(slowest, time.perf_counter() - began)
            total += 1
    assert total >= 20_000
    assert outcomes["error"] > 0.95 * total, outcomes
    assert slowest < 1.0, slowest  # no mutant hangs the decoder
    assert time.process_time() - start < 60, outcomes  # CPU seconds: robust on a shared machine


def test_forged_headers_over_random_payloads():
    """Well-formed intra and inter headers (the right reference id) over random payloads,
    and random bytes alone: never a map."""
    rng = np.random.default_rng(5)
    codec = create_codec("slc")
    reference = np.zeros((30, 40), np.uint8)
    inter_id = reference_id(reference).to_bytes(4, "little")
    for i, size in enumerate(rng.integers(0, 300, 400)):
        payload = rng.bytes(int(size))
        header = b"SLC\x01" + bytes([i % 2, 40, 30]) + (inter_id if i % 2 else b"") + rng.bytes(4)
        for data in (payload, header + payload):
            with pytest.raises(CodecError):
                codec.decode(data, max_pixels=10_000, reference=reference)
