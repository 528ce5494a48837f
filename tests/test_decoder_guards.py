"""SemanticDecoder guards: one config source, codec allow-lists, intra-only SSMs, pixel limits,
fallback policy, and the amplification cases of issue 12 (each refused in < 1 s, < 300 MB)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from spic.codecs import CODECS, DEFAULT_MAX_PIXELS, create_codec
from spic.codecs.bpg import parse_header
from spic.errors import (CodecError, CodecNotAllowedError, FrameTooLargeError,
                         ImageTooLargeError, MissingReferenceError, PayloadError,
                         UnsupportedInputError)
from spic.payload import SSM_INTER, SemanticPayload
from spic.pipeline import (DEFAULT_COARSE_CODECS, DecoderConfig, EncoderConfig, SemanticDecoder,
                           SemanticEncoder, decode_together, ssm_codec_refusal)
from spic.reconstruction import Reconstructor
from spic.reconstruction.bicubic import BicubicReconstructor
from spic.synthetic import synthetic_clip

BICUBIC = DecoderConfig(reconstructor="bicubic")


@pytest.fixture(scope="module")
def frame():
    return synthetic_clip(1, 64, 48)[0]


def _encode(frame, **config):
    return SemanticEncoder(EncoderConfig(**config)).encode(frame.rgb, ssm=frame.labels,
                                                           label_set="camvid11")


def test_the_core_dataclasses_hold_the_project_defaults():
    e, d = EncoderConfig(), DecoderConfig()
    assert (e.segmenter, e.ssm_codec, e.coarse_codec, e.coarse_quality, e.downscale,
            e.max_pixels) == ("spic", "slc", "bpg", 35, 4, DEFAULT_MAX_PIXELS)
    assert (d.reconstructor, d.fallback, d.max_pixels, d.ssm_codecs, d.coarse_codecs) == (
        "scsrdm", "bicubic", DEFAULT_MAX_PIXELS, None, DEFAULT_COARSE_CODECS)
    assert DEFAULT_MAX_PIXELS == 3840 * 2160
    assert all(not CODECS.get(name).lossless for name in DEFAULT_COARSE_CODECS)


def test_only_lossless_checked_codecs_code_maps():
    assert CODECS.get("flif").checked and CODECS.get("png").checked
    for name, reason in [("flif", None), ("png", None), ("webp-lossless", "integrity check"),
                         ("jxl", "integrity check"), ("bpg", "not lossless"),
                         ("webp", "not lossless"), ("h266", "unknown codec")]:
        refusal = ssm_codec_refusal(name)
        assert (refusal is None) if reason is None else (reason in refusal), name
    with pytest.raises(ValueError, match="integrity check"):
        SemanticEncoder(EncoderConfig(ssm_codec="webp-lossless"))


@pytest.mark.parametrize("ssm_codec,match", [("webp-lossless", "integrity check"),
                                             ("jxl", "integrity check"),
                                             ("webp", "not lossless"), ("nope", "unknown")])
def test_decoder_refuses_unchecked_or_lossy_map_codecs(frame, ssm_codec, match):
    payload = _encode(frame, ssm_codec="png", coarse_codec="webp")
    bad = dataclasses.replace(payload, ssm_codec=ssm_codec)
    with pytest.raises(CodecNotAllowedError, match=match):
        SemanticDecoder(BICUBIC).decode(bad)


def test_allow_lists_are_configurable(frame):
    payload = _encode(frame, ssm_codec="png", coarse_codec="webp")
    only_flif = SemanticDecoder(dataclasses.replace(BICUBIC, ssm_codecs=("flif",)))
    with pytest.raises(CodecNotAllowedError, match="allow-list \\(flif\\)"):
        only_flif.decode(payload)
    only_bpg = SemanticDecoder(dataclasses.replace(BICUBIC, coarse_codecs=("bpg",)))
    with pytest.raises(CodecNotAllowedError, match="coarse codec 'webp'"):
        only_bpg.decode(payload)
    np.testing.assert_array_equal(SemanticDecoder(BICUBIC).decode(payload).ssm, frame.labels)
    with pytest.raises(ValueError, match="ssm_codecs: .*not lossless"):
        SemanticDecoder(dataclasses.replace(BICUBIC, ssm_codecs=("flif", "bpg")))
    with pytest.raises(ValueError, match="coarse_codecs: unknown codec"):
        SemanticDecoder(dataclasses.replace(BICUBIC, coarse_codecs=("h266",)))


def test_an_inter_frame_is_refused_without_its_reference_or_when_its_data_disagrees(frame):
    payload = _encode(frame)
    inter = dataclasses.replace(payload, sequence=9, ssm_frame_kind=SSM_INTER, ssm_reference=8)
    decoder = SemanticDecoder(BICUBIC)
    with pytest.raises(MissingReferenceError, match="frame 8's"):
        decoder.decode(SemanticPayload.from_bytes(inter.to_bytes()))
    decoder.decode(dataclasses.replace(payload, sequence=8, ssm_reference=8))  # now it has 8
    with pytest.raises(PayloadError, match="data says intra"):  # the header lies
        decoder.decode(SemanticPayload.from_bytes(inter.to_bytes()))


def test_pixel_limits_are_checked_before_decoding(frame):
    payload = _encode(frame)
    tight = SemanticDecoder(dataclasses.replace(BICUBIC, max_pixels_per_byte=5))
    with pytest.raises(FrameTooLargeError, match="pixels per byte"):
        tight.decode(payload)
    with pytest.raises(ImageTooLargeError, match="exceeds"):
        SemanticEncoder(EncoderConfig(max_pixels=1000)).encode(frame.rgb, ssm=frame.labels,
                                                               label_set="camvid11")


class _Refusing(Reconstructor):
    """A reconstructor that refuses every frame with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def reconstruct(self, *args, **kwargs):
        raise self.error


def test_fallback_runs_only_for_unsupported_input(frame):
    payload = _encode(frame)
    decoder = SemanticDecoder(DecoderConfig(reconstructor="bicubic", fallback="bicubic"))
    decoder.reconstructor = _Refusing(UnsupportedInputError("trained on another codec"))
    assert decoder.decode(payload).fallback_reason == "trained on another codec"
    decoder.reconstructor = _Refusing(ImageTooLargeError("frame too large for the model"))
    with pytest.raises(ImageTooLargeError):  # a rejection, never a bicubic run
        decoder.decode(payload)


class _Counting(BicubicReconstructor):
    """Bicubic, recording the size of every batch it is given."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def reconstruct_batch(self, frames):
        self.batches.append(len(frames))
        return super().reconstruct_batch(frames)


def test_streams_sharing_a_reconstructor_decode_in_one_batch_and_fail_alone(frame):
    payload = _encode(frame)
    first = SemanticDecoder(BICUBIC)
    first.reconstructor = counting = _Counting()
    second, third = first.for_another_stream(), first.for_another_stream()
    bad = dataclasses.replace(payload, coarse_codec="h266")
    results = decode_together([(first, payload, None), (second, bad, None),
                               (third, payload, None)])
    assert counting.batches == [2]  # the bad frame never reaches the reconstructor
    assert isinstance(results[1], CodecNotAllowedError)
    for result in results[0], results[2]:
        np.testing.assert_array_equal(result.ssm, frame.labels)
        np.testing.assert_array_equal(result.rgb, first.decode(payload).rgb)
    assert set(second.timings) == {"ssm_decode"} and "reconstruct" in third.timings


# --- amplification: small inputs that used to cost seconds and gigabytes --------------------

#: Runs one case in a fresh process: setup, then the measured call; prints JSON.
_CHILD = r"""
import json, sys, time
from pathlib import Path

case, data = sys.argv[1], Path(sys.argv[2]).read_bytes()
from spic.codecs import create_codec
from spic.payload import SemanticPayload
from spic.pipeline import DecoderConfig, SemanticDecoder
import imagecodecs, spic.codecs.bpg, spic.codecs.jpeg2000, spic.codecs.jxl  # imports are setup

if case == "payload":
    decoder = SemanticDecoder(DecoderConfig())  # the default: SCSRDM, bicubic fallback
    run = lambda: decoder.decode(SemanticPayload.from_bytes(data))
else:
    codec = create_codec(case)
    run = lambda: codec.decode(data)

def status_kb(key):
    return int(next(l for l in open("/proc/self/status") if l.startswith(key)).split()[1])

try:  # reset the peak RSS (VmHWM) to the current RSS; else it bounds the setup's peak too
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass
before = status_kb("VmRSS")
start = time.perf_counter()
try:
    run()
    outcome = "accepted"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
seconds = time.perf_counter() - start
growth_mb = (status_kb("VmHWM") - before) / 1024  # peak during the call (upper bound)
print(json.dumps({"outcome": outcome, "seconds": seconds, "growth_mb": growth_mb}))
"""


def _constant_frame_payload() -> bytes:
    """A 2048x2048 constant frame with the default codecs: ~200 bytes for 4.2 MP."""
    height = width = 2048
    payload = SemanticEncoder().encode(np.zeros((height, width, 3), np.uint8),
                                       ssm=np.zeros((height, width), np.uint8),
                                       label_set="camvid11")
    return payload.to_bytes()


def _j2k_components(height: int = 80, width: int = 80) -> bytes:
    """A real J2K codestream with 2048 components (~36 kB at 80x80)."""
    import imagecodecs

    image = np.zeros((height, width, 2048), np.uint8)
    return bytes(imagecodecs.jpeg2k_encode(image, level=35,
                                           codecformat=imagecodecs.JPEG2K.CODEC.J2K))


def _j2k_tiles() -> bytes:
    """A 255x255 RGB codestream re-declared with 1x1 tiles (65,025 tiles in ~180 bytes)."""
    data = bytearray(create_codec("jpeg2000").encode(np.zeros((255, 255, 3), np.uint8)))
    data[24:32] = (1).to_bytes(4, "big") * 2  # XTsiz, YTsiz
    return bytes(data)


def _jxl_frames() -> bytes:
    """A JPEG XL animation of 1000 frames."""
    import imagecodecs

    frames = np.random.default_rng(1).integers(0, 12, (1000, 16, 16), dtype=np.uint8)
    return bytes(imagecodecs.jpegxl_encode(frames, lossless=True, effort=1, photometric="gray"))


def _bpg_42mp(frame) -> bytes:
    """A real BPG coarse image whose header is mutated to 7000x6000 (42 Mpx)."""
    data = create_codec("bpg").encode(frame.rgb)
    header, pos = parse_header(data, DEFAULT_MAX_PIXELS)
    return dataclasses.replace(header, width=7000, height=6000).to_bytes() + data[pos:]


def _measure(tmp_path, case: str, data: bytes) -> dict:
    path = tmp_path / f"{case}.bin"
    path.write_bytes(data)
    out = subprocess.run([sys.executable, "-c", _CHILD, case, str(path)], capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(600)
def test_amplification_cases_are_refused_quickly_and_cheaply(tmp_path, frame):
    bpg = _bpg_42mp(frame)
    cases = {  # name: (codec or "payload", data, expected error)
        "payload 2048x2048": ("payload", _constant_frame_payload(), "FrameTooLargeError"),
        "j2k 2048 components": ("jpeg2000", _j2k_components(), "CodecError: jpeg2000: 2048"),
        "j2k 65025 tiles": ("jpeg2000", _j2k_tiles(), "CodecError: jpeg2000: 65025 tiles"),
        "jxl 1000 frames": ("jxl", _jxl_frames(), "CodecError: jxl: animations"),
        "bpg 42 Mpx": ("bpg", bpg, "ImageTooLargeError: bpg: declared size 7000x6000"),
    }
    assert len(cases["payload 2048x2048"][1]) < 250 and len(cases["j2k 2048 components"][1]) > 30_000
    results = {}
    for name, (case, data, expected) in cases.items():
        results[name] = result = _measure(tmp_path, case, data)
        assert result["outcome"].startswith(expected), (name, result)
    for name, result in results.items():
        assert result["seconds"] < 1 and result["growth_mb"] < 300, (name, result)


def test_bpg_size_is_checked_against_the_frame_before_decoding(frame):
    """In a payload, the coarse image may not declare more than the header's coarse size."""
    payload = _encode(frame)
    bad = dataclasses.replace(payload, coarse_data=_bpg_42mp(frame))
    with pytest.raises(FrameTooLargeError, match="coarse data declares a larger image"):
        SemanticDecoder(BICUBIC).decode(SemanticPayload.from_bytes(bad.to_bytes()))
    jxl_map = dataclasses.replace(payload, ssm_codec="jxl", ssm_data=_jxl_frames())
    with pytest.raises(CodecNotAllowedError):
        SemanticDecoder(BICUBIC).decode(jxl_map)
    j2k = dataclasses.replace(payload, coarse_codec="jpeg2000", coarse_data=_j2k_components(
        payload.coarse_height, payload.coarse_width))
    with pytest.raises(CodecError, match="2048 components"):
        SemanticDecoder(BICUBIC).decode(j2k)
