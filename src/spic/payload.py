"""The SemanticFrame payload as a plain dataclass with a compact binary form (``.spic`` files).

Binary layout, format version 2 (all integers little endian; docs/semantic_frame.md)::

    b"SPIC" | u8 version (2)
    | u32 sequence | u8 ssm_frame_kind | u32 ssm_reference
    | u32 width | u32 height | u16 num_classes | i16 coarse_quality
    | u32 coarse_width | u32 coarse_height | u8 downscale
    | 4 x (u8 length + ASCII): encoding, label_set, ssm_codec, coarse_codec
    | u32 len + ssm_data | u32 len + coarse_data
    | 8-byte digest

The digest is BLAKE2b with an 8-byte output (``hashlib.blake2b(digest_size=8)``, no key) of
every byte before it, magic included: all header fields and both blobs. :meth:`from_bytes`
checks magic, version and digest before it parses anything else; the SemanticFrame message
carries the same digest as a ``uint64`` (these 8 bytes read little endian). The digest detects
corruption, not forgery. Only :data:`FORMAT_VERSION` is read: any other version is refused.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Iterable

from spic.errors import PayloadError, UnsupportedVersionError

MAGIC = b"SPIC"
FORMAT_VERSION = 2
#: ``ssm_frame_kind`` values: a self-contained map, or one coded against an earlier frame's.
SSM_INTRA, SSM_INTER = 0, 1
DIGEST_SIZE = 8
_FIXED = struct.Struct("<BIBIIIHhIIB")
_LENGTH = struct.Struct("<I")
_MAX_ID_LEN = 64
_U32 = 2**32


def check_version(version: int) -> None:
    """Raise :class:`UnsupportedVersionError` unless ``version`` is :data:`FORMAT_VERSION`."""
    if version != FORMAT_VERSION:
        raise UnsupportedVersionError(f"unsupported payload version {version}; this decoder "
                                      f"reads version {FORMAT_VERSION} only")


def compute_digest(parts: Iterable[bytes]) -> bytes:
    """The payload digest (BLAKE2b, 8 bytes) of the serialised parts before it."""
    hasher = hashlib.blake2b(digest_size=DIGEST_SIZE)
    for part in parts:
        hasher.update(part)
    return hasher.digest()


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
    sequence: int = 0             # encoder frame counter (wraps at 2**32)
    ssm_frame_kind: int = SSM_INTRA
    ssm_reference: int = 0        # sequence of the frame whose map is needed; = sequence if intra
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
        check_version(self.version)
        if not (0 <= self.sequence < _U32 and 0 <= self.ssm_reference < _U32):
            raise PayloadError(f"sequence {self.sequence} or reference {self.ssm_reference} "
                               f"is not a u32")
        if self.ssm_frame_kind == SSM_INTRA:
            if self.ssm_reference != self.sequence:
                raise PayloadError(f"intra SSM of frame {self.sequence} names reference "
                                   f"{self.ssm_reference} (must be its own sequence)")
        elif self.ssm_frame_kind == SSM_INTER:
            if self.ssm_reference == self.sequence:
                raise PayloadError(f"inter SSM of frame {self.sequence} references itself")
        else:
            raise PayloadError(f"unknown SSM frame kind {self.ssm_frame_kind}")
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

    def _parts(self) -> list[bytes]:
        """The serialised form before the digest, as a list of byte strings."""
        try:
            parts = [MAGIC, _FIXED.pack(self.version, self.sequence, self.ssm_frame_kind,
                                        self.ssm_reference, self.width, self.height,
                                        self.num_classes, self.coarse_quality, self.coarse_width,
                                        self.coarse_height, self.downscale)]
            for text in (self.encoding, self.label_set, self.ssm_codec, self.coarse_codec):
                raw = text.encode("ascii")
                if len(raw) > _MAX_ID_LEN:
                    raise PayloadError(f"identifier too long: {text!r}")
                parts += [bytes([len(raw)]), raw]
            for blob in (self.ssm_data, self.coarse_data):
                parts += [_LENGTH.pack(len(blob)), bytes(blob)]
        except (struct.error, UnicodeEncodeError) as exc:
            raise PayloadError(f"payload field out of range: {exc}") from exc
        return parts

    def digest(self) -> bytes:
        """The 8-byte integrity digest of this payload's serialised form."""
        return compute_digest(self._parts())

    def check_digest(self, digest: bytes) -> None:
        """Raise :class:`PayloadError` unless ``digest`` is this payload's digest."""
        actual = self.digest()
        if bytes(digest) != actual:
            raise PayloadError(f"integrity check failed: digest {bytes(digest).hex()} does not "
                               f"match the content ({actual.hex()}); corrupt payload")

    def to_bytes(self) -> bytes:
        parts = self._parts()
        return b"".join(parts) + compute_digest(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SemanticPayload":
        """Parse the binary form; raises :class:`PayloadError` on any malformation.

        Magic, version and digest are checked first: nothing corrupt is parsed further.
        """
        view = memoryview(data)
        if bytes(view[:4]) != MAGIC:
            raise PayloadError("not a SPIC payload (bad magic)")
        if len(view) < 5 + DIGEST_SIZE:
            raise PayloadError(f"truncated payload ({len(view)} bytes)")
        check_version(view[4])
        body, stored = view[:-DIGEST_SIZE], bytes(view[-DIGEST_SIZE:])
        if compute_digest([body]) != stored:
            raise PayloadError("integrity check failed: the digest does not match the content "
                               "(corrupt or truncated payload)")
        payload = cls._parse(body)
        payload.validate()
        return payload

    @classmethod
    def _parse(cls, view: memoryview) -> "SemanticPayload":
        """Fields of a digest-checked body (magic to the end of the coarse blob)."""
        pos = len(MAGIC)
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
                (n,) = _LENGTH.unpack_from(view, pos)
                pos += _LENGTH.size
                if pos + n > len(view):
                    raise PayloadError("truncated payload data")
                blobs.append(bytes(view[pos: pos + n]))
                pos += n
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            raise PayloadError(f"truncated or corrupt payload: {exc}") from exc
        if pos != len(view):
            raise PayloadError(f"{len(view) - pos} trailing bytes before the digest")
        (version, sequence, kind, reference, width, height, num_classes, quality, cw, ch,
         downscale) = fixed
        return cls(width=width, height=height, encoding=texts[0], label_set=texts[1],
                   num_classes=num_classes, ssm_codec=texts[2], ssm_data=blobs[0],
                   coarse_codec=texts[3], coarse_quality=quality, coarse_width=cw,
                   coarse_height=ch, downscale=downscale, coarse_data=blobs[1],
                   sequence=sequence, ssm_frame_kind=kind, ssm_reference=reference,
                   version=version)
