"""The SemanticFrame payload as a plain dataclass with a compact binary form (``.spic`` files).

Binary layout (little endian)::

    b"SPIC" | u8 version | u32 width | u32 height | u16 num_classes | i16 coarse_quality
    | u32 coarse_width | u32 coarse_height | u8 downscale
    | 4 x (u8 length + ASCII): encoding, label_set, ssm_codec, coarse_codec
    | u32 len + ssm_data | u32 len + coarse_data
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from spic.errors import PayloadError

MAGIC = b"SPIC"
FORMAT_VERSION = 1
_FIXED = struct.Struct("<BIIHhIIB")
_MAX_ID_LEN = 64


@dataclass(frozen=True)
class SemanticPayload:
    """Everything a remote decoder needs to rebuild one frame, self-described."""

    width: int
    height: int
    encoding: str
    label_set: str
    num_classes: int
    ssm_codec: str
    ssm_data: bytes
    coarse_codec: str
    coarse_quality: int
    coarse_width: int
    coarse_height: int
    downscale: int
    coarse_data: bytes
    version: int = FORMAT_VERSION

    @property
    def num_bytes(self) -> int:
        """Bytes of coded content (SSM + coarse), the rate that bpp is computed from."""
        return len(self.ssm_data) + len(self.coarse_data)

    def bpp(self) -> dict[str, float]:
        """Bits per original pixel, split into SSM, coarse and total."""
        pixels = max(1, self.width * self.height)
        ssm, coarse = 8 * len(self.ssm_data) / pixels, 8 * len(self.coarse_data) / pixels
        return {"ssm": ssm, "coarse": coarse, "total": ssm + coarse}

    def validate(self) -> None:
        """Check internal consistency; raises :class:`PayloadError`."""
        if self.version != FORMAT_VERSION:
            raise PayloadError(f"unsupported payload version {self.version}")
        if self.width <= 0 or self.height <= 0:
            raise PayloadError(f"invalid frame size {self.width}x{self.height}")
        if self.downscale <= 0:
            raise PayloadError(f"invalid downscale factor {self.downscale}")
        expected = (-(-self.width // self.downscale), -(-self.height // self.downscale))
        if (self.coarse_width, self.coarse_height) != expected:
            raise PayloadError(
                f"coarse size {self.coarse_width}x{self.coarse_height} disagrees with frame "
                f"{self.width}x{self.height} / {self.downscale} (expected {expected[0]}x{expected[1]})"
            )
        if not 0 < self.num_classes < 256:
            raise PayloadError(f"invalid number of classes {self.num_classes}")

    def to_bytes(self) -> bytes:
        parts = [MAGIC, _FIXED.pack(self.version, self.width, self.height, self.num_classes,
                                    self.coarse_quality, self.coarse_width, self.coarse_height,
                                    self.downscale)]
        for text in (self.encoding, self.label_set, self.ssm_codec, self.coarse_codec):
            raw = text.encode("ascii")
            if len(raw) > _MAX_ID_LEN:
                raise PayloadError(f"identifier too long: {text!r}")
            parts += [bytes([len(raw)]), raw]
        for blob in (self.ssm_data, self.coarse_data):
            parts += [struct.pack("<I", len(blob)), bytes(blob)]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SemanticPayload":
        """Parse the binary form; raises :class:`PayloadError` on any malformation."""
        view = memoryview(data)
        if bytes(view[:4]) != MAGIC:
            raise PayloadError("not a SPIC payload (bad magic)")
        pos = 4
        try:
            fixed = _FIXED.unpack_from(view, pos)
            pos += _FIXED.size
            texts = []
            for _ in range(4):
                n = view[pos]
                texts.append(bytes(view[pos + 1: pos + 1 + n]).decode("ascii"))
                if len(texts[-1]) != n:
                    raise PayloadError("truncated identifier")
                pos += 1 + n
            blobs = []
            for _ in range(2):
                (n,) = struct.unpack_from("<I", view, pos)
                pos += 4
                if pos + n > len(view):
                    raise PayloadError("truncated payload data")
                blobs.append(bytes(view[pos: pos + n]))
                pos += n
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            raise PayloadError(f"truncated or corrupt payload: {exc}") from exc
        if pos != len(view):
            raise PayloadError(f"{len(view) - pos} trailing bytes after payload")
        version, width, height, num_classes, quality, cw, ch, downscale = fixed
        payload = cls(width=width, height=height, encoding=texts[0], label_set=texts[1],
                      num_classes=num_classes, ssm_codec=texts[2], ssm_data=blobs[0],
                      coarse_codec=texts[3], coarse_quality=quality, coarse_width=cw,
                      coarse_height=ch, downscale=downscale, coarse_data=blobs[1],
                      version=version)
        payload.validate()
        return payload
