"""What ``spic eval`` evaluates: SPIC, full-resolution codecs and coarse-only baselines.

A method turns an original frame into a reconstruction at one operating point (a codec
quality) and says how many bytes it sent, split into SSM, coarse image and full image.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spic.codecs import create_codec
from spic.codecs.base import ImageCodec
from spic.eval.content_cache import CachedReconstructor
from spic.image_ops import area_downscale, upscale_to
from spic.payload import SemanticPayload
from spic.pipeline import DecoderConfig, EncoderConfig, SemanticDecoder, SemanticEncoder
from spic.segmentation import SEGMENTERS, Segmenter

#: Default operating points (codec ``quality`` values) per method. On CamVid val frames
#: (480x360) the full-res ones span about 0.04..0.9 bpp (bpg QP 51: 0.04, 45: 0.14,
#: 35: 0.59, 31: 0.88; jpeg2000 target dB 22: 0.04, 34: 0.91; jpeg 3: 0.11, 50: 0.90).
DEFAULT_POINTS: dict[str, tuple[int, ...]] = {
    "bpg": (51, 47, 45, 43, 39, 35, 31),
    "jpeg2000": (22, 24, 26, 28, 31, 34),
    "jpeg": (3, 5, 10, 20, 35, 50),
    "webp": (1, 5, 15, 30, 50, 75),
    "jxl": (10, 30, 50, 70, 90),
    "spic": (41, 35, 29),
    "coarse+bicubic": (41, 35, 29, 23, 17),
}

FULL_RES_CODECS = ("bpg", "jpeg2000", "jpeg", "webp", "jxl")


class MethodUnavailable(RuntimeError):
    """A method's codec, segmenter or reconstructor cannot be loaded here."""


@dataclass
class Coded:
    """One frame through one method at one operating point."""

    rgb: np.ndarray
    bytes_ssm: int = 0
    bytes_coarse: int = 0
    bytes_full: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    coarse: np.ndarray | None = None  # the decoded coarse image the receiver had, if any
    downscale: int = 4

    @property
    def num_bytes(self) -> int:
        return self.bytes_ssm + self.bytes_coarse + self.bytes_full


def usable_codec(name: str, channels: int = 3) -> ImageCodec:
    """Create a codec and round-trip a tiny ``channels``-channel image (1: label maps), or
    raise :class:`MethodUnavailable`."""
    try:
        codec = create_codec(name)
        probe = np.full((16, 16, 3) if channels == 3 else (16, 16), 7, np.uint8)
        codec.decode(codec.encode(probe))
    except Exception as exc:  # any failure of a probe (missing module, library, binary)
        raise MethodUnavailable(f"codec {name!r} is not usable here: {exc}") from exc
    return codec


class Method(ABC):
    """An evaluated coding method with a list of operating points."""

    name: str
    description: str

    def __init__(self, points: tuple[int, ...]) -> None:
        self.points = tuple(points)

    def settings(self) -> dict:
        return {"points": list(self.points)}

    def use_cache(self, folder: Path) -> None:
        """Reuse work across methods and runs through the run folder's content cache
        (:mod:`spic.eval.content_cache`); by default nothing is cached."""

    def prepare(self, rgb: np.ndarray, labels: np.ndarray | None = None) -> None:
        """Per-frame work shared by all operating points (e.g. segmentation).

        ``labels``: the frame's ground-truth map, when the dataset has one.
        """

    @abstractmethod
    def run(self, rgb: np.ndarray, quality: int) -> Coded:
        """Code and reconstruct ``rgb`` at ``quality``."""


class CodecMethod(Method):
    """A conventional codec applied to the full-resolution frame."""

    def __init__(self, codec: str, points: tuple[int, ...]) -> None:
        super().__init__(points)
        usable_codec(codec)
        self.name = self.codec_name = codec
        self.description = f"{codec} on the full-resolution frame"
        self._codecs: dict[int, ImageCodec] = {}

    def codec(self, quality: int) -> ImageCodec:
        if quality not in self._codecs:
            self._codecs[quality] = create_codec(self.codec_name, quality=quality)
        return self._codecs[quality]

    def run(self, rgb: np.ndarray, quality: int) -> Coded:
        codec = self.codec(quality)
        t0 = time.perf_counter()
        data = codec.encode(rgb)
        t1 = time.perf_counter()
        out = codec.decode(data)
        t2 = time.perf_counter()
        return Coded(out, bytes_full=len(data), timings={"encode": t1 - t0, "decode": t2 - t1})


class CoarseBicubicMethod(Method):
    """Coarse image only (4x area downscale + codec), bicubic upsampling: SPIC minus the SSM."""

    def __init__(self, coarse_codec: str, points: tuple[int, ...], downscale: int = 4) -> None:
        super().__init__(points)
        usable_codec(coarse_codec)
        self.name = "coarse+bicubic"
        self.coarse_codec, self.downscale = coarse_codec, downscale
        self.description = (f"{downscale}x area-downscaled frame coded with {coarse_codec}, "
                            "bicubic upsampling (no semantic map)")
        self._codecs: dict[int, ImageCodec] = {}

    def settings(self) -> dict:
        return {**super().settings(), "coarse_codec": self.coarse_codec,
                "downscale": self.downscale}

    def run(self, rgb: np.ndarray, quality: int) -> Coded:
        if quality not in self._codecs:
            self._codecs[quality] = create_codec(self.coarse_codec, quality=quality)
        codec = self._codecs[quality]
        h, w = rgb.shape[:2]
        t0 = time.perf_counter()
        data = codec.encode(area_downscale(rgb, self.downscale))
        t1 = time.perf_counter()
        decoded = codec.decode(data)
        out = upscale_to(decoded, w, h, self.downscale)
        t2 = time.perf_counter()
        return Coded(out, bytes_coarse=len(data), timings={"encode": t1 - t0, "decode": t2 - t1},
                     coarse=decoded, downscale=self.downscale)


class SpicMethod(Method):
    """The real SemanticEncoder -> payload bytes -> SemanticDecoder chain.

    The map comes from the vehicle's segmenter, run once per frame (:meth:`prepare`), or,
    with ``ssm="gt"``, is the dataset's ground truth (the paper's setting); it goes through
    the same encoder at every operating point. Rate = ``payload.num_bytes`` (SSM + coarse).
    """

    SSM_SOURCES = ("segmenter", "gt")

    def __init__(self, points: tuple[int, ...], encoder: EncoderConfig,
                 decoder: DecoderConfig, segmenter: Segmenter | None = None,
                 name: str = "spic", ssm: str = "segmenter") -> None:
        super().__init__(points)
        if ssm not in self.SSM_SOURCES:
            raise ValueError(f"ssm source must be one of {self.SSM_SOURCES}, got {ssm!r}")
        self.name, self.ssm_source = name, ssm
        self.encoder_config, self.decoder_config = encoder, decoder
        usable_codec(encoder.ssm_codec, channels=1)
        usable_codec(encoder.coarse_codec)
        try:
            self.segmenter = segmenter or SEGMENTERS.create(encoder.segmenter,
                                                            **encoder.segmenter_options)
            self.decoder = SemanticDecoder(decoder)
        except Exception as exc:  # missing module, weights or library: skip, say why
            raise MethodUnavailable(f"spic parts are not usable here: {exc}") from exc
        source = "ground-truth maps" if ssm == "gt" else f"segmenter {encoder.segmenter}"
        self.description = (f"SPIC: {source}, SSM {encoder.ssm_codec}, "
                            f"coarse {encoder.coarse_codec} at 1/{encoder.downscale}, "
                            f"reconstructor {decoder.reconstructor}")
        self._encoders: dict[int, SemanticEncoder] = {}
        self._ssm: np.ndarray | None = None
        self._segment_seconds = 0.0

    def settings(self) -> dict:
        e, d = self.encoder_config, self.decoder_config
        return {**super().settings(), "ssm_source": self.ssm_source, "segmenter": e.segmenter,
                "segmenter_options": {k: str(v) for k, v in e.segmenter_options.items()},
                "ssm_codec": e.ssm_codec, "coarse_codec": e.coarse_codec,
                "downscale": e.downscale, "reconstructor": d.reconstructor,
                "reconstructor_options": {k: str(v) for k, v in d.reconstructor_options.items()}}

    def use_cache(self, folder: Path) -> None:
        """Reconstructions are cached by their input (coarse image and map): variants that
        differ only in the lossless map codec reconstruct each frame once."""
        d = self.decoder_config
        self.decoder.reconstructor = CachedReconstructor(
            self.decoder.reconstructor, folder,
            {"reconstructor": d.reconstructor, "options": d.reconstructor_options})

    def prepare(self, rgb: np.ndarray, labels: np.ndarray | None = None) -> None:
        t0 = time.perf_counter()
        if self.ssm_source == "gt":
            if labels is None:
                raise ValueError("--ssm gt needs a dataset with ground-truth labels")
            self._ssm = labels
        else:
            self._ssm = self.segmenter.segment(rgb)
        self._segment_seconds = time.perf_counter() - t0

    def encoder(self, quality: int) -> SemanticEncoder:
        if quality not in self._encoders:
            config = EncoderConfig(**{**self.encoder_config.__dict__, "coarse_quality": quality})
            self._encoders[quality] = SemanticEncoder(config, segmenter=self.segmenter)
        return self._encoders[quality]

    def run(self, rgb: np.ndarray, quality: int) -> Coded:
        if self._ssm is None or self._ssm.shape != rgb.shape[:2]:
            raise RuntimeError("SpicMethod.run before prepare() for this frame")
        encoder = self.encoder(quality)
        payload = encoder.encode(rgb, ssm=self._ssm, label_set=self.segmenter.label_set.id)
        timings = {"segment": self._segment_seconds, **encoder.timings}
        received = SemanticPayload.from_bytes(payload.to_bytes())
        decoded = self.decoder.decode(received)
        timings.update(self.decoder.timings)
        if isinstance(self.decoder.reconstructor, CachedReconstructor):  # its real cost
            timings["reconstruct"] = self.decoder.reconstructor.last_seconds
        return Coded(decoded.rgb, bytes_ssm=len(received.ssm_data),
                     bytes_coarse=len(received.coarse_data), timings=timings,
                     coarse=decoded.coarse, downscale=received.downscale)
