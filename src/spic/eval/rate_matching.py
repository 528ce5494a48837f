"""Find the codec quality whose rate lands closest to a target bpp (cf. CompressAI's find_close).

Rates are assumed monotonic in quality (either direction, detected from the ends of the
range); a bisection over integer qualities then needs ~log2(range) encodes.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from spic.codecs import create_codec


def find_close(bpp_at: Callable[[int], float], low: int, high: int,
               target: float) -> tuple[int, float]:
    """(quality, bpp) in ``low..high`` with ``bpp_at(quality)`` closest to ``target``."""
    if low > high:
        raise ValueError(f"empty quality range {low}..{high}")
    cache: dict[int, float] = {}

    def rate(q: int) -> float:
        if q not in cache:
            cache[q] = bpp_at(q)
        return cache[q]

    increasing = rate(high) >= rate(low)
    lo, hi = low, high
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (rate(mid) < target) == increasing:
            lo = mid
        else:
            hi = mid
    best = min(cache, key=lambda q: (abs(cache[q] - target), q))
    return best, cache[best]


def codec_bpp(codec: str, image: np.ndarray) -> Callable[[int], float]:
    """``quality -> bpp`` of ``codec`` on ``image`` (bits per pixel of the image itself)."""
    pixels = image.shape[0] * image.shape[1]
    return lambda q: 8 * len(create_codec(codec, quality=q).encode(image)) / pixels


def match_frame(codec: str, image: np.ndarray, target_bpp: float,
                low: int, high: int) -> tuple[int, float]:
    """Per-frame rate matching: the quality of ``codec`` closest to ``target_bpp`` on ``image``."""
    return find_close(codec_bpp(codec, image), low, high, target_bpp)


def match_dataset(codec: str, images: list[np.ndarray], target_bpp: float,
                  low: int, high: int) -> tuple[int, float]:
    """Per-dataset rate matching: one quality whose mean bpp over ``images`` is closest."""
    if not images:
        raise ValueError("no images to match the rate on")
    rates = [codec_bpp(codec, image) for image in images]
    return find_close(lambda q: float(np.mean([r(q) for r in rates])), low, high, target_bpp)


#: Valid quality ranges for rate matching per codec.
QUALITY_RANGES: dict[str, tuple[int, int]] = {
    "bpg": (0, 51),
    "jpeg2000": (15, 60),
    "jpeg": (1, 95),
    "webp": (0, 100),
    "jxl": (1, 100),
}
