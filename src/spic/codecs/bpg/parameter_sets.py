"""BPG's compact ``hevc_header`` and the HEVC VPS/SPS it stands for (H.265 7.3.2).

A BPG file keeps only the SPS fields that vary between encoders; everything else is
fixed by the spec (ids 0, one layer, no scaling lists, ...). :func:`compact_from_sps`
reduces a real SPS to that header (checking the stream fits it) and
:func:`build_parameter_sets` expands it back into a VPS + SPS a standard decoder accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from spic.codecs.bpg.bitstream import (BitReader, BitWriter, add_emulation_prevention,
                                       read_ue7, remove_emulation_prevention, write_ue7)
from spic.errors import CodecError

START_CODE = b"\x00\x00\x01"
#: Range-extension flags BPG forbids: extended precision, high-precision offsets,
#: cabac bypass alignment, explicit rdpcm (in ``sps_range_extension`` bit order).
_FORBIDDEN_RANGE_FLAGS = (1 << 5) | (1 << 4) | (1 << 2) | (1 << 0)


@dataclass(frozen=True)
class Pcm:
    """PCM sample parameters of the SPS."""

    bit_depth_luma_minus1: int
    bit_depth_chroma_minus1: int
    log2_min_size_minus3: int
    log2_diff_max_min_size: int
    loop_filter_disabled: bool


@dataclass(frozen=True)
class CompactSps:
    """The ``hevc_header`` of a BPG file: the SPS fields BPG stores explicitly."""

    log2_min_cb_size_minus3: int
    log2_diff_max_min_cb_size: int
    log2_min_tb_size_minus2: int
    log2_diff_max_min_tb_size: int
    max_transform_hierarchy_depth_intra: int
    sao_enabled: bool
    pcm: Pcm | None
    strong_intra_smoothing: bool
    #: The 9 ``sps_range_extension`` flags (MSB first), None when absent.
    range_extension_flags: int | None = None
    #: ``sps_extension_present_flag``: the range extension (or none) follows.
    extension_present: bool = False

    @property
    def min_cb_size(self) -> int:
        return 1 << (self.log2_min_cb_size_minus3 + 3)

    def validate(self) -> None:
        """Refuse block sizes no HEVC decoder accepts (before building an SPS)."""
        log2_min_cb = self.log2_min_cb_size_minus3 + 3
        log2_ctb = log2_min_cb + self.log2_diff_max_min_cb_size
        log2_min_tb = self.log2_min_tb_size_minus2 + 2
        log2_max_tb = log2_min_tb + self.log2_diff_max_min_tb_size
        if not (log2_min_cb <= 6 and 4 <= log2_ctb <= 6 and log2_min_tb < log2_min_cb
                and log2_max_tb <= min(5, log2_ctb)
                and self.max_transform_hierarchy_depth_intra <= log2_ctb - log2_min_tb):
            raise CodecError("bpg: hevc_header declares invalid block sizes")
        if self.pcm is not None:
            log2_min_pcm = self.pcm.log2_min_size_minus3 + 3
            if not (log2_min_pcm + self.pcm.log2_diff_max_min_size <= min(5, log2_ctb)):
                raise CodecError("bpg: hevc_header declares invalid PCM block sizes")
        if self.range_extension_flags is not None and (
                self.range_extension_flags & _FORBIDDEN_RANGE_FLAGS):
            raise CodecError("bpg: hevc_header uses range extensions BPG forbids")

    def to_bytes(self) -> bytes:
        """``hevc_header_length`` (ue7) followed by the header bits, byte aligned."""
        w = BitWriter()
        w.ue(self.log2_min_cb_size_minus3)
        w.ue(self.log2_diff_max_min_cb_size)
        w.ue(self.log2_min_tb_size_minus2)
        w.ue(self.log2_diff_max_min_tb_size)
        w.ue(self.max_transform_hierarchy_depth_intra)
        w.flag(self.sao_enabled)
        _write_pcm(w, self.pcm)
        w.flag(self.strong_intra_smoothing)
        _write_extension(w, self)
        body = w.to_bytes()
        return write_ue7(len(body)) + body


def parse_compact(data: bytes, pos: int, end: int) -> tuple[CompactSps, int]:
    """Read the ``hevc_header`` at ``pos``; returns it and the offset of ``hevc_data``."""
    length, pos = read_ue7(data, pos, "hevc_header_length")
    if pos + length > end:
        raise CodecError("bpg: hevc_header runs past the picture data")
    r = BitReader(data[pos:pos + length])
    fields = [r.ue() for _ in range(5)]
    sao = r.flag()
    pcm = _read_pcm(r)
    strong = r.flag()
    extension_present, range_flags = _read_extension(r)
    if r.bits_left >= 8 or (r.bits_left and r.bits(r.bits_left)):
        raise CodecError("bpg: hevc_header has bad trailing bits")
    compact = CompactSps(*fields, sao, pcm, strong, range_flags, extension_present)
    compact.validate()
    return compact, pos + length


def build_parameter_sets(compact: CompactSps, width: int, height: int,
                         chroma_format_idc: int, bit_depth: int) -> bytes:
    """Annex-B VPS + SPS NAL units equivalent to a BPG picture's header."""
    profile_idc = 1 if chroma_format_idc == 1 and bit_depth == 8 and not \
        compact.extension_present else 4
    return (START_CODE + _vps(profile_idc)
            + START_CODE + _sps(compact, width, height, chroma_format_idc, bit_depth,
                                profile_idc))


def compact_from_sps(nal: bytes) -> tuple[CompactSps, dict]:
    """Parse an encoder's SPS NAL (without start code) and reduce it to BPG's header.

    Raises :class:`CodecError` when the stream cannot be carried by a BPG header.
    Also returns the SPS fields BPG derives (``chroma_format_idc``, sizes, bit depth)
    so the caller can check them against the file header.
    """
    r = BitReader(remove_emulation_prevention(nal))
    if (r.bits(16) >> 9) & 0x3F != 33:
        raise CodecError("bpg: expected an SPS NAL unit")
    _require(r.bits(4) == 0, "sps_video_parameter_set_id must be 0")
    _require(r.bits(3) == 0, "only one sub-layer is allowed")
    r.bits(1)
    r.bits(96)  # profile_tier_level without sub-layers
    _require(r.ue() == 0, "sps_seq_parameter_set_id must be 0")
    derived = {"chroma_format_idc": r.ue()}
    if derived["chroma_format_idc"] == 3:
        _require(not r.flag(), "separate_colour_plane_flag must be 0")
    derived["width"], derived["height"] = r.ue(), r.ue()
    derived["conformance_window"] = [r.ue() for _ in range(4)] if r.flag() else [0] * 4
    derived["bit_depth"] = r.ue() + 8
    _require(r.ue() + 8 == derived["bit_depth"], "luma and chroma bit depths must match")
    r.ue()  # log2_max_pic_order_cnt_lsb_minus4: unused by IDR-only pictures
    r.flag()  # sps_sub_layer_ordering_info_present_flag: one sub-layer either way
    r.ue(), r.ue(), r.ue()
    log2_fields = [r.ue() for _ in range(4)]
    depth_inter, depth_intra = r.ue(), r.ue()
    _require(depth_inter == depth_intra, "transform hierarchy depths must be equal")
    _require(not r.flag(), "scaling lists are not allowed")
    _require(r.flag(), "AMP must be enabled")
    sao = r.flag()
    pcm = _read_pcm(r)
    _require(r.ue() == 0, "no short-term reference picture sets are allowed")
    _require(not r.flag(), "no long-term reference pictures are allowed")
    r.flag()  # sps_temporal_mvp_enabled_flag: unused by intra pictures
    strong = r.flag()
    if r.flag():
        _skip_vui(r)
    extension_present, range_flags = _read_extension(r)
    compact = CompactSps(*log2_fields, depth_intra, sao, pcm, strong, range_flags,
                         extension_present)
    compact.validate()
    return compact, derived


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CodecError(f"bpg: HEVC stream does not fit a BPG header: {message}")


def _read_pcm(r: BitReader) -> Pcm | None:
    if not r.flag():
        return None
    return Pcm(r.bits(4), r.bits(4), r.ue(), r.ue(), r.flag())


def _write_pcm(w: BitWriter, pcm: Pcm | None) -> None:
    w.flag(pcm is not None)
    if pcm is not None:
        w.bits(4, pcm.bit_depth_luma_minus1)
        w.bits(4, pcm.bit_depth_chroma_minus1)
        w.ue(pcm.log2_min_size_minus3)
        w.ue(pcm.log2_diff_max_min_size)
        w.flag(pcm.loop_filter_disabled)


def _read_extension(r: BitReader) -> tuple[bool, int | None]:
    if not r.flag():
        return False, None
    has_range = r.flag()
    if r.bits(7):
        raise CodecError("bpg: only the SPS range extension is allowed")
    return True, r.bits(9) if has_range else None


def _write_extension(w: BitWriter, compact: CompactSps) -> None:
    w.flag(compact.extension_present)
    if compact.extension_present:
        w.flag(compact.range_extension_flags is not None)
        w.bits(7, 0)
        if compact.range_extension_flags is not None:
            w.bits(9, compact.range_extension_flags)


def _skip_vui(r: BitReader) -> None:
    """Skip VUI; refuse the parts BPG cannot express except the video signal type
    (x265 always writes one; BPG keeps the range in its own header)."""
    if r.flag() and r.bits(8) == 255:  # aspect_ratio_info
        r.bits(32)
    if r.flag():  # overscan_info_present_flag
        r.flag()
    if r.flag():  # video_signal_type_present_flag
        r.bits(4)
        if r.flag():
            r.bits(24)
    if r.flag():  # chroma_loc_info_present_flag
        r.ue(), r.ue()
    r.bits(3)  # neutral_chroma, field_seq, frame_field_info
    _require(not r.flag(), "no default display window is allowed")
    if r.flag():  # vui_timing_info_present_flag
        r.bits(64)
        if r.flag():
            r.ue()
        _require(not r.flag(), "no HRD parameters are allowed")
    if r.flag():  # bitstream_restriction_flag
        r.bits(3)
        for _ in range(5):
            r.ue()


def _profile_tier_level(w: BitWriter, profile_idc: int) -> None:
    w.bits(2, 0)  # general_profile_space
    w.bits(1, 0)  # general_tier_flag
    w.bits(5, profile_idc)
    w.bits(32, 1 << (31 - profile_idc))  # general_profile_compatibility_flag[]
    w.bits(4, 0b1001)  # progressive, interlaced, non_packed, frame_only
    w.bits(44, 0)  # constraint flags
    w.bits(8, 186)  # general_level_idc: 6.2, above any BPG picture


def _nal(nal_type: int, w: BitWriter) -> bytes:
    w.rbsp_trailing_bits()
    return bytes([nal_type << 1, 1]) + add_emulation_prevention(w.to_bytes())


def _vps(profile_idc: int) -> bytes:
    w = BitWriter()
    w.bits(4, 0)  # vps_video_parameter_set_id
    w.bits(2, 3)  # base layer internal + available
    w.bits(6, 0)  # vps_max_layers_minus1
    w.bits(3, 0)  # vps_max_sub_layers_minus1
    w.bits(1, 1)  # vps_temporal_id_nesting_flag
    w.bits(16, 0xFFFF)
    _profile_tier_level(w, profile_idc)
    w.flag(True)  # vps_sub_layer_ordering_info_present_flag
    w.ue(0), w.ue(0), w.ue(0)
    w.bits(6, 0)  # vps_max_layer_id
    w.ue(0)  # vps_num_layer_sets_minus1
    w.flag(False)  # vps_timing_info_present_flag
    w.flag(False)  # vps_extension_flag
    return _nal(32, w)


def _sps(compact: CompactSps, width: int, height: int, chroma_format_idc: int,
         bit_depth: int, profile_idc: int) -> bytes:
    cb = compact.min_cb_size
    w = BitWriter()
    w.bits(4, 0)  # sps_video_parameter_set_id
    w.bits(3, 0)  # sps_max_sub_layers_minus1
    w.bits(1, 1)  # sps_temporal_id_nesting_flag
    _profile_tier_level(w, profile_idc)
    w.ue(0)  # sps_seq_parameter_set_id
    w.ue(chroma_format_idc)
    if chroma_format_idc == 3:
        w.flag(False)  # separate_colour_plane_flag
    w.ue(-(-width // cb) * cb)
    w.ue(-(-height // cb) * cb)
    w.flag(False)  # conformance_window_flag: BPG crops with its own sizes
    w.ue(bit_depth - 8), w.ue(bit_depth - 8)
    w.ue(4)  # log2_max_pic_order_cnt_lsb_minus4
    w.flag(True)  # sps_sub_layer_ordering_info_present_flag
    w.ue(0), w.ue(0), w.ue(0)
    w.ue(compact.log2_min_cb_size_minus3)
    w.ue(compact.log2_diff_max_min_cb_size)
    w.ue(compact.log2_min_tb_size_minus2)
    w.ue(compact.log2_diff_max_min_tb_size)
    w.ue(compact.max_transform_hierarchy_depth_intra)  # inter
    w.ue(compact.max_transform_hierarchy_depth_intra)
    w.flag(False)  # scaling_list_enabled_flag
    w.flag(True)  # amp_enabled_flag
    w.flag(compact.sao_enabled)
    _write_pcm(w, compact.pcm)
    w.ue(0)  # num_short_term_ref_pic_sets
    w.flag(False)  # long_term_ref_pics_present_flag
    w.flag(True)  # sps_temporal_mvp_enabled_flag
    w.flag(compact.strong_intra_smoothing)
    w.flag(False)  # vui_parameters_present_flag
    _write_extension(w, compact)
    return _nal(33, w)
