"""JPEG 2000 (OpenJPEG through imagecodecs), written as a bare J2K codestream.

``quality`` is OpenJPEG's fixed-quality target: the PSNR in dB the encoder aims for
(higher = more bytes; about 20..45 spans 0.01..2 bpp on CamVid frames).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec, check_size
from spic.errors import CodecError

#: SOC marker followed by the SIZ marker: every J2K codestream starts with these.
_J2K_START = b"\xff\x4f\xff\x51"
#: The SIZ segment after SOC + SIZ marker + Lsiz + Rsiz: Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz,
#: XTOsiz, YTOsiz (u32), Csiz (u16), then Ssiz, XRsiz, YRsiz (u8) per component; big endian.
_SIZ = struct.Struct(">IIIIIIIIH")
_SIZ_OFFSET = 8
_COMPONENT = struct.Struct(">BBB")
#: Ssiz of an unsigned 8-bit component, and the component counts decoded (gray, RGB).
_UINT8 = 7
_COMPONENTS = (1, 3)
#: Decoders allocate state per tile (~12 kB for 3 components): a 178-byte file of 1x1 tiles
#: would cost 0.75 GB. This encoder writes one tile; other encoders a handful.
MAX_TILES = 256
DEFAULT_PSNR_TARGET = 35


@dataclass(frozen=True)
class SizInfo:
    """What a J2K codestream's SIZ marker declares."""

    width: int
    height: int
    tiles: int
    components: tuple[tuple[int, int, int], ...]  # (Ssiz, XRsiz, YRsiz) per component


def read_siz(data: bytes) -> SizInfo:
    """The SIZ marker of a J2K codestream, read without decoding."""
    if len(data) < _SIZ_OFFSET + _SIZ.size or not data.startswith(_J2K_START):
        raise CodecError("jpeg2000: not a J2K codestream (missing SOC/SIZ markers)")
    xsiz, ysiz, xosiz, yosiz, xtsiz, ytsiz, xtosiz, ytosiz, csiz = _SIZ.unpack_from(data, _SIZ_OFFSET)
    start = _SIZ_OFFSET + _SIZ.size
    if xsiz <= xosiz or ysiz <= yosiz or not xtsiz or not ytsiz or xtosiz > xosiz or ytosiz > yosiz:
        raise CodecError("jpeg2000: invalid image or tile geometry in the SIZ marker")
    if len(data) < start + _COMPONENT.size * csiz:
        raise CodecError("jpeg2000: truncated SIZ marker")
    tiles = -(-(xsiz - xtosiz) // xtsiz) * -(-(ysiz - ytosiz) // ytsiz)
    components = tuple(_COMPONENT.unpack_from(data, start + _COMPONENT.size * i)
                       for i in range(csiz))
    return SizInfo(xsiz - xosiz, ysiz - yosiz, tiles, components)


def check_siz(siz: SizInfo, max_pixels: int) -> None:
    """Refuse, before decoding, what :class:`Jpeg2000Codec` would not return or that costs
    more than the image: other component counts, depths or subsampling, many tiles."""
    check_size(siz.width, siz.height, max_pixels, "jpeg2000")
    if len(siz.components) not in _COMPONENTS:
        raise CodecError(f"jpeg2000: {len(siz.components)} components declared; only "
                         f"{' or '.join(map(str, _COMPONENTS))} are supported")
    if any(c != (_UINT8, 1, 1) for c in siz.components):
        raise CodecError("jpeg2000: only unsigned 8-bit components without subsampling are "
                         "supported")
    if siz.tiles > MAX_TILES:
        raise CodecError(f"jpeg2000: {siz.tiles} tiles declared (limit {MAX_TILES})")


class Jpeg2000Codec(ImageCodec):
    """Lossy JPEG 2000 at a target PSNR (``quality`` in dB, default 35)."""

    name = "jpeg2000"
    lossless = False
    channels = (1, 3)

    def __init__(self, quality: int | None = None) -> None:
        super().__init__(quality)
        target = DEFAULT_PSNR_TARGET if quality is None else int(quality)
        if not 1 <= target <= 100:
            raise CodecError(f"jpeg2000: quality (target PSNR dB) must be 1..100, got {target}")
        self.target_psnr = target

    def encode(self, image: np.ndarray) -> bytes:
        import imagecodecs

        self.check_input(image)
        return bytes(imagecodecs.jpeg2k_encode(np.ascontiguousarray(image),
                                               level=self.target_psnr,
                                               codecformat=imagecodecs.JPEG2K.CODEC.J2K))

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        import imagecodecs

        siz = read_siz(data)
        check_siz(siz, max_pixels)
        try:
            image = imagecodecs.jpeg2k_decode(data)
        except Exception as exc:  # imagecodecs raises its own error types on corrupt data
            raise CodecError(f"jpeg2000: cannot decode: {exc}") from exc
        if image.dtype != np.uint8 or image.shape[:2] != (siz.height, siz.width) or (
                image.ndim == 3 and image.shape[2] != 3):
            raise CodecError(f"jpeg2000: unsupported decoded image {image.dtype} {image.shape}")
        return image
