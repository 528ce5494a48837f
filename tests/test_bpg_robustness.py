"""BPG decoder on bad input: clear ValueErrors, never a crash, hang or huge allocation."""

from __future__ import annotations

import time

import numpy as np
import pytest

from spic.codecs import create_codec
from spic.codecs.bpg.bitstream import write_ue7
from spic.errors import CodecError, ImageTooLargeError

MAX_PIXELS = 1_000_000


@pytest.fixture(scope="module")
def golden_bpg(golden_dir) -> list[bytes]:
    files = sorted((golden_dir / "bpg").glob("*.bpg"))
    assert files
    return [f.read_bytes() for f in files]


@pytest.fixture(scope="module")
def codec():
    return create_codec("bpg")


def _header(width: int, height: int, length: int = 0) -> bytes:
    return b"BPG\xfb\x20\x00" + write_ue7(width) + write_ue7(height) + write_ue7(length)


def test_truncated_files_raise(codec, golden_bpg):
    data = golden_bpg[0]
    for cut in [0, 3, 5, 6, 7, 8, 10, 12, len(data) // 2, len(data) - 1]:
        truncated = data[:cut]
        if cut >= 12:  # make the declared length explicit so truncation is detectable
            truncated = _header(120, 90, len(data) - 9) + data[9:cut]
        with pytest.raises(CodecError):
            codec.decode(truncated)


def test_wrong_magic_raises(codec, golden_bpg):
    with pytest.raises(CodecError, match="magic"):
        codec.decode(b"\x89PNG" + golden_bpg[0][4:])


def test_absurd_dimensions_are_refused_before_decoding(codec, golden_bpg):
    body = golden_bpg[0][9:]
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError):
        codec.decode(_header(2**32 - 1, 2**32 - 1) + body)
    with pytest.raises(ImageTooLargeError):
        codec.decode(_header(20_000, 20_000) + body, max_pixels=MAX_PIXELS)
    assert time.perf_counter() - start < 0.5
    with pytest.raises(CodecError):
        codec.decode(_header(0, 90) + body)
    with pytest.raises(CodecError, match="non-canonical|32 bits|longer"):
        codec.decode(b"BPG\xfb\x20\x00\x80\x78" + body)


def test_length_fields_that_disagree_with_the_stream_raise(codec, golden_bpg):
    data = golden_bpg[0]
    body = data[9:]  # hevc_header + data of a 120x90 picture
    with pytest.raises(CodecError, match="truncated"):
        codec.decode(_header(120, 90, len(body) + 10) + body)
    with pytest.raises(CodecError, match="hevc_header"):  # hevc_header_length too large
        codec.decode(data[:9] + write_ue7(len(body) + 5) + body[1:])
    with pytest.raises(CodecError, match="trailing bits|block sizes|past the end"):
        codec.decode(data[:9] + bytes([body[0] + 1]) + body[1:])
    with pytest.raises(CodecError):  # picture data cut inside the PPS
        codec.decode(_header(120, 90, 6) + body)


def test_picture_sizes_that_disagree_with_the_stream_stay_bounded(codec, golden_bpg):
    """The coded size is only in the (dropped) SPS, so like bpgdec we cannot always tell;
    the result is a refusal or an image of the declared size, quickly."""
    body = golden_bpg[0][9:]
    start = time.perf_counter()
    for width, height in [(1000, 900), (120, 900), (4000, 90), (60, 45), (7, 3)]:
        try:
            image = codec.decode(_header(width, height) + body, max_pixels=MAX_PIXELS)
        except CodecError:
            continue
        assert image.shape == (height, width, 3)
    assert time.perf_counter() - start < 5


@pytest.mark.timeout(60)
def test_random_bytes_after_a_valid_header_raise(codec):
    rng = np.random.default_rng(1)
    for _ in range(300):
        junk = rng.integers(0, 256, int(rng.integers(1, 400)), dtype=np.uint8).tobytes()
        with pytest.raises(CodecError):
            codec.decode(_header(120, 90) + junk)


@pytest.mark.timeout(120)
def test_fuzzed_golden_files_never_crash(codec, golden_bpg):
    """A few thousand mutations of real bpgenc files: a decoded image of the declared
    shape or a CodecError, nothing else, well under a minute."""
    rng = np.random.default_rng(2024)
    start = time.perf_counter()
    outcomes = {"decoded": 0, "refused": 0}
    for i in range(3000):
        data = bytearray(golden_bpg[i % len(golden_bpg)])
        kind = i % 4
        if kind == 0:  # flip a few bits anywhere
            for pos in rng.integers(0, len(data), int(rng.integers(1, 4))):
                data[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:  # overwrite a header byte
            data[int(rng.integers(4, 16))] = int(rng.integers(0, 256))
        elif kind == 2:  # truncate
            data = data[:int(rng.integers(0, len(data)))]
        else:  # insert random bytes
            pos = int(rng.integers(0, len(data)))
            data[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        try:
            image = codec.decode(bytes(data), max_pixels=MAX_PIXELS)
        except CodecError:
            outcomes["refused"] += 1
            continue
        assert image.dtype == np.uint8 and image.ndim in (2, 3)
        assert image.shape[0] * image.shape[1] <= MAX_PIXELS
        outcomes["decoded"] += 1
    assert time.perf_counter() - start < 60
    assert outcomes["refused"] > 500, outcomes
