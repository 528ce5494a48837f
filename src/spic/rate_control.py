"""Coarse-image rate control: hold a link's kbit/s budget (and a per-frame byte cap).

The map is lossless, so only the coarse image's quality can move. Per frame the controller
gives the coarse image what the budget leaves after the map and the message overhead,
picks the best quality predicted to fit (a BPG QP step of 6 about halves the bytes, fitted
to the last frame's real size), encodes, and re-encodes at a worse quality while it does not
fit. A leaky bucket carries each frame's surplus or debt over the next second of frames, so
the mean rate converges to the target. Frames that cannot fit even at the floor quality are
sent at the floor and counted: an impossible budget is reported, never silently exceeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

#: Coarse quality knob per codec: (best, worst) setting; BPG's is the QP (lower = better).
QUALITY_SPANS: dict[str, tuple[int, int]] = {"bpg": (0, 51), "jpeg": (95, 1), "webp": (100, 0)}
#: Relative size change per quality step, the controller's starting model (BPG: 2^(1/6)).
STEP_RATIO: dict[str, float] = {"bpg": 2 ** (1 / 6), "jpeg": 1.06, "webp": 1.04}
#: Encodes per frame at most (the first one is usually on target).
MAX_ENCODES = 4


@dataclass(frozen=True)
class RateBudget:
    """What a link allows. ``target_kbps`` 0 and ``max_frame_bytes`` 0: no control."""

    target_kbps: float = 0.0
    #: Camera rate the kbit/s budget is spread over (frames per second).
    frame_rate: float = 10.0
    #: Every SemanticFrame (serialised, header included) at most this many bytes; 0: no cap.
    max_frame_bytes: int = 0
    #: The worst coarse quality the controller may use (BPG QP; higher = fewer bytes).
    floor_quality: int = 51

    @property
    def enabled(self) -> bool:
        return self.target_kbps > 0 or self.max_frame_bytes > 0

    def validate(self, codec: str) -> None:
        if self.target_kbps < 0 or self.max_frame_bytes < 0:
            raise ValueError("target_kbps and max_frame_bytes must be >= 0")
        if self.enabled and codec not in QUALITY_SPANS:
            raise ValueError(f"rate control needs a coarse codec with a quality knob "
                             f"({', '.join(QUALITY_SPANS)}), got {codec!r}")
        if self.target_kbps > 0 and not self.frame_rate > 0:
            raise ValueError("frame_rate must be > 0 with target_kbps")
        best, worst = QUALITY_SPANS.get(codec, (0, 51))
        if self.enabled and not min(best, worst) <= self.floor_quality <= max(best, worst):
            raise ValueError(f"floor_quality {self.floor_quality} is outside {codec}'s "
                             f"quality range {best}..{worst}")


@dataclass
class RateDecision:
    """The coarse image chosen for one frame."""

    quality: int
    data: bytes
    budget_bytes: float  # what the frame was allowed (serialised); inf when uncapped
    frame_bytes: int     # what it took
    encodes: int
    fits: bool


class CoarseRateController:
    """Chooses the coarse quality of each frame so that frames fit ``budget``."""

    def __init__(self, budget: RateBudget, codec: str, start_quality: int) -> None:
        budget.validate(codec)
        self.budget, self.codec = budget, codec
        self.best, self.worst = QUALITY_SPANS[codec]
        self.direction = 1 if self.worst > self.best else -1  # + along "fewer bytes"
        self.ratio = STEP_RATIO[codec]
        self.quality = start_quality
        self._last: tuple[int, int] | None = None  # (quality, coarse bytes) of the last frame
        self.debt = 0.0  # bytes sent above the mean target so far (negative: saved)
        self.frames_over_budget = 0

    def frame_budget(self) -> float:
        """Bytes this frame may take: the mean target minus a second's share of the debt,
        capped by ``max_frame_bytes``."""
        b = self.budget
        allowed = math.inf
        if b.target_kbps > 0:
            per_frame = b.target_kbps * 1000 / 8 / b.frame_rate
            allowed = max(0.0, per_frame - self.debt / max(1.0, b.frame_rate))
        if b.max_frame_bytes > 0:
            allowed = min(allowed, float(b.max_frame_bytes))
        return allowed

    def _predict(self, coarse_budget: float) -> int:
        """The best quality whose predicted size fits ``coarse_budget`` bytes."""
        if self._last is None or coarse_budget <= 0:
            return self.quality if self._last is None else self.floor
        q0, bytes0 = self._last
        steps = math.log(max(bytes0, 1) / coarse_budget, self.ratio)  # + : worse quality
        return self._clamp(q0 + self.direction * math.ceil(steps))

    @property
    def floor(self) -> int:
        return self.budget.floor_quality

    def _clamp(self, quality: int) -> int:
        low, high = sorted((self.best, self.floor))
        return min(max(quality, low), high)

    def choose(self, encode: Callable[[int], bytes], other_bytes: int) -> RateDecision:
        """Encode the coarse image (``encode(quality) -> bytes``) so that it plus
        ``other_bytes`` (map + message overhead) fits this frame's budget."""
        allowed = self.frame_budget()
        quality = self._predict(allowed - other_bytes)
        tried: dict[int, bytes] = {}
        while True:
            data = tried[quality] = encode(quality)
            fits = other_bytes + len(data) <= allowed
            if fits or quality == self.floor or len(tried) >= MAX_ENCODES:
                break
            # too big: move by the steps the overshoot needs (at least one)
            steps = math.log((other_bytes + len(data)) / max(allowed - other_bytes, 1.0)
                             if allowed > other_bytes else 64.0, self.ratio)
            quality = self._clamp(quality + self.direction * max(1, math.ceil(steps)))
            if quality in tried:
                break
        if not fits and len(tried) >= MAX_ENCODES and self.floor not in tried:
            quality, data = self.floor, encode(self.floor)  # last resort: the floor
            tried[quality] = data
            fits = other_bytes + len(data) <= allowed
        if not fits:
            self.frames_over_budget += 1
        frame_bytes = other_bytes + len(data)
        self._last, self.quality = (quality, len(data)), quality
        if self.budget.target_kbps > 0:
            self.debt += frame_bytes - self.budget.target_kbps * 1000 / 8 / self.budget.frame_rate
        return RateDecision(quality, data, allowed, frame_bytes, len(tried), fits)
