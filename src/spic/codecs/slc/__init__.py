"""SLC, the SPIC label codec: lossless label maps, intra or coded against a previous map.

A context-mixing binary arithmetic coder built for label maps (docs/slc.md has the format
and the measurements). Registered as ``slc``.
"""

from spic.codecs.slc.codec import ReferenceMapError, SlcCodec, SlcHeader, read_header, reference_id

__all__ = ["ReferenceMapError", "SlcCodec", "SlcHeader", "read_header", "reference_id"]
