"""SemanticEncoder -> SemanticDecoder: sizes, exact SSMs, bad payloads (ROS-free core)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from spic.datasets import read_labels, read_rgb
from spic.errors import CodecError, FrameTooLargeError, ImageTooLargeError, PayloadError
from spic.image_ops import area_downscale, coarse_size
from spic.pipeline import DecoderConfig, EncoderConfig, SemanticDecoder, SemanticEncoder

ENCODER = EncoderConfig(ssm_codec="png", coarse_codec="webp", coarse_quality=80)
DECODER = DecoderConfig(reconstructor="bicubic")  # plumbing tests: the fast reconstructor


@pytest.mark.parametrize("h,w", [(1, 1), (1, 5), (3, 2), (4, 4), (37, 53), (90, 121), (360, 480)])
def test_round_trip_any_size(h, w):
    rng = np.random.default_rng(h * 1000 + w)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    ssm = rng.integers(0, 12, (h, w), dtype=np.uint8)
    payload = SemanticEncoder(ENCODER).encode(rgb, ssm=ssm, label_set="camvid11")
    assert (payload.coarse_width, payload.coarse_height) == coarse_size(w, h, 4) == (
        -(-w // 4), -(-h // 4))
    frame = SemanticDecoder(DECODER).decode(payload)
    assert frame.rgb.shape == rgb.shape and frame.rgb.dtype == np.uint8
    np.testing.assert_array_equal(frame.ssm, ssm)


def test_area_downscale_handles_remainders_explicitly():
    image = np.arange(5 * 6, dtype=np.uint8).reshape(5, 6)
    coarse = area_downscale(image, 4)
    assert coarse.shape == (2, 2)
    assert coarse[0, 0] == (int(image[:4, :4].sum()) + 8) // 16  # rounded half up
    # the last partial block is padded by edge replication before averaging
    padded = np.pad(image, ((0, 3), (0, 2)), mode="edge")
    assert coarse[1, 1] == int(padded[4:8, 4:8].sum() + 8) // 16


def test_camvid_frame_with_onnx_segmenter(camvid_dir, models_dir):
    path = sorted((camvid_dir / "val").glob("*.png"))[5]
    config = dataclasses.replace(ENCODER, segmenter="onnx",
                                 segmenter_options={"model": str(models_dir / "espnet_camvid.onnx")})
    encoder = SemanticEncoder(config)
    payload = encoder.encode(read_rgb(path))
    assert payload.label_set == "camvid11" and payload.num_classes == 11
    assert set(encoder.timings) == {"segment", "ssm_encode", "coarse_encode"}
    frame = SemanticDecoder(DECODER).decode(payload)
    truth = read_labels(camvid_dir / "valannot" / path.name)
    keep = truth != 11
    assert np.mean(frame.ssm[keep] == truth[keep]) > 0.6
    assert payload.bpp()["total"] < 1.0


@pytest.fixture(scope="module")
def payload():
    rgb = np.random.default_rng(0).integers(0, 256, (45, 61, 3), dtype=np.uint8)
    return SemanticEncoder(ENCODER).encode(rgb, ssm=np.full((45, 61), 2, np.uint8),
                                           label_set="camvid11")


@pytest.mark.parametrize("change,error,match", [
    ({"ssm_codec": "nope"}, PayloadError, "unknown codec"),
    ({"label_set": "nope"}, ValueError, "unknown label set"),
    ({"num_classes": 19}, PayloadError, "classes"),
    ({"ssm_data": b"garbage"}, CodecError, "png"),
    ({"coarse_data": b""}, CodecError, "webp"),
    ({"width": 65, "coarse_width": 17}, PayloadError, "SSM is"),
    ({"width": 57, "coarse_width": 15}, FrameTooLargeError, "larger image"),  # before allocating
    ({"coarse_width": 17}, PayloadError, "coarse size"),
])
def test_bad_payloads_raise_clear_errors(payload, change, error, match):
    with pytest.raises(error, match=match):
        SemanticDecoder(DECODER).decode(dataclasses.replace(payload, **change))


def test_pixel_limit_is_checked_before_decoding(payload):
    huge = dataclasses.replace(payload, width=100_000, height=100_000, coarse_width=25_000,
                               coarse_height=25_000)
    with pytest.raises(FrameTooLargeError, match="exceeds"):
        SemanticDecoder(DECODER).decode(huge)
    small_limit = SemanticDecoder(dataclasses.replace(DECODER, max_pixels=1000))
    with pytest.raises(FrameTooLargeError, match="exceeds"):
        small_limit.decode(payload)


def test_codec_refuses_declared_size_above_limit(payload):
    from spic.codecs import create_codec
    with pytest.raises(ImageTooLargeError):
        create_codec("png").decode(payload.ssm_data, max_pixels=100)
