"""sensor_msgs/Image <-> numpy, the project's own (cv_bridge for ROS 2 is not installable here).

Every check runs on the message header before any pixel buffer is allocated.
"""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import Image

from spic.codecs import DEFAULT_MAX_PIXELS
from spic.errors import ImageTooLargeError, SpicError

#: encoding -> (channels, channel order to RGB or None for gray)
ENCODINGS: dict[str, tuple[int, tuple[int, ...] | None]] = {
    "rgb8": (3, (0, 1, 2)),
    "bgr8": (3, (2, 1, 0)),
    "rgba8": (4, (0, 1, 2)),
    "bgra8": (4, (2, 1, 0)),
    "mono8": (1, None),
}


class ImageFormatError(SpicError):
    """An Image message has an unsupported encoding or inconsistent size/step/data."""


def _pixels(msg: Image, max_pixels: int) -> np.ndarray:
    """H x W x C view of the message data after checking encoding, size, step and length."""
    if msg.encoding not in ENCODINGS:
        raise ImageFormatError(f"unsupported encoding {msg.encoding!r}; "
                               f"supported: {', '.join(ENCODINGS)}")
    channels = ENCODINGS[msg.encoding][0]
    width, height, step = int(msg.width), int(msg.height), int(msg.step)
    if width <= 0 or height <= 0:
        raise ImageFormatError(f"empty image {width}x{height}")
    if width * height > max_pixels:
        raise ImageTooLargeError(f"image {width}x{height} exceeds the limit of {max_pixels} pixels")
    row = width * channels
    if step < row:
        raise ImageFormatError(f"step {step} < width * channels = {row}")
    if len(msg.data) != step * height:
        raise ImageFormatError(f"data has {len(msg.data)} bytes, expected step * height = "
                               f"{step * height}")
    flat = np.frombuffer(msg.data, np.uint8).reshape(height, step)[:, :row]
    return flat.reshape(height, width, channels)


def image_to_rgb(msg: Image, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """H x W x 3 uint8 RGB copy of an Image in one of :data:`ENCODINGS` (mono8 is replicated).

    Raises :class:`ImageFormatError` (unsupported encoding, empty image, step or data length
    disagreeing with width/height) or :class:`ImageTooLargeError` above ``max_pixels``.
    """
    pixels = _pixels(msg, max_pixels)
    order = ENCODINGS[msg.encoding][1]
    if order is None:
        return np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels[:, :, list(order)])


def image_to_labels(msg: Image, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """H x W uint8 label map from a mono8 Image (same checks as :func:`image_to_rgb`)."""
    if msg.encoding != "mono8":
        raise ImageFormatError(f"label images must be mono8, got {msg.encoding!r}")
    return _pixels(msg, max_pixels)[:, :, 0].copy()


def array_to_image(array: np.ndarray, header=None, encoding: str | None = None) -> Image:
    """An Image message from H x W (mono8) or H x W x 3 (rgb8) uint8 data."""
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (
            array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageFormatError(f"cannot convert {array.dtype} array of shape {array.shape}")
    channels = 1 if array.ndim == 2 else array.shape[2]
    if encoding is None:
        encoding = {1: "mono8", 3: "rgb8", 4: "rgba8"}[channels]
    if encoding not in ENCODINGS or ENCODINGS[encoding][0] != channels:
        raise ImageFormatError(f"encoding {encoding!r} does not fit {channels}-channel data")
    msg = Image()
    if header is not None:
        msg.header = header
    msg.height, msg.width = int(array.shape[0]), int(array.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = msg.width * channels
    msg.data = np.ascontiguousarray(array).tobytes()
    return msg
