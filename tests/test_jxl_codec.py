"""JPEG XL lossless codec (imagecodecs): round trips, declared-size and animation checks, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from spic.codecs import create_codec
from spic.codecs.jxl import JxlHeader, read_header
from spic.errors import CodecError, ImageTooLargeError


@pytest.mark.parametrize("shape", [(1, 1), (90, 120), (360, 480), (7, 1000), (64, 85, 3)])
def test_lossless_round_trip_and_size_header(shape):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 12, shape, dtype=np.uint8)
    data = create_codec("jxl", effort=3).encode(image)
    assert read_header(data) == JxlHeader(shape[1], shape[0], animated=False)
    np.testing.assert_array_equal(create_codec("jxl").decode(data), image)


def test_default_effort_and_label_map_size(camvid_dir):
    from PIL import Image

    labels = np.array(Image.open(sorted((camvid_dir / "valannot").glob("*.png"))[0]))
    codec = create_codec("jxl")
    assert codec.effort == 9
    data = codec.encode(labels)
    assert 8 * len(data) / labels.size < 0.3
    np.testing.assert_array_equal(codec.decode(data), labels)


def test_bad_input():
    codec = create_codec("jxl", effort=2)
    data = codec.encode(np.zeros((300, 400), np.uint8))
    with pytest.raises(ImageTooLargeError):
        codec.decode(data, max_pixels=1000)
    for bad in (b"", b"not jxl", data[:5], data[:2] + bytes(30)):
        with pytest.raises(CodecError):
            codec.decode(bad)
    with pytest.raises(CodecError):
        create_codec("jxl", effort=0)
    with pytest.raises(CodecError):
        codec.encode(np.zeros((4, 4), np.float32))


def test_mutated_streams_raise_codec_error():
    rng = np.random.default_rng(9)
    codec = create_codec("jxl", effort=3)
    base = codec.encode(rng.integers(0, 12, (90, 120), dtype=np.uint8))
    for i in range(60):
        data = bytearray(base)
        if i % 2:
            data = data[: int(rng.integers(0, len(data)))]
        else:
            for pos in rng.integers(0, len(data), 3):
                data[pos] ^= 1 << int(rng.integers(0, 8))
        try:
            out = codec.decode(bytes(data), max_pixels=10**6)
        except CodecError:
            continue
        assert out.dtype == np.uint8 and out.shape == (90, 120)


def test_animations_are_refused_from_the_header():
    """A 1000-frame animation is refused before any frame is decoded."""
    import time

    import imagecodecs

    frames = np.random.default_rng(2).integers(0, 12, (1000, 16, 16), dtype=np.uint8)
    data = bytes(imagecodecs.jpegxl_encode(frames, lossless=True, effort=1, photometric="gray"))
    assert read_header(data) == JxlHeader(16, 16, animated=True)
    start = time.perf_counter()
    with pytest.raises(CodecError, match="animations"):
        create_codec("jxl").decode(data)
    assert time.perf_counter() - start < 0.1
