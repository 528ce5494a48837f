"""``SlcCodec``: the registry-facing wrapper around the native ``_slc`` module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec, check_size
from spic.codecs.slc import _slc
from spic.errors import CodecError


class ReferenceMapError(CodecError):
    """An inter map was decoded without its reference map, or with a different one.

    ``needed_id`` is the reference identifier the map names, ``given_id`` that of the map
    passed (``None`` when none was).
    """

    def __init__(self, message: str, needed_id: int, given_id: int | None) -> None:
        super().__init__(message)
        self.needed_id = needed_id
        self.given_id = given_id


@dataclass(frozen=True)
class SlcHeader:
    """What an SLC map declares: its size, and for an inter map the reference it needs."""

    width: int
    height: int
    inter: bool
    reference_id: int | None


def _bytes(data: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecError("slc: expected bytes")
    return bytes(data)


def read_header(data: bytes) -> SlcHeader:
    """The header of an SLC map; raises :class:`CodecError` when it is not one."""
    try:
        fields = _slc.read_header(_bytes(data))
    except ValueError as exc:
        raise CodecError(f"slc: {exc}") from None
    return SlcHeader(fields["width"], fields["height"], fields["inter"],
                     fields["reference_id"] if fields["inter"] else None)


def _label_map(labels: np.ndarray, what: str) -> np.ndarray:
    if not isinstance(labels, np.ndarray) or labels.dtype != np.uint8 or labels.ndim != 2 or 0 in labels.shape:
        raise CodecError(f"slc: {what} must be a non-empty H x W uint8 array, got "
                         f"{getattr(labels, 'dtype', type(labels).__name__)} {getattr(labels, 'shape', '')}")
    return np.ascontiguousarray(labels)


def reference_id(labels: np.ndarray) -> int:
    """The identifier an inter map stores for ``labels`` as its reference (a CRC-32 of the
    size and the labels)."""
    labels = _label_map(labels, "the reference")
    return _slc.reference_id(labels, labels.shape[1], labels.shape[0])


class SlcCodec(ImageCodec):
    """Lossless H x W uint8 label maps; ``encode(labels, reference=previous)`` codes a map
    against the previous one (inter), ``decode(data, reference=previous)`` decodes it.

    With a reference the encoder writes the smallest of: inter with a searched motion
    field, inter with zero motion and, when ``intra_fallback`` (default), intra; the
    header (:func:`read_header`) says which. Every map carries a CRC-32 of its labels that
    ``decode`` verifies. ``quality`` is ignored (always lossless).
    """

    name: ClassVar[str] = "slc"
    lossless: ClassVar[bool] = True
    checked: ClassVar[bool] = True
    inter: ClassVar[bool] = True
    channels: ClassVar[tuple[int, ...]] = (1,)

    def __init__(self, quality: int | None = None, intra_fallback: bool | int | str = True) -> None:
        super().__init__(quality)
        if str(intra_fallback).lower() not in ("true", "false", "1", "0"):
            raise CodecError(f"slc: option intra_fallback={intra_fallback!r} is not a boolean")
        self.intra_fallback = str(intra_fallback).lower() in ("true", "1")

    def _encode(self, labels: np.ndarray, reference: np.ndarray | None, search_motion: bool) -> bytes:
        try:
            return _slc.encode(labels, labels.shape[1], labels.shape[0], reference, search_motion)
        except ValueError as exc:
            raise CodecError(f"slc: {exc}") from None

    def encode(self, image: np.ndarray, reference: np.ndarray | None = None) -> bytes:
        self.check_input(image)
        labels = np.ascontiguousarray(image)
        if reference is None:
            return self._encode(labels, None, False)
        reference = _label_map(reference, "the reference")
        if reference.shape != labels.shape:
            raise CodecError(f"slc: the reference is {reference.shape}, the map {labels.shape}")
        candidates = [self._encode(labels, reference, True), self._encode(labels, reference, False)]
        if self.intra_fallback:
            candidates.append(self._encode(labels, None, False))
        return min(candidates, key=len)

    def is_inter(self, data: bytes) -> bool:
        return read_header(data).inter

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS,
               reference: np.ndarray | None = None) -> np.ndarray:
        """Decode a map; an inter map needs ``reference``, the exact map it was coded
        against (:class:`ReferenceMapError` otherwise). An intra map ignores it."""
        data = _bytes(data)
        header = read_header(data)
        check_size(header.width, header.height, max_pixels, self.name)
        if header.inter:
            given = None if reference is None else reference_id(reference)
            if given != header.reference_id:
                what = "no reference was given" if given is None else f"the given one is {given:08x}"
                raise ReferenceMapError(f"slc: this inter map needs reference map {header.reference_id:08x}, "
                                        f"{what}", header.reference_id, given)
            reference = np.ascontiguousarray(reference)
        try:
            width, height, pixels = _slc.decode(data, max_pixels, reference if header.inter else None)
        except ValueError as exc:
            raise CodecError(f"slc: {exc}") from None
        return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width)
