"""SemanticEncoder (vehicle side) and SemanticDecoder (remote side), ROS-free."""

from __future__ import annotations

import copy
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from spic.cancellation import Cancelled
from spic.codecs import CODECS, DEFAULT_MAX_PIXELS, ImageCodec, create_codec
from spic.errors import (CodecNotAllowedError, FrameTooLargeError, ImageTooLargeError,
                         MissingReferenceError, PayloadError, UnsupportedInputError)
from spic.image_ops import area_downscale, coarse_size
from spic.labelsets import get_label_set
from spic.payload import SSM_INTER, SSM_INTRA, SemanticPayload
from spic.rate_control import CoarseRateController, RateBudget
from spic.reconstruction import RECONSTRUCTORS, ReconstructionInput
from spic.segmentation import SEGMENTERS, Segmenter

#: Coarse codecs a decoder accepts by default: the registered lossy ones. Reconstructors
#: refuse those their model was not trained on (``UnsupportedInputError``: the fallback runs).
DEFAULT_COARSE_CODECS = ("bpg", "jpeg", "jpeg2000", "webp")
#: Frames declaring more pixels than this per coded byte (SSM + coarse) are refused before
#: decoding: camera frames code at ~60 px/byte (0.13 bpp); a flat 1920x1080 frame, the most
#: compressible content, at ~21,000 (100 bytes).
DEFAULT_MAX_PIXELS_PER_BYTE = 16_384


@dataclass
class EncoderConfig:
    """Parts and settings of the vehicle-side encoder (names are registry entries).

    The defaults are the project's: ``spic encode`` and the encoder node use them as they are.
    """

    segmenter: str = "spic"
    segmenter_options: dict = field(default_factory=dict)
    #: The project's label-map codec (docs/slc.md; ~0.6x FLIF's bytes); flif stays
    #: registered for interoperability.
    ssm_codec: str = "slc"
    ssm_options: dict = field(default_factory=dict)
    coarse_codec: str = "bpg"
    coarse_quality: int = 35
    coarse_options: dict = field(default_factory=dict)
    downscale: int = 4
    #: Input frames above this many pixels are refused (``ImageTooLargeError``).
    max_pixels: int = DEFAULT_MAX_PIXELS
    #: Rate control (:mod:`spic.rate_control`): mean kbit/s budget at ``frame_rate`` frames
    #: per second and/or a byte cap per serialised frame; the coarse quality then varies per
    #: frame between ``coarse_quality`` (the start) and ``floor_quality``. 0 and 0: off.
    target_kbps: float = 0.0
    frame_rate: float = 10.0
    max_frame_bytes: int = 0
    floor_quality: int = 51
    #: Inter-frame map coding: every ``keyframe_interval``-th map is intra (a keyframe), the
    #: others are coded against the previous map (codecs with ``inter``, e.g. slc). 1: every
    #: map intra (the default until inter coding has proven itself on real sequences).
    keyframe_interval: int = 1

    def rate_budget(self) -> RateBudget:
        return RateBudget(self.target_kbps, self.frame_rate, self.max_frame_bytes,
                          self.floor_quality)


@dataclass
class DecoderConfig:
    """Parts and settings of the remote-side decoder (defaults: ``spic decode``, decoder node)."""

    reconstructor: str = "scsrdm"
    reconstructor_options: dict = field(default_factory=dict)
    #: Reconstructor for frames ``reconstructor`` refuses with ``UnsupportedInputError`` (a
    #: label set, downscale or coarse codec its model was not trained on); None: raise.
    fallback: str | None = "bicubic"
    #: Frames declaring more pixels are refused before decoding (``FrameTooLargeError``).
    max_pixels: int = DEFAULT_MAX_PIXELS
    #: So are frames declaring more pixels per coded byte (decoded/coded ratio).
    max_pixels_per_byte: int = DEFAULT_MAX_PIXELS_PER_BYTE
    #: SSM codecs accepted; each must be lossless and checked (``ImageCodec.checked``).
    #: None: every registered codec that is.
    ssm_codecs: tuple[str, ...] | None = None
    #: Coarse codecs accepted.
    coarse_codecs: tuple[str, ...] = DEFAULT_COARSE_CODECS


def ssm_codec_refusal(name: str) -> str | None:
    """Why the codec ``name`` may not code SSMs (unknown, lossy, or without an integrity
    check), or None when it may. Encoders and decoders apply the same rule."""
    if name not in CODECS:
        return f"unknown codec {name!r}; known: {', '.join(CODECS.names())}"
    codec = CODECS.get(name)
    if not codec.lossless:
        return f"SSM codec {name!r} is not lossless"
    if not codec.checked:
        return (f"SSM codec {name!r} has no integrity check (ImageCodec.checked): "
                f"a corrupt map could pass as good")
    return None


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
        refusal = ssm_codec_refusal(c.ssm_codec)
        if refusal:
            raise ValueError(refusal)
        if c.keyframe_interval < 1:
            raise ValueError(f"keyframe_interval must be >= 1, got {c.keyframe_interval}")
        if c.keyframe_interval > 1 and not CODECS.get(c.ssm_codec).inter:
            raise ValueError(f"keyframe_interval {c.keyframe_interval} needs an SSM codec with "
                             f"inter-frame coding (e.g. slc), not {c.ssm_codec!r}")
        self.ssm_codec = create_codec(c.ssm_codec, **c.ssm_options)
        self.coarse_codec = create_codec(c.coarse_codec, quality=c.coarse_quality,
                                         **c.coarse_options)
        self._coarse_codecs = {c.coarse_quality: self.coarse_codec}
        budget = c.rate_budget()
        #: Chooses the coarse quality per frame when a budget is set; None: fixed quality.
        self.rate = (CoarseRateController(budget, c.coarse_codec, c.coarse_quality)
                     if budget.enabled else None)
        # the map is coded on this thread while the caller codes the coarse image (both
        # codecs release the GIL)
        self._ssm_worker = ThreadPoolExecutor(1, thread_name_prefix="spic-ssm")
        #: ``sequence`` of the next payload.
        self.next_sequence = 0
        self._reference: tuple[int, np.ndarray] | None = None  # (sequence, map) of the last
        self._since_keyframe = 0
        self._keyframe_requested = False
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
        if width * height > self.config.max_pixels:
            raise ImageTooLargeError(f"frame {width}x{height} exceeds the limit of "
                                     f"{self.config.max_pixels} pixels")
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
        ssm = np.ascontiguousarray(ssm, dtype=np.uint8)
        reference = self._map_reference(ssm.shape)
        reference_sequence = self._reference[0] if reference is not None else None
        ssm_job = self._ssm_worker.submit(_timed, self._encode_map, ssm, reference)
        factor = self.config.downscale
        cw, ch = coarse_size(width, height, factor)
        sequence, self.next_sequence = self.next_sequence, (self.next_sequence + 1) % 2**32
        payload = SemanticPayload(
            width=width, height=height, encoding=encoding, label_set=labels.id,
            num_classes=labels.num_classes, ssm_codec=self.config.ssm_codec, ssm_data=b"",
            coarse_codec=self.config.coarse_codec,
            coarse_quality=-1 if self.config.coarse_quality is None else self.config.coarse_quality,
            coarse_width=cw, coarse_height=ch, downscale=factor, coarse_data=b"",
            sequence=sequence, ssm_frame_kind=SSM_INTRA, ssm_reference=sequence,
        )
        coarse = area_downscale(rgb, factor)
        if self.rate is None:
            coarse_data, coarse_seconds = _timed(self.coarse_codec.encode, coarse)
            ssm_data, ssm_seconds = ssm_job.result()
            quality = payload.coarse_quality
        else:  # the budget left for the coarse image depends on the map's size
            ssm_data, ssm_seconds = ssm_job.result()
            overhead = len(payload.to_bytes())  # everything but the two blobs
            (decision, coarse_seconds) = _timed(
                self.rate.choose, lambda q: self._coarse_codec(q).encode(coarse),
                overhead + len(ssm_data))
            coarse_data, quality = decision.data, decision.quality
        # the two parts ran concurrently: each stage's own time
        self._timer.timings.update(ssm_encode=ssm_seconds, coarse_encode=coarse_seconds)
        inter = reference is not None and self.ssm_codec.is_inter(ssm_data)
        self._since_keyframe = self._since_keyframe + 1 if inter else 1
        self._reference = (sequence, ssm)
        return replace(payload, ssm_data=ssm_data, coarse_data=coarse_data,
                       coarse_quality=quality, ssm_frame_kind=SSM_INTER if inter else SSM_INTRA,
                       ssm_reference=reference_sequence if inter else sequence)

    def request_keyframe(self) -> None:
        """Code the next map intra (e.g. a receiver joined or lost its reference)."""
        self._keyframe_requested = True

    def _map_reference(self, shape: tuple[int, int]) -> np.ndarray | None:
        """The previous map when this one may be inter-coded, else None (a keyframe)."""
        due = self._since_keyframe >= self.config.keyframe_interval
        if (self._reference is None or due or self._keyframe_requested
                or self._reference[1].shape != shape):
            self._keyframe_requested = False
            return None
        return self._reference[1]

    def _encode_map(self, ssm: np.ndarray, reference: np.ndarray | None) -> bytes:
        if reference is None:
            return self.ssm_codec.encode(ssm)
        return self.ssm_codec.encode(ssm, reference=reference)

    def _coarse_codec(self, quality: int) -> ImageCodec:
        if quality not in self._coarse_codecs:
            self._coarse_codecs[quality] = create_codec(self.config.coarse_codec,
                                                        quality=quality,
                                                        **self.config.coarse_options)
        return self._coarse_codecs[quality]

    def close(self) -> None:
        """Stop the map-coding thread (the encoder cannot be used afterwards)."""
        self._ssm_worker.shutdown(wait=True)


def _timed(fn, *args):
    """``(fn(*args), seconds)``."""
    t0 = time.perf_counter()
    return fn(*args), time.perf_counter() - t0


class SemanticDecoder:
    """:class:`SemanticPayload` -> frame at the original size, via a pluggable reconstructor.

    Payloads are checked before anything is decoded: format and consistency, pixel limits,
    label set, codec allow-lists (the SSM codec must be lossless and checked), and for an
    inter-coded map that its reference is the map decoded last.
    The digest of received payloads is checked when they are parsed
    (:meth:`SemanticPayload.from_bytes`, ``spic_ros.frame_message.msg_to_payload``).
    """

    def __init__(self, config: DecoderConfig | None = None) -> None:
        self.config = c = config or DecoderConfig()
        for name in c.ssm_codecs or ():
            refusal = ssm_codec_refusal(name)
            if refusal:
                raise ValueError(f"ssm_codecs: {refusal}")
        unknown = [name for name in c.coarse_codecs if name not in CODECS]
        if unknown:
            raise ValueError(f"coarse_codecs: unknown codec(s) {', '.join(unknown)}; "
                             f"known: {', '.join(CODECS.names())}")
        self.reconstructor = RECONSTRUCTORS.create(c.reconstructor, **c.reconstructor_options)
        self.fallback = RECONSTRUCTORS.create(c.fallback) if c.fallback else None
        self._codecs: dict[str, ImageCodec] = {}
        self._timer = _Timer()
        self._reference: tuple[int, np.ndarray] | None = None  # (sequence, map) decoded last

    @property
    def timings(self) -> dict[str, float]:
        """Stage latencies (s) of the last :meth:`decode`."""
        return self._timer.timings

    def for_another_stream(self) -> "SemanticDecoder":
        """A decoder for another stream: this one's configuration and (loaded) reconstructors,
        its own map reference chain, codecs and timings."""
        other = copy.copy(self)
        other._codecs, other._timer, other._reference = {}, _Timer(), None
        return other

    def _codec(self, name: str, part: str) -> ImageCodec:
        """The codec for a payload part ("SSM" or "coarse"), if this decoder accepts it."""
        allowed = self.config.ssm_codecs if part == "SSM" else self.config.coarse_codecs
        if allowed is not None and name not in allowed:
            known = "" if name in CODECS else "unknown "
            raise CodecNotAllowedError(f"{part} codec {name!r} is refused: {known}codec outside "
                                       f"this decoder's allow-list ({', '.join(allowed)})")
        refusal = ssm_codec_refusal(name) if part == "SSM" else None
        if refusal:
            raise CodecNotAllowedError(f"{part} codec refused: {refusal}")
        if name not in self._codecs:
            self._codecs[name] = create_codec(name)
        return self._codecs[name]

    def _check_size(self, payload: SemanticPayload) -> None:
        """Refuse frames above the pixel limit or out of proportion with their coded bytes."""
        c, pixels = self.config, payload.width * payload.height
        size = f"frame {payload.width}x{payload.height}"
        if pixels > c.max_pixels:
            raise FrameTooLargeError(f"{size} exceeds the limit of {c.max_pixels} pixels")
        coded = max(1, payload.num_bytes)
        if pixels > c.max_pixels_per_byte * coded:
            raise FrameTooLargeError(f"{size} from {payload.num_bytes} coded bytes is "
                                     f"{pixels / coded:.0f} pixels per byte (limit "
                                     f"{c.max_pixels_per_byte}): out of proportion, refused")

    @staticmethod
    def _decode_part(codec: ImageCodec, data: bytes, width: int, height: int,
                     part: str, **options) -> np.ndarray:
        """Decode one part, which may declare no more pixels than the header promises."""
        try:
            return codec.decode(data, width * height, **options)
        except ImageTooLargeError as exc:
            raise FrameTooLargeError(f"{part} data declares a larger image than the header's "
                                     f"{width}x{height}: {exc}") from exc

    def decode_map(self, payload: SemanticPayload) -> np.ndarray:
        """Check a payload and decode its map, exactly the encoder's.

        An inter-coded map needs the map of the frame it names (``ssm_reference``) to be the
        last one this decoder decoded; otherwise :class:`MissingReferenceError` (count it and
        wait for the next keyframe: a map is never decoded against the wrong reference).
        Streams whose frames may be skipped call this for every frame, and :meth:`decode`
        with the map only for the frames they show.
        """
        payload.validate()
        self._check_size(payload)
        self._label_set(payload)
        codec = self._codec(payload.ssm_codec, "SSM")
        reference = None
        if payload.ssm_frame_kind == SSM_INTER:
            if self._reference is None or self._reference[0] != payload.ssm_reference:
                have = ("no map yet" if self._reference is None
                        else f"the map of frame {self._reference[0]}")
                raise MissingReferenceError(
                    f"frame {payload.sequence}: its map is coded against frame "
                    f"{payload.ssm_reference}'s, this decoder has {have}; waiting for a keyframe")
            if not codec.inter:
                raise PayloadError(f"frame {payload.sequence} says its map is inter-coded, but "
                                   f"{payload.ssm_codec} has no inter-frame coding")
            reference = self._reference[1]
        ssm = self._decode_part(codec, payload.ssm_data, payload.width, payload.height, "SSM",
                                **({} if reference is None else {"reference": reference}))
        if ssm.shape != (payload.height, payload.width):
            raise PayloadError(f"SSM is an array of shape {ssm.shape}, header says a "
                               f"{payload.width}x{payload.height} map")
        if payload.ssm_frame_kind == SSM_INTER and not codec.is_inter(payload.ssm_data):
            raise PayloadError(f"frame {payload.sequence} says its map is inter-coded, the "
                               f"{payload.ssm_codec} data says intra")
        self._reference = (payload.sequence, ssm)
        return ssm

    def _label_set(self, payload: SemanticPayload):
        try:
            labels = get_label_set(payload.label_set)
        except ValueError as exc:  # an unknown id
            raise PayloadError(str(exc)) from None
        if labels.num_classes != payload.num_classes:
            raise PayloadError(f"payload says {payload.num_classes} classes, label set "
                               f"{labels.id} has {labels.num_classes}")
        return labels

    def decode(self, payload: SemanticPayload, ssm: np.ndarray | None = None) -> DecodedFrame:
        """Decode and reconstruct; raises ``ValueError`` subclasses on bad payloads.

        ``ssm``: the payload's map, when :meth:`decode_map` already decoded it.
        """
        result = decode_together([(self, payload, ssm)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def _prepare(self, payload: SemanticPayload, ssm: np.ndarray | None) -> ReconstructionInput:
        """Check the payload, decode what is not decoded yet: the reconstructor's input."""
        self._timer.start()
        if ssm is None:
            ssm = self.decode_map(payload)
            self._timer.lap("ssm_decode")
        else:
            payload.validate()
            self._check_size(payload)
        labels = self._label_set(payload)
        coarse_codec = self._codec(payload.coarse_codec, "coarse")
        coarse = self._decode_part(coarse_codec, payload.coarse_data, payload.coarse_width,
                                   payload.coarse_height, "coarse")
        if coarse.shape != (payload.coarse_height, payload.coarse_width, 3):
            raise PayloadError(f"coarse image is {coarse.shape}, header says "
                               f"{payload.coarse_width}x{payload.coarse_height}x3")
        self._timer.lap("coarse_decode")
        return ReconstructionInput(coarse, ssm, labels, payload.downscale, payload.coarse_codec,
                                   None if payload.coarse_quality < 0 else payload.coarse_quality)

    def _finish(self, frame: ReconstructionInput, rgb: np.ndarray | Exception
                ) -> DecodedFrame | Exception:
        """The decoded frame from the reconstructor's result, or its error; a frame the
        reconstructor refused as unsupported is rebuilt by the fallback."""
        reason = None
        if isinstance(rgb, UnsupportedInputError) and self.fallback is not None:
            reason = str(rgb)
            try:
                rgb = self.fallback.reconstruct(frame.coarse, frame.ssm, frame.label_set,
                                                frame.downscale, coarse_codec=frame.coarse_codec,
                                                coarse_quality=frame.coarse_quality)
            except Cancelled:
                raise
            except Exception as exc:
                rgb = exc
        self._timer.lap("reconstruct")
        if isinstance(rgb, Exception):
            return rgb
        return DecodedFrame(rgb=rgb, ssm=frame.ssm, coarse=frame.coarse, fallback_reason=reason)


def decode_together(frames: Sequence[tuple[SemanticDecoder, SemanticPayload, np.ndarray | None]]
                    ) -> list[DecodedFrame | Exception]:
    """Decode frames of several streams (``(decoder, payload, map or None)``, one decoder per
    stream); decoders sharing a reconstructor (:meth:`SemanticDecoder.for_another_stream`)
    reconstruct their frames in one batch (:meth:`Reconstructor.reconstruct_batch`). Each
    result is the frame or the error raised for it (``ValueError`` subclasses: bad input),
    so one stream's bad frame fails only itself. Each decoder's ``timings`` cover its frame;
    its ``reconstruct`` time is the whole batch's."""
    results: list[DecodedFrame | Exception | None] = [None] * len(frames)
    batches: dict[int, list[tuple[int, ReconstructionInput]]] = {}  # by reconstructor
    for i, (decoder, payload, ssm) in enumerate(frames):
        try:
            prepared = decoder._prepare(payload, ssm)
        except Exception as exc:  # a bad payload or a failing codec: this frame only
            results[i] = exc
            continue
        batches.setdefault(id(decoder.reconstructor), []).append((i, prepared))
    for batch in batches.values():
        decoders = [frames[i][0] for i, _ in batch]
        rgbs = decoders[0].reconstructor.reconstruct_batch([prepared for _, prepared in batch])
        for decoder, (i, prepared), rgb in zip(decoders, batch, rgbs):
            results[i] = decoder._finish(prepared, rgb)
    return results
