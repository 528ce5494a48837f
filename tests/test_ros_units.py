"""Unit tests of the spic_ros building blocks: image conversion, diagnostics, mailboxes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("rclpy")

from sensor_msgs.msg import Image  # noqa: E402

from spic.errors import ImageTooLargeError  # noqa: E402
from spic_ros.image_conversion import (ImageFormatError, array_to_image,  # noqa: E402
                                       image_to_labels, image_to_rgb)


def _raw(pixels: np.ndarray, encoding: str, pad: int = 0) -> Image:
    h, w = pixels.shape[:2]
    rows = pixels.reshape(h, -1)
    padded = np.concatenate([rows, np.full((h, pad), 77, np.uint8)], axis=1)
    return Image(height=h, width=w, encoding=encoding, step=padded.shape[1],
                 data=padded.tobytes())


@pytest.mark.parametrize("pad", [0, 3])
def test_every_supported_encoding_becomes_rgb(pad):
    rgb = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    alpha = np.full((5, 7, 1), 9, np.uint8)
    cases = {"rgb8": rgb, "bgr8": rgb[:, :, ::-1], "rgba8": np.concatenate([rgb, alpha], 2),
             "bgra8": np.concatenate([rgb[:, :, ::-1], alpha], 2)}
    for encoding, pixels in cases.items():
        np.testing.assert_array_equal(image_to_rgb(_raw(np.ascontiguousarray(pixels), encoding, pad)),
                                      rgb, err_msg=encoding)
    gray = rgb[:, :, 0].copy()
    np.testing.assert_array_equal(image_to_rgb(_raw(gray, "mono8", pad)), np.repeat(gray[:, :, None], 3, 2))
    np.testing.assert_array_equal(image_to_labels(_raw(gray, "mono8", pad)), gray)


def test_array_to_image_round_trip_and_header():
    from std_msgs.msg import Header
    rgb = np.random.default_rng(2).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    header = Header(frame_id="cam")
    msg = array_to_image(rgb, header)
    assert (msg.encoding, msg.step, msg.header.frame_id) == ("rgb8", 18, "cam")
    np.testing.assert_array_equal(image_to_rgb(msg), rgb)
    assert array_to_image(rgb[:, :, 0].copy()).encoding == "mono8"
    with pytest.raises(ImageFormatError):
        array_to_image(rgb.astype(np.float32))


def test_conversion_rejects_before_allocating():
    huge = Image(height=2_000, width=2_000, encoding="rgb8", step=6_000, data=b"\x00" * 12)
    with pytest.raises(ImageTooLargeError):
        image_to_rgb(huge, max_pixels=3_000_000)
    with pytest.raises(ImageFormatError, match="expected step"):
        image_to_rgb(huge)  # within the default limit, but 12 bytes cannot be 2000 rows
    with pytest.raises(ImageFormatError, match="unsupported encoding"):
        image_to_rgb(Image(height=1, width=1, encoding="32FC1", step=4, data=b"\x00" * 4))
    with pytest.raises(ImageFormatError, match="mono8"):
        image_to_labels(Image(height=1, width=1, encoding="rgb8", step=3, data=b"\x00" * 3))


def test_diagnostics_report_counters_means_and_warn_on_rejects():
    from diagnostic_msgs.msg import DiagnosticStatus
    from builtin_interfaces.msg import Time

    from spic_ros.diagnostics import NodeStats, diagnostic_array, diagnostic_status

    stats = NodeStats()
    for i in range(4):
        stats.count("frames_in")
        stats.count("frames_out")
        stats.record({"bytes": 100 + i, "latency_total_ms": 10.0})
    status = diagnostic_status("spic_encoder: x", "camera_front", stats)
    array = diagnostic_array(Time(sec=5), [status, status])  # one message, several statuses
    assert array.header.stamp.sec == 5 and len(array.status) == 2
    values = {kv.key: kv.value for kv in status.values}
    assert status.level == DiagnosticStatus.OK and status.hardware_id == "camera_front"
    assert values["frames_in"] == "4" and values["bytes"] == "101.5"
    assert values["latency_total_ms"] == "10" and float(values["fps"]) > 0
    assert float(values["kbit_s"]) == pytest.approx(8e-3 * 101.5 * float(values["fps"]), rel=1e-3)
    stats.count("frames_rejected", "ImageFormatError")
    status = diagnostic_status("spic_encoder: x", "cam", stats)
    values = {kv.key: kv.value for kv in status.values}
    assert status.level == DiagnosticStatus.ERROR and "rejected or failed 100%" in status.message
    assert values["rejected[ImageFormatError]"] == "1"
    status = diagnostic_status("x", "cam", stats)
    assert (status.level, status.message) == (DiagnosticStatus.OK, "no frames")


def _window_level(limits, received=10, dropped=0, out=10, rejected=0, latency_ms=10.0):
    from spic_ros.diagnostics import NodeStats, diagnostic_status

    stats = NodeStats()
    for _ in range(received):
        stats.count("frames_in")
    for counter, n in (("frames_dropped", dropped), ("frames_out", out),
                       ("frames_rejected", rejected)):
        for _ in range(n):
            stats.count(counter, "PayloadError" if counter == "frames_rejected" else None)
    for _ in range(out):
        stats.record({"latency_total_ms": latency_ms})
    status = diagnostic_status("spic_decoder: d", "cam", stats, limits)
    return status.level, status.message


def test_diagnostic_levels_follow_drop_reject_and_latency_thresholds():
    from diagnostic_msgs.msg import DiagnosticStatus as S

    from spic_ros.diagnostics import HealthThresholds

    limits = HealthThresholds(warn_drop_rate=0.1, error_drop_rate=0.5, warn_reject_rate=0.05,
                              error_reject_rate=0.5, warn_latency_ms=100, error_latency_ms=1000)
    assert _window_level(limits)[0] == S.OK
    assert _window_level(limits, dropped=2, out=8) == (S.WARN, "dropped 20%")
    assert _window_level(limits, dropped=6, out=4)[0] == S.ERROR
    assert _window_level(limits, out=9, rejected=1) == (S.WARN, "rejected or failed 10%")
    assert _window_level(limits, out=4, rejected=6)[0] == S.ERROR
    assert _window_level(limits, latency_ms=150) == (S.WARN, "mean latency 150 ms")
    level, message = _window_level(limits, latency_ms=5000, dropped=2, out=8)
    assert level == S.ERROR and message == "dropped 20%, mean latency 5000 ms"


def test_threshold_parameters_derive_from_the_defaults():
    from spic_ros.decoder_node import PARAMS as DECODER
    from spic_ros.diagnostics import HealthThresholds
    from spic_ros.encoder_node import PARAMS as ENCODER
    from spic_ros.params import defaults

    for params in (ENCODER, DECODER):
        limits = HealthThresholds.from_params(defaults(params))
        assert limits == HealthThresholds()
        described = [p for p in params if p.name.startswith("diagnostics_") and "_rate" in p.name]
        assert described and all(p.float_range == (0.0, 1.0) and p.description
                                 for p in described)


def test_latest_slot_keeps_only_the_newest():
    from spic_ros.latest_slot import LatestSlots

    slot: LatestSlots[int] = LatestSlots()
    assert slot.put(1) is False and slot.put(2) is True and slot.put(3) is True
    assert slot.take(1, 0.1) == [(0, 3)] and slot.take(1, 0.05) == []


def test_stamp_pairer_pairs_by_stamp_and_bounds_memory():
    from spic_ros.stamp_pairing import StampPairer

    def msg(sec):
        m = Image()
        m.header.stamp.sec = sec
        return m

    pairs = []
    pairer = StampPairer(lambda a, b: pairs.append((a.header.stamp.sec, b.header.stamp.sec)),
                         capacity=3)
    pairer.add_second(msg(2))
    pairer.add_first(msg(1))
    pairer.add_first(msg(2))
    assert pairs == [(2, 2)]
    for sec in range(10, 20):
        pairer.add_first(msg(sec))  # partners never come
    assert pairer.evicted == 8  # 1 and 10..16 were evicted; 17, 18, 19 remain
    pairer.add_second(msg(19))
    assert pairs[-1] == (19, 19)


def test_option_parsing():
    from spic_ros.params import format_options, key_value_options, parse_options, topic_name

    options = parse_options("steps=20, ,model=a.onnx,scale=-1")
    assert options == {"steps": 20, "model": "a.onnx", "scale": -1}
    assert parse_options(format_options(options)) == options and parse_options("") == {}
    assert key_value_options("a=1,") is None and "KEY=VALUE" in key_value_options("oops")
    assert "twice" in key_value_options("a=1,a=2")
    assert topic_name("/camera/image_raw") is None and topic_name("rel/t_2") is None
    assert topic_name("/a//b") and topic_name("/1abc") and topic_name("/a b")
