"""Exceptions shared by the core. All are ``ValueError``s: bad input, never a crash."""


class SpicError(ValueError):
    """Base class for every error the core raises on bad input."""


class CodecError(SpicError):
    """A payload could not be encoded or decoded (corrupt, truncated, unsupported)."""


class ImageTooLargeError(CodecError):
    """Declared dimensions exceed the configured pixel limit (checked before allocating)."""


class UnsupportedInputError(SpicError):
    """Valid input this component does not handle (e.g. a model trained on another label set)."""


class PayloadError(SpicError):
    """A SemanticFrame payload is malformed, inconsistent or fails its integrity check."""


class UnsupportedVersionError(PayloadError):
    """The payload is in a format version this decoder does not read."""


class MissingReferenceError(PayloadError):
    """An inter-coded SSM needs the map of an earlier frame that the decoder does not have."""


class CodecNotAllowedError(PayloadError):
    """The payload names a codec the decoder refuses (unknown, not allow-listed, or an SSM
    codec that is not lossless with an integrity check)."""


class FrameTooLargeError(PayloadError):
    """The declared frame is above the decoder's pixel limit, out of proportion with its coded
    bytes, or a part declares a larger image than the frame header (refused before decoding)."""
