"""BPG (Better Portable Graphics) on x265 and FFmpeg's HEVC decoder, through PyAV.

Modules: ``bitstream`` (bits, Exp-Golomb, ue7, emulation prevention), ``header`` (file
header), ``parameter_sets`` (compact hevc_header <-> VPS/SPS), ``nal`` (NAL units),
``x265_encoder`` / ``hevc_decoder`` (PyAV), ``color`` and ``chroma`` (libbpg's pixel
conversions), ``encoder`` / ``decoder`` (whole files) and ``codec`` (``BpgCodec``).
"""

from spic.codecs.bpg.codec import BpgCodec
from spic.codecs.bpg.decoder import decode_bpg
from spic.codecs.bpg.encoder import encode_bpg
from spic.codecs.bpg.header import BpgHeader, ColorSpace, PixelFormat, parse_header

__all__ = ["BpgCodec", "BpgHeader", "ColorSpace", "PixelFormat", "decode_bpg", "encode_bpg",
           "parse_header"]
