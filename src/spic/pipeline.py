"""SemanticEncoder (vehicle side) and SemanticDecoder (remote side), ROS-free."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from spic.codecs import CODECS, DEFAULT_MAX_PIXELS, create_codec
from spic.errors import ImageTooLargeError, PayloadError, UnsupportedInputError
from spic.image_ops import area_downscale, coarse_size
from spic.labelsets import get_label_set
from spic.payload import SemanticPayload
from spic.reconstruction import RECONSTRUCTORS
from spic.segmentation import SEGMENTERS, Segmenter


@dataclass
class EncoderConfig:
    """Parts and settings of the vehicle-side encoder (names are registry entries)."""

    segmenter: str = "spic"
    segmenter_options: dict = field(default_factory=dict)
    ssm_codec: str = "png"
    ssm_options: dict = field(default_factory=dict)
    coarse_codec: str = "webp"
    coarse_quality: int = 75
    coarse_options: dict = field(default_factory=dict)
    downscale: int = 4


@dataclass
class DecoderConfig:
    """Parts and settings of the remote-side decoder."""

    reconstructor: str = "scsrdm"
    reconstructor_options: dict = field(default_factory=dict)
    max_pixels: int = DEFAULT_MAX_PIXELS
    #: Reconstructor for frames ``reconstructor`` refuses (``UnsupportedInputError``: another
    #: label set or downscale than its model's; ``ImageTooLargeError``); None: raise.
    fallback: str | None = None


@dataclass
class DecodedFrame:
    rgb: np.ndarray     # H x W x 3 reconstruction
    ssm: np.ndarray     # H x W labels, exactly the encoder's map
    coarse: np.ndarray  # h x w x 3 decoded coarse image
    fallback_reason: str | None = None  # why the fallback reconstructor ran; None: it did not


class _Timer:
    """Collects per-stage wall times (seconds) of the last call."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = 0.0

    def start(self) -> None:
        self.timings = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self._t
        self._t = now


class SemanticEncoder:
    """RGB frame -> :class:`SemanticPayload` (segment, code SSM losslessly, code coarse image)."""

    def __init__(self, config: EncoderConfig | None = None,
                 segmenter: Segmenter | None = None) -> None:
        self.config = config or EncoderConfig()
        c = self.config
        self._segmenter = segmenter
        self.ssm_codec = create_codec(c.ssm_codec, **c.ssm_options)
        if not self.ssm_codec.lossless:
            raise ValueError(f"SSM codec {c.ssm_codec!r} is not lossless")
        self.coarse_codec = create_codec(c.coarse_codec, quality=c.coarse_quality,
                                         **c.coarse_options)
        self._timer = _Timer()

    @property
    def segmenter(self) -> Segmenter:
        """The configured segmenter, created on first use."""
        if self._segmenter is None:
            self._segmenter = SEGMENTERS.create(self.config.segmenter,
                                                **self.config.segmenter_options)
        return self._segmenter

    @property
    def timings(self) -> dict[str, float]:
        """Stage latencies (s) of the last :meth:`encode`."""
        return self._timer.timings

    def encode(self, rgb: np.ndarray, ssm: np.ndarray | None = None,
               label_set: str | None = None, encoding: str = "rgb8") -> SemanticPayload:
        """Encode an H x W x 3 uint8 RGB frame.

        ``ssm`` (with its ``label_set`` id) skips segmentation, e.g. to code ground truth.
        ``encoding`` records the pixel encoding the frame arrived in.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected H x W x 3 uint8 RGB, got {rgb.dtype} {rgb.shape}")
        height, width = rgb.shape[:2]
        self._timer.start()
        if ssm is None:
            ssm = self.segmenter.segment(rgb)
            label_set = self.segmenter.label_set.id
            self._timer.lap("segment")
        elif label_set is None:
            raise ValueError("label_set is required with a given ssm")
        if ssm.shape != (height, width):
            raise ValueError(f"SSM shape {ssm.shape} differs from frame {height}x{width}")
        labels = get_label_set(label_set)
        ssm_data = self.ssm_codec.encode(np.ascontiguousarray(ssm, dtype=np.uint8))
        self._timer.lap("ssm_encode")
        factor = self.config.downscale
        coarse = area_downscale(rgb, factor)
        coarse_data = self.coarse_codec.encode(coarse)
        self._timer.lap("coarse_encode")
        cw, ch = coarse_size(width, height, factor)
        return SemanticPayload(
            width=width, height=height, encoding=encoding, label_set=labels.id,
            num_classes=labels.num_classes, ssm_codec=self.config.ssm_codec, ssm_data=ssm_data,
            coarse_codec=self.config.coarse_codec,
            coarse_quality=-1 if self.config.coarse_quality is None else self.config.coarse_quality,
            coarse_width=cw, coarse_height=ch, downscale=factor, coarse_data=coarse_data,
        )


class SemanticDecoder:
    """:class:`SemanticPayload` -> frame at the original size, via a pluggable reconstructor."""

    def __init__(self, config: DecoderConfig | None = None) -> None:
        self.config = config or DecoderConfig()
        self.reconstructor = RECONSTRUCTORS.create(self.config.reconstructor,
                                                   **self.config.reconstructor_options)
        self.fallback = (RECONSTRUCTORS.create(self.config.fallback) if self.config.fallback
                         else None)
        self._codecs: dict[str, object] = {}
        self._timer = _Timer()

    @property
    def timings(self) -> dict[str, float]:
        """Stage latencies (s) of the last :meth:`decode`."""
        return self._timer.timings

    def _codec(self, name: str):
        if name not in self._codecs:
            if name not in CODECS:
                raise PayloadError(f"payload names unknown codec {name!r}; "
                                   f"known: {', '.join(CODECS.names())}")
            self._codecs[name] = create_codec(name)
        return self._codecs[name]

    def decode(self, payload: SemanticPayload) -> DecodedFrame:
        """Decode and reconstruct; raises ``ValueError`` subclasses on bad payloads."""
        payload.validate()
        if payload.width * payload.height > self.config.max_pixels:
            raise PayloadError(f"frame {payload.width}x{payload.height} exceeds the limit of "
                               f"{self.config.max_pixels} pixels")
        labels = get_label_set(payload.label_set)
        if labels.num_classes != payload.num_classes:
            raise PayloadError(f"payload says {payload.num_classes} classes, label set "
                               f"{labels.id} has {labels.num_classes}")
        self._timer.start()
        # each part may declare at most the pixels the header promises: refused before allocating
        ssm = self._codec(payload.ssm_codec).decode(payload.ssm_data,
                                                    payload.width * payload.height)
        if ssm.shape != (payload.height, payload.width):
            raise PayloadError(f"SSM is {ssm.shape[1]}x{ssm.shape[0]}, header says "
                               f"{payload.width}x{payload.height}")
        self._timer.lap("ssm_decode")
        coarse = self._codec(payload.coarse_codec).decode(
            payload.coarse_data, payload.coarse_width * payload.coarse_height)
        if coarse.shape != (payload.coarse_height, payload.coarse_width, 3):
            raise PayloadError(f"coarse image is {coarse.shape}, header says "
                               f"{payload.coarse_width}x{payload.coarse_height}x3")
        self._timer.lap("coarse_decode")
        reason = None
        try:
            rgb = self.reconstructor.reconstruct(coarse, ssm, labels, payload.downscale)
        except (UnsupportedInputError, ImageTooLargeError) as exc:  # valid, but refused
            if self.fallback is None:
                raise
            reason = str(exc)
            rgb = self.fallback.reconstruct(coarse, ssm, labels, payload.downscale)
        self._timer.lap("reconstruct")
        return DecodedFrame(rgb=rgb, ssm=ssm, coarse=coarse, fallback_reason=reason)
