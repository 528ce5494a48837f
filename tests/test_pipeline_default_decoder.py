"""The remote side's default reconstructor is SCSRDM; frames its model refuses (another label
set, downscale or coarse codec) fall back to bicubic, the default fallback."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from spic.errors import UnsupportedInputError
from spic.pipeline import DecoderConfig, EncoderConfig, SemanticDecoder, SemanticEncoder
from spic.reconstruction.scsrdm import ScsrdmReconstructor
from spic.synthetic import synthetic_clip

ENCODER = EncoderConfig()  # the defaults: FLIF map, BPG q35 coarse image
FAST: dict = {}  # the default mode is already the one-pass student


@pytest.fixture(scope="module")
def frame():
    return synthetic_clip(1, 64, 48)[0]


@pytest.fixture(scope="module")
def decoder() -> SemanticDecoder:
    """The default decoder: SCSRDM with the bicubic fallback."""
    return SemanticDecoder(DecoderConfig(reconstructor_options=FAST))


def _encode(frame, label_set: str = "camvid11", downscale: int = 4, **coarse):
    encoder = SemanticEncoder(dataclasses.replace(ENCODER, downscale=downscale, **coarse))
    return encoder.encode(frame.rgb, ssm=frame.labels, label_set=label_set)


def _bicubic(payload) -> np.ndarray:
    return SemanticDecoder(DecoderConfig(reconstructor="bicubic")).decode(payload).rgb


def test_default_decoder_is_scsrdm_with_bicubic_fallback():
    config = DecoderConfig()
    assert config.reconstructor == "scsrdm" and config.fallback == "bicubic"


def test_default_mode_is_the_one_pass_student(decoder):
    assert decoder.reconstructor.mode == "fast"
    assert decoder.reconstructor.sampling.num_steps == 1
    assert decoder.reconstructor.card.unet.refine_channels > 0  # the distilled weights


def test_camvid_frames_are_rebuilt_by_scsrdm(decoder, frame):
    assert isinstance(decoder.reconstructor, ScsrdmReconstructor)
    payload = _encode(frame)
    out = decoder.decode(payload)
    assert out.fallback_reason is None
    assert out.rgb.shape == frame.rgb.shape and out.rgb.dtype == np.uint8
    assert np.abs(out.rgb.astype(int) - _bicubic(payload)).mean() > 0.5  # not the baseline
    assert np.abs(out.rgb.astype(int) - frame.rgb).mean() < 40  # a plausible rebuild


@pytest.mark.parametrize("label_set,downscale,coarse,reason", [
    ("cityscapes19", 4, {}, "cityscapes19"), ("camvid11", 2, {}, "1/2"),
    ("camvid11", 4, {"coarse_codec": "webp", "coarse_quality": 80}, "trained on bpg q35 coarse "
     "images, got webp"),
])
def test_frames_the_model_refuses_fall_back_to_bicubic(decoder, frame, label_set, downscale,
                                                       coarse, reason):
    payload = _encode(frame, label_set, downscale, **coarse)
    out = decoder.decode(payload)
    assert out.fallback_reason is not None and reason in out.fallback_reason
    np.testing.assert_array_equal(out.rgb, _bicubic(payload))
    np.testing.assert_array_equal(out.ssm, frame.labels)


def test_other_bpg_qualities_are_rebuilt_by_scsrdm(decoder, frame):
    """Rate control varies the BPG quality: the model takes any, it was trained at q35."""
    for quality in (28, 45):
        out = decoder.decode(_encode(frame, coarse_quality=quality))
        assert out.fallback_reason is None


def test_without_fallback_a_refused_frame_raises(frame):
    strict = SemanticDecoder(DecoderConfig(reconstructor_options=FAST, fallback=None))
    with pytest.raises(UnsupportedInputError, match="cityscapes19"):
        strict.decode(_encode(frame, "cityscapes19"))


def test_spic_decode_uses_scsrdm_by_default(frame, tmp_path):
    from spic.cli import main

    payload = _encode(frame)
    (tmp_path / "f.spic").write_bytes(payload.to_bytes())
    assert main(["decode", str(tmp_path / "f.spic"), "-o", str(tmp_path / "default.png")]) == 0
    assert main(["decode", str(tmp_path / "f.spic"), "-o", str(tmp_path / "bicubic.png"),
                 "--reconstructor", "bicubic"]) == 0
    default, bicubic = (np.asarray(Image.open(tmp_path / f"{name}.png"))
                        for name in ("default", "bicubic"))
    assert default.shape == bicubic.shape == frame.rgb.shape
    np.testing.assert_array_equal(bicubic, _bicubic(payload))
    assert np.abs(default.astype(int) - bicubic).mean() > 0.5


def test_spic_encode_without_options_is_the_core_default_encoder(frame, tmp_path):
    from spic.cli import main

    Image.fromarray(frame.rgb).save(tmp_path / "rgb.png")
    Image.fromarray(frame.labels).save(tmp_path / "labels.png")
    assert main(["encode", str(tmp_path / "rgb.png"), "--labels", str(tmp_path / "labels.png"),
                 "-o", str(tmp_path / "f.spic")]) == 0
    expected = SemanticEncoder().encode(frame.rgb, ssm=frame.labels, label_set="camvid11")
    assert (tmp_path / "f.spic").read_bytes() == expected.to_bytes()
