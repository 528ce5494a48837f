"""Thread-safe per-node counters and latency/rate statistics, published as DiagnosticArray."""

from __future__ import annotations

import threading
import time
from collections import Counter

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue


class NodeStats:
    """Counters (frames in/out/dropped/rejected/failed, reject reasons), bytes, bpp, latencies.

    ``totals()`` covers the node's lifetime; ``window()`` the time since the previous call
    (one diagnostics period) and resets it.
    """

    COUNTERS = ("frames_in", "frames_out", "frames_dropped", "frames_rejected", "frames_failed")

    def __init__(self, extra_counters: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self.counters: Counter[str] = Counter({name: 0 for name in
                                               (*self.COUNTERS, *extra_counters)})
        self.reasons: Counter[str] = Counter()
        self._sums: Counter[str] = Counter()
        self._window: Counter[str] = Counter()
        self._frames = 0
        self._window_frames = 0
        self._window_start = time.monotonic()
        self._window_rejects_base = 0

    def count(self, counter: str, reason: str | None = None) -> None:
        """Increment ``counter`` (one of :data:`COUNTERS` or the extra ones), recording
        ``reason`` if given."""
        with self._lock:
            self.counters[counter] += 1
            if reason:
                self.reasons[reason] += 1

    def record(self, values: dict[str, float]) -> None:
        """Record one processed frame's measurements (bytes, bpp, ``latency_*`` seconds)."""
        with self._lock:
            self._frames += 1
            self._window_frames += 1
            self._sums.update(values)
            self._window.update(values)

    def totals(self) -> dict[str, float]:
        """Lifetime counters and the mean of every recorded measurement."""
        with self._lock:
            out: dict[str, float] = dict(self.counters)
            out.update({k: v / self._frames for k, v in self._sums.items()} if self._frames else {})
            out.update({f"rejected[{k}]": v for k, v in self.reasons.items()})
            return out

    def window(self) -> dict[str, float]:
        """Means over the current window, its frame rate and its rejected/failed frames
        (``window_rejects``); starts a new window."""
        with self._lock:
            now = time.monotonic()
            elapsed = max(now - self._window_start, 1e-9)
            out = {k: v / self._window_frames for k, v in self._window.items()}
            out["fps"] = self._window_frames / elapsed
            rejects = self.counters["frames_rejected"] + self.counters["frames_failed"]
            out["window_rejects"] = rejects - self._window_rejects_base
            self._window_rejects_base = rejects
            self._window.clear()
            self._window_frames = 0
            self._window_start = now
            return out


def diagnostic_array(stamp, name: str, stats: NodeStats) -> DiagnosticArray:
    """One DiagnosticStatus for a node: lifetime counters and means; the window's fps and
    coded bandwidth (kbit/s).

    Level is WARN when frames were rejected or failed during the window.
    """
    totals, window = stats.totals(), stats.window()
    status = DiagnosticStatus()
    status.name = name
    status.hardware_id = "spic"
    if window["window_rejects"]:
        status.level = DiagnosticStatus.WARN
        status.message = f"{int(window['window_rejects'])} frame(s) rejected or failed"
    else:
        status.level = DiagnosticStatus.OK
        status.message = f"{window['fps']:.1f} fps"
    values = dict(totals)
    values["fps"] = window["fps"]
    values["kbit_s"] = 8e-3 * window.get("bytes", 0.0) * window["fps"]  # coded bandwidth, window
    for key in sorted(values):
        value = values[key]
        text = str(int(value)) if float(value).is_integer() else f"{value:.6g}"
        status.values.append(KeyValue(key=key, value=text))
    array = DiagnosticArray()
    array.header.stamp = stamp
    array.status = [status]
    return array
