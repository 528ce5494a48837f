"""Codec registry: lossless codecs for semantic maps, lossy codecs for coarse images.

``CODECS.create(name, quality=q)`` returns an :class:`ImageCodec`. Heavy codecs are
registered lazily so importing this package stays cheap.
"""

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec
from spic.registry import Registry

CODECS: Registry[ImageCodec] = Registry("codec")

CODECS.register_lazy("png", "spic.codecs.pillow_codecs:PngCodec")
CODECS.register_lazy("webp-lossless", "spic.codecs.pillow_codecs:WebpLosslessCodec")
CODECS.register_lazy("webp", "spic.codecs.pillow_codecs:WebpCodec")
CODECS.register_lazy("jpeg", "spic.codecs.pillow_codecs:JpegCodec")
CODECS.register_lazy("bpg", "spic.codecs.bpg:BpgCodec")
CODECS.register_lazy("flif", "spic.codecs.flif:FlifCodec")
CODECS.register_lazy("slc", "spic.codecs.slc:SlcCodec")
CODECS.register_lazy("jxl", "spic.codecs.jxl:JxlCodec")
CODECS.register_lazy("jpeg2000", "spic.codecs.jpeg2000:Jpeg2000Codec")


def create_codec(name: str, quality: int | None = None, **options) -> ImageCodec:
    """Instantiate a registered codec with its quality and codec-specific options."""
    return CODECS.create(name, quality=quality, **options)


__all__ = ["CODECS", "DEFAULT_MAX_PIXELS", "ImageCodec", "create_codec"]
