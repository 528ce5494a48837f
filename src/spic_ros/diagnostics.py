"""Per-node counters and latency/rate statistics, published as a DiagnosticArray whose level
(OK / WARN / ERROR) follows drop-rate, reject-rate and latency thresholds."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, fields
from typing import Callable

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from spic_ros.params import Param


#: Drop reason of camera frames lost before the node's callback (publisher sequence gaps).
BEFORE_CALLBACK = "before_callback"


class NodeStats:
    """Counters (frames in/out/dropped/rejected/failed), their reasons, bytes, bpp, latencies.

    Reasons of ``frames_rejected``/``frames_failed`` are reported as ``rejected[<reason>]``,
    those of ``frames_dropped`` as ``dropped[<reason>]``. ``totals()`` covers the node's
    lifetime; ``window()`` the time since the previous call (one diagnostics period) and
    resets it.
    """

    COUNTERS = ("frames_in", "frames_out", "frames_dropped", "frames_rejected", "frames_failed")

    def __init__(self, extra_counters: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self.counters: Counter[str] = Counter({name: 0 for name in
                                               (*self.COUNTERS, *extra_counters)})
        self.reasons: Counter[str] = Counter()
        self.drop_reasons: Counter[str] = Counter()
        self._sums: Counter[str] = Counter()
        self._window: Counter[str] = Counter()
        self._frames = 0
        self._window_frames = 0
        self._window_start = time.monotonic()
        self._window_counters_base: Counter[str] = Counter(self.counters)
        self._window_drops_base: Counter[str] = Counter()
        self._listeners: list[Callable[[dict[str, float]], None]] = []

    def count(self, counter: str, reason: str | None = None, n: int = 1) -> None:
        """Add ``n`` to ``counter`` (one of :data:`COUNTERS` or the extra ones), recording
        ``reason`` if given."""
        with self._lock:
            self.counters[counter] += n
            if reason:
                (self.drop_reasons if counter == "frames_dropped" else self.reasons)[reason] += n

    def record(self, values: dict[str, float]) -> None:
        """Record one processed frame's measurements (bytes, bpp, ``latency_*`` ms)."""
        with self._lock:
            self._frames += 1
            self._window_frames += 1
            self._sums.update(values)
            self._window.update(values)
        for listener in self._listeners:
            listener(values)

    def add_listener(self, listener: Callable[[dict[str, float]], None]) -> None:
        """Also hand every frame's measurements to ``listener`` (e.g. for percentiles)."""
        self._listeners.append(listener)

    def totals(self) -> dict[str, float]:
        """Lifetime counters and the mean of every recorded measurement."""
        with self._lock:
            out: dict[str, float] = dict(self.counters)
            out.update({k: v / self._frames for k, v in self._sums.items()} if self._frames else {})
            out.update({f"rejected[{k}]": v for k, v in self.reasons.items()})
            out.update({f"dropped[{k}]": v for k, v in self.drop_reasons.items()})
            return out

    def window(self) -> dict[str, float]:
        """Means over the current window, its frame rate and each counter's and drop reason's
        increase during it (``window_frames_in``, ``window_dropped[<reason>]``, ...); starts a
        new window."""
        with self._lock:
            now = time.monotonic()
            elapsed = max(now - self._window_start, 1e-9)
            out = {k: v / self._window_frames for k, v in self._window.items()}
            out["fps"] = self._window_frames / elapsed
            out.update({f"window_{k}": v - self._window_counters_base[k]
                        for k, v in self.counters.items()})
            out.update({f"window_dropped[{k}]": v - self._window_drops_base[k]
                        for k, v in self.drop_reasons.items()})
            self._window_counters_base = Counter(self.counters)
            self._window_drops_base = Counter(self.drop_reasons)
            self._window.clear()
            self._window_frames = 0
            self._window_start = now
            return out


@dataclass(frozen=True)
class HealthThresholds:
    """When a node's diagnostics turn WARN or ERROR (each rate is over one diagnostics period:
    dropped / arrived (received, plus those lost before the callback), rejected-or-failed /
    handled; latency: the period's mean)."""

    warn_drop_rate: float = 0.1
    error_drop_rate: float = 0.5
    warn_reject_rate: float = 0.0
    error_reject_rate: float = 0.5
    warn_latency_ms: float = 1000.0
    error_latency_ms: float = 10000.0

    @classmethod
    def from_params(cls, values: dict) -> "HealthThresholds":
        return cls(**{f.name: values[f"diagnostics_{f.name}"] for f in fields(cls)})


def threshold_params() -> list[Param]:
    """The node parameters ``diagnostics_<threshold>`` (defaults: :class:`HealthThresholds`)."""
    texts = {"drop_rate": ("fraction of arriving frames skipped or lost", (0.0, 1.0)),
             "reject_rate": ("fraction of handled frames rejected or failed", (0.0, 1.0)),
             "latency_ms": ("mean processing latency (ms)", (0.0, 1e7))}
    params = []
    for f in fields(HealthThresholds):
        level, _, measure = f.name.partition("_")
        text, bounds = texts[measure]
        params.append(Param(f"diagnostics_{f.name}", float(f.default),
                            f"diagnostics are {level.upper()} when the {text} in a period "
                            f"exceeds this", float_range=bounds))
    return params


def health(window: dict[str, float], limits: HealthThresholds) -> tuple[bytes, str]:
    """The DiagnosticStatus level and message of one window."""
    received = window.get("window_frames_in", 0)
    arrived = received + window.get(f"window_dropped[{BEFORE_CALLBACK}]", 0)
    failed = window.get("window_frames_rejected", 0) + window.get("window_frames_failed", 0)
    handled = window.get("window_frames_out", 0) + failed
    checks = [
        ("dropped", window.get("window_frames_dropped", 0) / arrived if arrived else 0.0,
         limits.warn_drop_rate, limits.error_drop_rate, "{:.0%}"),
        ("rejected or failed", failed / handled if handled else 0.0,
         limits.warn_reject_rate, limits.error_reject_rate, "{:.0%}"),
        ("mean latency", window.get("latency_total_ms", 0.0),
         limits.warn_latency_ms, limits.error_latency_ms, "{:.0f} ms"),
    ]
    level, problems = DiagnosticStatus.OK, []
    for what, value, warn, error, fmt in checks:
        if value > error:
            level = DiagnosticStatus.ERROR
        elif value > warn:
            level = max(level, DiagnosticStatus.WARN)
        else:
            continue
        problems.append(f"{what} {fmt.format(value)}")
    if problems:
        return level, ", ".join(problems)
    return level, f"{window['fps']:.1f} fps" if arrived or handled else "no frames"


def diagnostic_name(kind: str, node) -> str:
    """``"<kind>: <node>"``, the node named with its namespace (``spic_encoder: front/
    spic_encoder``) so that nodes of several cameras never share a status name."""
    return f"{kind}: {node.get_fully_qualified_name().lstrip('/')}"


def diagnostic_status(name: str, hardware_id: str, stats: NodeStats,
                      limits: HealthThresholds = HealthThresholds()) -> DiagnosticStatus:
    """The status of one node (or stream): level and message from the window against
    ``limits``; values: lifetime counters and means, the window's fps and coded bandwidth
    (kbit/s)."""
    totals, window = stats.totals(), stats.window()
    status = DiagnosticStatus(name=name, hardware_id=hardware_id)
    status.level, status.message = health(window, limits)
    values = dict(totals)
    values["fps"] = window["fps"]
    values["kbit_s"] = 8e-3 * window.get("bytes", 0.0) * window["fps"]  # coded bandwidth, window
    for key in sorted(values):
        value = values[key]
        text = str(int(value)) if float(value).is_integer() else f"{value:.6g}"
        status.values.append(KeyValue(key=key, value=text))
    return status


def diagnostic_array(stamp, statuses: list[DiagnosticStatus]) -> DiagnosticArray:
    """The /diagnostics message carrying ``statuses``."""
    array = DiagnosticArray()
    array.header.stamp = stamp
    array.status = list(statuses)
    return array
