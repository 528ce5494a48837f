"""FLIF (Free Lossless Image Format) for 8-bit label maps, with a native C core.

The format follows FLIF-hub/FLIF-doc ``spec/spec.md``; files interoperate with the
reference ``flif`` 0.3/0.4 tools in both directions (8-bit grayscale).
"""

from spic.codecs.flif.codec import FlifCodec

__all__ = ["FlifCodec"]
