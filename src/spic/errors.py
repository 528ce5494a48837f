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
    """A SemanticFrame payload is malformed or inconsistent."""
