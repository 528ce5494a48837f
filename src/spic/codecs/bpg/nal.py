"""HEVC NAL units: split Annex-B streams, check BPG's picture data, rejoin it for decoders."""

from __future__ import annotations

import re

from spic.codecs.bpg.parameter_sets import START_CODE
from spic.errors import CodecError

VPS, SPS, PPS, AUD, EOS, EOB, FD, SEI_PREFIX, SEI_SUFFIX = 32, 33, 34, 35, 36, 37, 38, 39, 40
#: Slice types an intra-only BPG picture may contain (IDR_W_RADL, IDR_N_LP).
IDR_SLICES = (19, 20)

_START = re.compile(b"\x00\x00\x01")


def nal_type(nal: bytes) -> int:
    return (nal[0] >> 1) & 0x3F


def split_annexb(stream: bytes) -> list[bytes]:
    """The NAL units of an Annex-B byte stream, without start codes or zero padding."""
    starts = [m.end() for m in _START.finditer(stream)]
    nals = []
    for begin, end in zip(starts, starts[1:] + [len(stream) + 3]):
        nal = stream[begin:end - 3].rstrip(b"\x00")
        if nal:
            nals.append(nal)
    return nals


def split_bpg_data(hevc_data: bytes) -> list[bytes]:
    """The NAL units of BPG ``hevc_data`` (the first one has no start code)."""
    return split_annexb(START_CODE + hevc_data)


def join_bpg_data(nals: list[bytes]) -> bytes:
    """BPG ``hevc_data``: NAL units joined by 3-byte start codes, the first without."""
    return START_CODE.join(nals)


def check_picture_nals(nals: list[bytes]) -> None:
    """Refuse picture data that is not one layer-0 intra picture with its PPS."""
    if not nals:
        raise CodecError("bpg: empty HEVC picture data")
    kinds = []
    for nal in nals:
        if len(nal) < 3 or nal[0] & 0x80 or (nal[0] & 1) or (nal[1] >> 3) or (nal[1] & 7) != 1:
            raise CodecError("bpg: malformed NAL unit header in the picture data")
        kinds.append(nal_type(nal))
    if kinds[0] != PPS:
        raise CodecError("bpg: picture data must start with a PPS NAL unit")
    if VPS in kinds or SPS in kinds:
        raise CodecError("bpg: picture data must not contain VPS/SPS NAL units")
    allowed = {PPS, SEI_PREFIX, SEI_SUFFIX, *IDR_SLICES}
    if not set(kinds) <= allowed or not any(k in IDR_SLICES for k in kinds):
        raise CodecError(f"bpg: picture data must be one intra picture, got NAL types {kinds}")
