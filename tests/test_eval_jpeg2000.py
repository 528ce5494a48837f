"""The jpeg2000 codec (OpenJPEG via imagecodecs): round trip, rate control, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from spic.codecs import create_codec
from spic.errors import CodecError, ImageTooLargeError


def _image(h: int = 48, w: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 4 % 256, yy * 5 % 256, (xx + yy) * 3 % 256], -1).astype(np.uint8)


def test_round_trip_and_rate_grows_with_target_psnr():
    image = _image()
    sizes = []
    for quality in (24, 32, 45):
        codec = create_codec("jpeg2000", quality=quality)
        data = codec.encode(image)
        out = codec.decode(data)
        assert out.shape == image.shape and out.dtype == np.uint8
        sizes.append(len(data))
    assert sizes[0] < sizes[1] < sizes[2]
    err = np.mean((out.astype(float) - image) ** 2)
    assert 10 * np.log10(255 ** 2 / max(err, 1e-9)) > 35


def test_gray_round_trip():
    gray = _image()[:, :, 0].copy()
    codec = create_codec("jpeg2000", quality=40)
    assert codec.decode(codec.encode(gray)).shape == gray.shape


def test_declared_size_is_checked_before_decoding():
    codec = create_codec("jpeg2000", quality=30)
    data = codec.encode(_image())
    with pytest.raises(ImageTooLargeError):
        codec.decode(data, max_pixels=100)


@pytest.mark.parametrize("data", [b"", b"\xff\x4f\xff\x51", b"not a codestream" * 4])
def test_corrupt_data_raises_codec_error(data):
    with pytest.raises(CodecError):
        create_codec("jpeg2000").decode(data)


def test_truncated_codestream_raises_codec_error():
    data = create_codec("jpeg2000", quality=40).encode(_image())
    with pytest.raises(CodecError):
        create_codec("jpeg2000").decode(data[: len(data) // 3])


def test_bad_quality_and_input():
    with pytest.raises(CodecError):
        create_codec("jpeg2000", quality=0)
    with pytest.raises(CodecError):
        create_codec("jpeg2000").encode(np.zeros((4, 4, 2), np.uint8))
